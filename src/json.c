/* json.c - streaming JSON writer with automatic commas. */
#include "lotsync/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/limits.h"
#include "lotsync/log.h"

void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
	buf_init(&j->out, LS_MAX_JSON);
}

void
json_release(struct json *j)
{
	buf_release(&j->out);
	json_init(j);
}

char *
json_detach(struct json *j)
{
	char *b = buf_detach(&j->out, NULL);

	json_release(j);
	return b;
}

void
json_print(struct json *j)
{
	char *s = json_detach(j);

	puts(s);
	free(s);
}

static void
put(struct json *j, const char *s, size_t n)
{
	/* like running out of memory: no caller can use half a document */
	if (buf_append(&j->out, s, n) == -1)
		log_fatal("json: document larger than %zu bytes", LS_MAX_JSON);
}

/* Comma before every value but the first of its container (keys count as values). */
static void
sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth])
			put(j, ",", 1);
		j->first[j->depth] = false;
	}
}

static void
open_container(struct json *j, char c)
{
	sep(j);
	put(j, &c, 1);
	if (++j->depth >= JSON_MAX_DEPTH)
		log_fatal("json: nesting deeper than %d", JSON_MAX_DEPTH);
	j->first[j->depth] = true;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

void
json_obj(struct json *j)
{
	open_container(j, '{');
}

void
json_arr(struct json *j)
{
	open_container(j, '[');
}

void
json_end(struct json *j)
{
	if (j->depth == 0)
		log_fatal("json: json_end() without an open container");
	put(j, &j->closer[j->depth], 1);
	j->depth--;
}

static void
put_escaped(struct json *j, const char *s)
{
	static const char hexd[] = "0123456789abcdef";

	put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const unsigned char *q = p;

		/* Copy runs of plain bytes at once. */
		while (*q && *q != '"' && *q != '\\' && *q >= 0x20 && *q != 0x7f)
			q++;
		if (q > p) {
			put(j, (const char *)p, (size_t)(q - p));
			p = q;
			if (!*p)
				break;
		}
		switch (*p) {
		case '"': put(j, "\\\"", 2); break;
		case '\\': put(j, "\\\\", 2); break;
		case '\n': put(j, "\\n", 2); break;
		case '\r': put(j, "\\r", 2); break;
		case '\t': put(j, "\\t", 2); break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hexd[*p >> 4], hexd[*p & 15]};

			put(j, esc, 6);
		}
		}
	}
	put(j, "\"", 1);
}

void
json_key(struct json *j, const char *key)
{
	sep(j);
	put_escaped(j, key);
	put(j, ":", 1);
	j->after_key = true;
}

void
json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	sep(j);
	put_escaped(j, s);
}

void
json_int(struct json *j, long long v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", v);

	sep(j);
	put(j, b, (size_t)n);
}

void
json_bool(struct json *j, bool v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void
json_null(struct json *j)
{
	sep(j);
	put(j, "null", 4);
}

void
json_reset(struct json *j)
{
	struct buf out = j->out; /* keep the allocation: one for many rows */

	buf_reset(&out);
	memset(j, 0, sizeof(*j));
	j->out = out;
}
