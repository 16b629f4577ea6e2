/*
 * fuzz_export.c - libFuzzer target for the XML exports: every XML export
 * must be well-formed whatever the stored values hold (bytes that are not
 * UTF-8, U+FFFE/U+FFFF and surrogates by JSON escapes, control characters,
 * markup, the formula guard's prefix). The input is cut at 0xFF bytes into
 * values for the format's fields in order; the first byte picks the format.
 * The rendered file is re-parsed with libxml2 (no network, no entities);
 * an ill-formed file aborts.
 */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/format.h"
#include "lotsync/log.h"
#include "lotsync/render.h"
#include "lotsync/util.h"

static const char *const names[] = {"listings-xml", "adf-xml", "guarded-xml"};
static struct format formats[ARRAY_SIZE(names)];
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
silent(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *conf = xasprintf("%s/conf", src ? src : ".");
	char dir[] = "/tmp/lotsync-fuzz-export.XXXXXX", *path;
	FILE *f;

	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	xmlSetGenericErrorFunc(NULL, silent);
	if (format_load(conf, names[0], &formats[0]) != 0 ||
	    format_load(conf, names[1], &formats[1]) != 0)
		abort();
	/* an XML format with a formula guard that itself needs escaping, in ISO-8859-15 */
	if (!mkdtemp(dir))
		abort();
	path = xasprintf("%s/formats", dir);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/formats/guarded-xml.ini", dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs("[format]\ntype = xml\nroot = r\nrecord = v\ncharset = iso-8859-15\n"
	      "formula_guard = <&'\n[columns]\n@status = condition\nvin = vin\n"
	      "model = model text\nprice = price attr.type=\"a<\"\"&\"\nimages = images items=2\n",
	      f);
	fclose(f);
	if (format_load(dir, names[2], &formats[2]) != 0)
		abort();
	unlink(path);
	free(path);
	path = xasprintf("%s/formats", dir);
	rmdir(path);
	rmdir(dir);
	free(path);
	path = xstrdup("/tmp/lotsync-fuzz-export-out.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		abort();
	unlink(path);
	free(path);
	free(conf);
	return 0;
}

/* {"field":"value",...} with the format's fields (sorted) and the input's values. */
static char *
json_of(const struct format *f, const uint8_t *p, size_t n)
{
	size_t cap = 6 * n + 64 * (f->nfields + 1) + 8, o = 0, k = 0;
	char *j = xmalloc(cap);

	j[o++] = '{';
	while (k < f->nfields) {
		const uint8_t *e = memchr(p, 0xFF, n);
		size_t len = e ? (size_t)(e - p) : n;

		o += (size_t)snprintf(j + o, cap - o, "%s\"%s\":\"", k ? "," : "", f->fields[k]);
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '"')
				o += (size_t)snprintf(j + o, cap - o, "\\\"");
			else if (p[i] < 0x20)
				o += (size_t)snprintf(j + o, cap - o, "\\u%04x", p[i]);
			else
				j[o++] = (char)p[i]; /* a backslash may start an escape: \uFFFE */
		}
		j[o++] = '"';
		k++;
		if (!e)
			break;
		n -= len + 1;
		p = e + 1;
	}
	j[o++] = '}';
	j[o] = '\0';
	return j;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct format *f;
	struct render *r;
	char *json, *out;
	off_t len;
	xmlDocPtr doc;

	if (size < 1)
		return 0;
	f = &formats[data[0] % ARRAY_SIZE(names)];
	json = json_of(f, data + 1, size - 1);
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	r = render_new(f, fd, "fuzz", data[0] & 0x80);
	render_begin(r);
	render_json(r, "K", json, strlen(json), RENDER_NEW);
	render_json(r, "K2", json, strlen(json), RENDER_DELETED);
	if (render_end(r) == -1)
		abort();
	render_free(r);
	free(json);
	len = lseek(fd, 0, SEEK_END);
	out = xmalloc((size_t)len + 1);
	if (pread(fd, out, (size_t)len, 0) != len)
		abort();
	doc = xmlReadMemory(out, (int)len, "fuzz.xml", NULL, XML_PARSE_NONET);
	if (!doc) {
		fwrite(out, 1, (size_t)len, stderr);
		abort(); /* an XML export that its receiver cannot parse */
	}
	xmlFreeDoc(doc);
	free(out);
	return 0;
}
