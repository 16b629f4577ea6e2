/* cmd_audit.c - the auditor's read-only commands: snapshots, show, diff, history, verify. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/cmd.h"
#include "lotsync/diff.h"
#include "lotsync/fsio.h"
#include "lotsync/guard.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/notify.h"
#include "lotsync/present.h"
#include "lotsync/recjson.h"
#include "lotsync/store_diff.h"
#include "lotsync/store_rules.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"

static int
parse_id(const char *s, long long *id)
{
	unsigned long long v;

	if (parse_uint(s, (unsigned long long)1 << 62, &v) == -1 || v == 0) {
		fprintf(stderr, "lotsync: '%s' is not a snapshot id\n", s);
		return -1;
	}
	*id = (long long)v;
	return 0;
}

static void
snapshot_json(struct json *j, const struct snapshot_info *s)
{
	json_obj(j);
	json_key(j, "id");
	json_int(j, s->id);
	json_key(j, "feed");
	json_str(j, s->feed);
	json_key(j, "state");
	json_str(j, snapshot_state_name(s->state));
	json_key(j, "sha256");
	json_str(j, s->sha256);
	json_key(j, "file");
	json_str(j, s->file);
	json_key(j, "received_at");
	json_str(j, s->received_at);
	json_key(j, "vehicles");
	json_int(j, s->vehicles);
	json_key(j, "new");
	json_int(j, s->new_);
	json_key(j, "changed");
	json_int(j, s->changed);
	json_key(j, "vanished");
	json_int(j, s->vanished);
	json_key(j, "rejected_rows");
	json_int(j, s->rejected_rows);
	json_key(j, "size");
	json_int(j, s->size);
	json_key(j, "source");
	json_str(j, s->source);
	json_key(j, "profile");
	json_str(j, s->profile);
	json_key(j, "hold_reason");
	json_str(j, s->hold_reason);
	json_key(j, "decided");
	json_str(j, s->decided);
	json_end(j);
}

int
cmd_snapshots(struct app *app, int argc, char **argv)
{
	struct snapshot_info *list = NULL;
	size_t n = 0;
	const char *feed = argc > 1 ? argv[1] : NULL;

	if (argc > 2 || (feed && feed[0] == '-'))
		return LS_EXIT_USAGE;
	if (feed && !config_feed(&app->cfg, feed)) {
		log_error("no feed named '%s' in %s", feed, app->cfg.path);
		return LS_EXIT_USAGE;
	}
	if (app->store && store_snapshot_list(app->store, feed, &list, &n) == -1)
		return LS_EXIT_SOFTWARE;
	if (app->json) {
		struct json j;

		json_init(&j);
		json_arr(&j);
		for (size_t i = 0; i < n; i++)
			snapshot_json(&j, &list[i]);
		json_end(&j);
		json_print(&j);
	} else {
		printf("%-5s %-12s %-9s %-20s %8s %6s %7s %8s %8s  %s\n", "ID", "FEED", "STATE",
		       "RECEIVED", "VEHICLES", "NEW", "CHANGED", "VANISHED", "REJECTED", "FILE");
		for (size_t i = 0; i < n; i++)
			printf("%-5lld %-12s %-9s %-20s %8lld %6lld %7lld %8lld %8lld  %s\n",
			       list[i].id, list[i].feed, snapshot_state_name(list[i].state),
			       list[i].received_at, list[i].vehicles, list[i].new_, list[i].changed,
			       list[i].vanished, list[i].rejected_rows, list[i].file);
	}
	snapshot_list_free(list, n);
	return LS_EXIT_OK;
}

/* Load a snapshot; unless any_state, it must have stored content (applied). */
static int
load_snapshot(struct app *app, const char *arg, struct snapshot_info *s, bool any_state)
{
	long long id;

	memset(s, 0, sizeof(*s));
	if (parse_id(arg, &id) == -1)
		return LS_EXIT_USAGE;
	if (!app->store || store_snapshot_get(app->store, id, s) == -1) {
		if (!app->store)
			log_error("no snapshot with id %lld (no database yet)", id);
		return LS_EXIT_USAGE;
	}
	if (!any_state && s->state != SNAP_APPLIED) {
		log_error("snapshot %lld is %s%s%s: it has no vehicles of its own", id,
		          snapshot_state_name(s->state), s->hold_reason ? ": " : "",
		          s->hold_reason ? s->hold_reason : "");
		snapshot_info_release(s);
		return LS_EXIT_USAGE;
	}
	return LS_EXIT_OK;
}

/*
 * show and diff stream at the pace of the output: one large stdio buffer,
 * rows written as the store yields them, reusable decoders and JSON buffers
 * instead of an allocation per row.
 */
#define OUT_BUFFER (1 << 20) /* static, set before any output and kept until exit */

enum show_mode { SHOW_TEXT, SHOW_JSON, SHOW_JSONL };

/*
 * On a terminal, show prints a table of the columns a person scans for; the
 * widths come from the first TABLE_WINDOW rows (held back, then printed), so
 * a large snapshot still streams: later rows reuse those widths and a longer
 * value is cut with "~". Piped, every field is printed (one line per vehicle).
 */
#define TABLE_COLS      7
#define TABLE_WINDOW    100
#define TABLE_MAX_WIDTH 32

static const char *const table_fields[TABLE_COLS] = {NULL,    "stock_no", "year", "make",
                                                     "model", "mileage",  "price"};
static const char *const table_heads[TABLE_COLS] = {"KEY",   "STOCK",   "YEAR", "MAKE",
                                                    "MODEL", "MILEAGE", "PRICE"};

struct show_table {
	char *held[TABLE_WINDOW][TABLE_COLS];
	size_t nheld, width[TABLE_COLS];
	bool printed; /* the header and the held rows are out */
};

struct show_ctx {
	struct json *j; /* warnings and rejected rows under --json and --jsonl */
	enum show_mode mode;
	struct recjson dec;
	struct json row; /* one escaped key at a time */
	bool first;
	struct show_table *table; /* text mode on a terminal, else NULL */
	bool show_personal;       /* --show-personal: persons' data as stored */
	char *tmp[3];             /* show_text_row's decoded currency, name, value */
	size_t tmpalloc[3];
};

static void
out_str(const char *s)
{
	fputs_unlocked(s, stdout);
}

/* The JSON string of s on stdout, escaped by the same writer as everything else. */
static void
out_json_str(struct json *row, const char *s)
{
	json_reset(row);
	json_str(row, s);
	fwrite_unlocked(row->out.p, 1, row->out.len, stdout);
}

/* Terminal columns of UTF-8 text, counting one per character (no wide glyphs in feeds we know). */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* One cell padded (or cut with "~") to width columns; numbers and amounts aligned right. */
static void
table_cell(const char *s, size_t width, bool right, bool last)
{
	size_t w = text_width(s);

	if (w > width) {
		size_t cols = 0;
		const char *p = s;

		for (; *p; p++) {
			bool start = ((unsigned char)*p & 0xC0) != 0x80;
			if (start && cols == width - 1)
				break;
			cols += start;
			putc_unlocked(*p, stdout);
		}
		putc_unlocked('~', stdout);
		w = width;
	} else {
		for (size_t i = w; right && i < width; i++)
			putc_unlocked(' ', stdout);
		out_str(s);
	}
	for (size_t i = w; !right && !last && i < width; i++)
		putc_unlocked(' ', stdout);
	if (!last)
		out_str("  ");
}

static bool
table_right(size_t col)
{
	return col >= TABLE_COLS - 2 || col == 2; /* year, mileage, price */
}

static void
table_print(const struct show_table *t, char *const cells[TABLE_COLS])
{
	for (size_t i = 0; i < TABLE_COLS; i++)
		table_cell(cells[i], t->width[i], table_right(i), i == TABLE_COLS - 1);
	putc_unlocked('\n', stdout);
}

/* The widths from the held rows, then the header and those rows. */
static void
table_flush(struct show_table *t)
{
	for (size_t i = 0; i < TABLE_COLS; i++) {
		t->width[i] = text_width(table_heads[i]);
		for (size_t r = 0; r < t->nheld; r++)
			if (text_width(t->held[r][i]) > t->width[i])
				t->width[i] = text_width(t->held[r][i]);
		if (t->width[i] > TABLE_MAX_WIDTH)
			t->width[i] = TABLE_MAX_WIDTH;
	}
	table_print(t, (char *const *)table_heads);
	for (size_t r = 0; r < t->nheld; r++) {
		table_print(t, t->held[r]);
		for (size_t i = 0; i < TABLE_COLS; i++)
			free(t->held[r][i]);
	}
	t->nheld = 0;
	t->printed = true;
}

static int
table_row(struct show_table *t, const char *key, const struct record *r, const char *currency)
{
	char amount[PRESENT_MAX], *cells[TABLE_COLS];

	for (size_t i = 0; i < TABLE_COLS; i++) {
		const char *v = i == 0 ? key : record_get(r, table_fields[i]);

		if (i > 0 && v && present_is_money(table_fields[i]))
			v = present_value(table_fields[i], v, currency, amount);
		cells[i] = xstrdup(v ? v : "");
	}
	if (t->printed) {
		table_print(t, cells);
		for (size_t i = 0; i < TABLE_COLS; i++)
			free(cells[i]);
		return 0;
	}
	memcpy(t->held[t->nheld++], cells, sizeof(cells));
	if (t->nheld == TABLE_WINDOW)
		table_flush(t);
	return 0;
}

/*
 * show's rows go into this buffer by memcpy and out in large blocks: a
 * million vehicles are ~25 million fields, and a stdio call per piece was
 * most of show's own time. Flushed (ob_flush) before anything else is
 * printed after the rows.
 */
#define OB_SIZE (1 << 20)
static struct {
	char b[OB_SIZE];
	size_t n;
} ob;

static void
ob_flush(void)
{
	if (ob.n)
		fwrite_unlocked(ob.b, 1, ob.n, stdout);
	ob.n = 0;
}

static inline void
ob_mem(const char *s, size_t n)
{
	if (n > OB_SIZE - ob.n) {
		ob_flush();
		if (n > OB_SIZE) {
			fwrite_unlocked(s, 1, n, stdout);
			return;
		}
	}
	memcpy(ob.b + ob.n, s, n);
	ob.n += n;
}

static inline void
ob_c(char c)
{
	if (ob.n == OB_SIZE)
		ob_flush();
	ob.b[ob.n++] = c;
}

static void
ob_str(const char *s)
{
	ob_mem(s, strlen(s));
}

/*
 * s in double quotes, with the quote, the backslash and line breaks escaped:
 * one line per vehicle. The runs between escapes go out in one copy each.
 */
static void
ob_quoted(const char *s)
{
	ob_c('"');
	for (;;) {
		size_t n = strcspn(s, "\"\\\n\r\t");

		ob_mem(s, n);
		s += n;
		if (!*s)
			break;
		ob_c('\\');
		ob_c(*s == '\n' ? 'n' : *s == '\r' ? 'r' : *s == '\t' ? 't' : *s);
		s++;
	}
	ob_c('"');
}

/* A key as a JSON string: as it is when nothing in it needs an escape (the usual case). */
static void
ob_json_key(struct json *row, const char *key)
{
	const unsigned char *p = (const unsigned char *)key;

	while (*p && *p != '"' && *p != '\\' && *p >= 0x20 && *p != 0x7f)
		p++;
	if (!*p) {
		ob_c('"');
		ob_mem(key, (size_t)(p - (const unsigned char *)key));
		ob_c('"');
		return;
	}
	json_reset(row);
	json_str(row, key);
	ob_mem(row->out.p, row->out.len);
}

/* A raw span unescaped into c's scratch (valid until the next call with the same slot). */
static const char *
span_text(struct show_ctx *c, const struct recjson_raw *r, int slot)
{
	c->tmp[slot] = xgrow(c->tmp[slot], &c->tmpalloc[slot], r->len + 1, 1);
	if (!r->esc) {
		memcpy(c->tmp[slot], r->p, r->len);
		c->tmp[slot][r->len] = '\0';
	} else if (recjson_unescape(r, c->tmp[slot]) == -1) {
		return NULL;
	}
	return c->tmp[slot];
}

/*
 * One vehicle as text, from the stored JSON's raw spans: a name and a value
 * whose escapes are all \" \\ \n \r \t are copied as they stand (they read
 * the same in show's quoting); amounts, and the rare other escapes, are
 * decoded first.
 */
static int
show_text_row(struct show_ctx *c, long long version, const char *key, const char *json, size_t len)
{
	struct recjson *d = &c->dec;
	const char *currency = NULL;
	char amount[PRESENT_MAX];

	if (recjson_scan(d, json, len) == -1)
		goto bad;
	/* the amounts' currency: fields are in name order, and campaign_price comes first */
	for (size_t i = 0; i < d->nspans; i++)
		if (d->spans[i].name.len == 8 && memcmp(d->spans[i].name.p, "currency", 8) == 0 &&
		    !(currency = span_text(c, &d->spans[i].value, 0)))
			goto bad;
	ob_str(key);
	for (size_t i = 0; i < d->nspans; i++) {
		const struct recjson_span *sp = &d->spans[i];
		const char *name = sp->name.p, *v;
		size_t nlen = sp->name.len;

		if (sp->name.esc) {
			if (!(name = span_text(c, &sp->name, 1)))
				goto bad;
			nlen = strlen(name);
		}
		bool money = present_is_money_n(name, nlen);

		ob_c(i ? ' ' : '\t');
		ob_mem(name, nlen);
		ob_c('=');
		if (!money && sp->value.plain) {
			ob_c('"');
			ob_mem(sp->value.p, sp->value.len);
			ob_c('"');
			continue;
		}
		if (!(v = span_text(c, &sp->value, 2)))
			goto bad;
		if (money) {
			present_money(v, currency, amount);
			v = amount;
		}
		ob_quoted(v);
	}
	ob_c('\n');
	return 0;
bad:
	return log_error("version %lld of '%s': stored JSON does not decode", version, key);
}

static int
show_vehicle(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	struct show_ctx *c = ctx;
	/* A person's address, e-mail and phones are personal data: masked unless asked. */
	bool mask = !c->show_personal && wo_key_is_person(key);
	char masked[WO_MASK_MAX];

	if (c->mode != SHOW_TEXT && mask) {
		if (recjson_parse(&c->dec, json, len) == -1)
			return log_error("version %lld of '%s': stored JSON does not decode",
			                 version, key);
		json_reset(&c->row);
		json_obj(&c->row);
		json_key(&c->row, "key");
		json_str(&c->row, key);
		json_key(&c->row, "fields");
		json_obj(&c->row);
		for (size_t i = 0; i < c->dec.nfields; i++) {
			json_key(&c->row, c->dec.fields[i].name);
			json_str(&c->row,
			         wo_mask(c->dec.fields[i].name, c->dec.fields[i].value, masked));
		}
		json_end(&c->row);
		json_end(&c->row);
		if (c->mode == SHOW_JSON && !c->first)
			ob_c(',');
		c->first = false;
		ob_mem(c->row.out.p, c->row.out.len);
		if (c->mode == SHOW_JSONL)
			ob_c('\n');
		return 0;
	}
	if (c->mode != SHOW_TEXT) {
		/* The stored JSON already is the fields object, in the canonical encoding. */
		ob_str(c->mode == SHOW_JSONL || c->first ? "{\"key\":" : ",{\"key\":");
		c->first = false;
		ob_json_key(&c->row, key);
		ob_mem(",\"fields\":", 10);
		ob_mem(json, len);
		if (c->mode == SHOW_JSONL)
			ob_mem("}\n", 2);
		else
			ob_c('}');
		return 0;
	}
	if (!c->table && !mask)
		return show_text_row(c, version, key, json, len);
	if (recjson_parse(&c->dec, json, len) == -1)
		return log_error("version %lld of '%s': stored JSON does not decode", version, key);
	struct record r = recjson_record(&c->dec, key);
	const char *currency = record_get(&r, "currency");
	char amount[PRESENT_MAX];

	if (c->table)
		return table_row(c->table, key, &r, currency);
	ob_str(key);
	for (size_t i = 0; i < c->dec.nfields; i++) {
		const char *name = c->dec.fields[i].name;

		ob_c(i ? ' ' : '\t');
		ob_mem(name, c->dec.lens[i].name);
		ob_c('=');
		ob_quoted(mask ? wo_mask(name, c->dec.fields[i].value, masked)
		               : present_value(name, c->dec.fields[i].value, currency, amount));
	}
	ob_c('\n');
	return 0;
}

static int
show_reject(void *ctx, const struct row_error *e)
{
	struct show_ctx *c = ctx;

	if (c->mode == SHOW_TEXT) {
		printf("line %lu%s%s: %s\n", e->line, e->field ? ": field " : "",
		       e->field ? e->field : "", e->reason);
		return 0;
	}
	if (c->mode == SHOW_JSONL)
		json_reset(c->j);
	json_obj(c->j);
	json_key(c->j, "line");
	json_int(c->j, (long long)e->line);
	json_key(c->j, "field");
	json_str(c->j, e->field);
	json_key(c->j, "reason");
	json_str(c->j, e->reason);
	json_end(c->j);
	if (c->mode == SHOW_JSONL) {
		fwrite_unlocked(c->j->out.p, 1, c->j->out.len, stdout);
		putc_unlocked('\n', stdout);
	}
	return 0;
}

static int
show_warning(void *ctx, const struct row_warning *w)
{
	struct show_ctx *c = ctx;

	if (c->mode == SHOW_JSONL) { /* tools read records; warnings go to stderr */
		log_warn("snapshot warning: line %lu: %s", w->line, w->message);
		return 0;
	}
	if (c->mode == SHOW_TEXT) {
		printf("warning: line %lu: %s\n", w->line, w->message);
		return 0;
	}
	json_obj(c->j);
	json_key(c->j, "code");
	json_str(c->j, w->code);
	json_key(c->j, "line");
	json_int(c->j, (long long)w->line);
	json_key(c->j, "field");
	json_str(c->j, w->field);
	json_key(c->j, "message");
	json_str(c->j, w->message);
	json_end(c->j);
	return 0;
}

/* Flush stdout and report a failed write (a full disk, a closed pipe) once. */
static int
out_finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_syserr("writing the output");
		return rc == LS_EXIT_OK ? LS_EXIT_IOERR : rc;
	}
	return rc;
}

/* The head of show --json up to the open vehicles (or rejected) array, on stdout. */
static int
show_json_head(struct app *app, const struct snapshot_info *s, struct show_ctx *c, bool rejected)
{
	json_obj(c->j);
	json_key(c->j, "snapshot");
	snapshot_json(c->j, s);
	json_key(c->j, "warnings");
	json_arr(c->j);
	if (store_each_warning(app->store, s->id, show_warning, c) != 0)
		return -1;
	json_end(c->j);
	json_key(c->j, rejected ? "rejected" : "vehicles");
	json_arr(c->j);
	if (!rejected) {
		/* vehicles are streamed after it: print the head now */
		fwrite_unlocked(c->j->out.p, 1, c->j->out.len, stdout);
		json_reset(c->j);
	}
	return 0;
}

static int
show_body(struct app *app, const struct snapshot_info *s, struct show_ctx *c, bool rejected)
{
	int rc;

	if (c->mode == SHOW_JSON && show_json_head(app, s, c, rejected) != 0)
		return -1;
	if (c->mode == SHOW_TEXT) {
		printf("snapshot %lld of feed %s: %s, %lld vehicles, %lld rows rejected\n", s->id,
		       s->feed, s->file, s->vehicles, s->rejected_rows);
		if (store_each_warning(app->store, s->id, show_warning, c) != 0)
			return -1;
	}
	if (c->mode == SHOW_JSONL && store_each_warning(app->store, s->id, show_warning, c) != 0)
		return -1;
	if (rejected) {
		if (store_each_reject(app->store, s->id, show_reject, c) != 0)
			return -1;
		if (c->mode == SHOW_JSON) {
			json_end(c->j);
			json_end(c->j);
			fwrite_unlocked(c->j->out.p, 1, c->j->out.len, stdout);
			putc_unlocked('\n', stdout);
		}
		return 0;
	}
	rc = store_each_at(app->store, s->feed, s->seq, show_vehicle, c);
	ob_flush();
	if (rc != 0)
		return -1;
	if (c->table && !c->table->printed)
		table_flush(c->table);
	if (c->mode == SHOW_JSON)
		out_str("]}\n");
	return 0;
}

int
cmd_show(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"rejected", no_argument, NULL, 'r'},
	                                         {"jsonl", no_argument, NULL, 'l'},
	                                         {"show-personal", no_argument, NULL, 'p'},
	                                         {NULL, 0, NULL, 0}};
	static char buf[OUT_BUFFER];
	struct snapshot_info s;
	struct json j;
	struct show_ctx c = {.j = &j, .mode = app->json ? SHOW_JSON : SHOW_TEXT, .first = true};
	bool rejected = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'r')
			rejected = true;
		else if (opt == 'l')
			c.mode = SHOW_JSONL;
		else if (opt == 'p')
			c.show_personal = true;
		else
			return LS_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return LS_EXIT_USAGE;
	if ((rc = load_snapshot(app, argv[optind], &s, rejected)) != LS_EXIT_OK)
		return rc;
	if (c.mode == SHOW_TEXT && !rejected && isatty(STDOUT_FILENO))
		c.table = xcalloc(1, sizeof(*c.table));
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	json_init(&j);
	json_init(&c.row);
	recjson_init(&c.dec);
	rc = show_body(app, &s, &c, rejected) == 0 ? LS_EXIT_OK : LS_EXIT_SOFTWARE;
	rc = out_finish(rc);
	if (c.table) {
		for (size_t r = 0; r < c.table->nheld; r++)
			for (size_t i = 0; i < TABLE_COLS; i++)
				free(c.table->held[r][i]);
		free(c.table);
	}
	recjson_release(&c.dec);
	for (size_t i = 0; i < ARRAY_SIZE(c.tmp); i++)
		free(c.tmp[i]);
	json_release(&c.row);
	json_release(&j);
	snapshot_info_release(&s);
	return rc;
}

/*
 * diff streams in key order. Text lines go out as they come; --json keeps
 * the documented object {new, vanished, changed, refused}: new keys are
 * printed as they come, the other entries are spooled to temporary files
 * and copied after, so memory stays at one key whatever the sizes.
 */
struct diff_out {
	bool json;
	FILE *vanished, *changed, *refused; /* --json spools */
	struct recjson da, db;
	struct recjson_diff dd; /* a changed key's fields */
	char *vbuf;             /* currencies and naming fields, decoded */
	size_t valloc;
	struct json row;
	size_t nnew, nchanged, nvanished, nrefused;
	bool bad;           /* stored JSON that did not decode */
	bool show_personal; /* --show-personal: persons' values as stored */
};

/* A changed value as diff shows it: a person's personal data masked unless asked. */
static const char *
diff_value(const struct diff_out *o, const char *key, const char *name, const char *v, char *masked)
{
	return v && !o->show_personal && wo_key_is_person(key) ? wo_mask(name, v, masked) : v;
}

/* One side of a changed field on a text line: masked as diff_value() says, shown for people. */
static void
put_changed_value(const struct diff_out *o, const char *key, const char *name, const char *v,
                  const char *currency)
{
	char shown[PRESENT_MAX], masked[WO_MASK_MAX];

	fputs_unlocked(present_value(name, diff_value(o, key, name, v, masked), currency, shown),
	               stdout);
}

/* One changed key as a JSON element into f (with its leading comma after the first). */
static void
changed_json(struct diff_out *o, const struct diff_change *ch, FILE *f)
{
	json_reset(&o->row);
	json_obj(&o->row);
	json_key(&o->row, "key");
	json_str(&o->row, ch->key);
	json_key(&o->row, "fields");
	json_obj(&o->row);
	for (size_t k = 0; k < ch->nfields; k++) {
		char m1[WO_MASK_MAX], m2[WO_MASK_MAX];

		json_key(&o->row, ch->fields[k].name);
		json_arr(&o->row);
		json_str(&o->row,
		         diff_value(o, ch->key, ch->fields[k].name, ch->fields[k].old, m1));
		json_str(&o->row,
		         diff_value(o, ch->key, ch->fields[k].name, ch->fields[k].new_, m2));
		json_end(&o->row);
	}
	json_end(&o->row);
	json_end(&o->row);
	if (o->nchanged > 1)
		putc_unlocked(',', f);
	fwrite_unlocked(o->row.out.p, 1, o->row.out.len, f);
}

/* "~ KEY (stock 25692E, 2026 Volkswagen ID.4)": the mark, the key and what a person calls it. */
static void
put_named(const char *mark, const char *key, const char *name)
{
	fputs_unlocked(mark, stdout);
	putc_unlocked(' ', stdout);
	fputs_unlocked(key, stdout);
	if (name[0]) {
		fputs_unlocked(" (", stdout);
		fputs_unlocked(name, stdout);
		putc_unlocked(')', stdout);
	}
}

/* The same, named from a decoded record (or NULL: the key alone). */
static void
print_named(const char *mark, const char *key, const struct record *r)
{
	char name[PRESENT_MAX] = "";

	if (r)
		present_vehicle(r, name);
	put_named(mark, key, name);
}

/*
 * The value of field name in a scanned version, decoded into *at (which
 * moves past it), or NULL when absent. The caller sized the buffer for the
 * fields it asks for (value_room()).
 */
static const char *
scanned_value(const struct recjson *d, const char *name, char **at)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < d->nspans; i++) {
		const struct recjson_span *sp = &d->spans[i];
		char *v = *at;

		if (sp->name.len != n || memcmp(sp->name.p, name, n) != 0)
			continue;
		if (recjson_unescape(&sp->value, v) == -1)
			return NULL;
		*at += strlen(v) + 1;
		return v;
	}
	return NULL;
}

static size_t
value_room(const struct recjson *d)
{
	size_t n = 1;

	for (size_t i = 0; i < d->nspans; i++)
		n += d->spans[i].value.len + 1;
	return n;
}

/*
 * The vehicle's name (present_vehicle()) from a scanned version: only its
 * four naming fields decoded, into o->vbuf after `used` bytes.
 */
static void
scanned_name(struct diff_out *o, const struct recjson *d, size_t used, char name[PRESENT_MAX])
{
	struct field parts[PRESENT_NAMING];
	struct record r = {.fields = parts};
	char *at = o->vbuf + used;

	for (size_t i = 0; i < PRESENT_NAMING; i++) {
		const char *v = scanned_value(d, present_naming[i], &at);

		if (v)
			parts[r.nfields++] = (struct field){(char *)present_naming[i], (char *)v};
	}
	present_vehicle(&r, name);
}

/* A new or vanished key's line, named from its stored version. */
static void
print_named_json(struct diff_out *o, const char *mark, const char *key, const char *json,
                 size_t len)
{
	char name[PRESENT_MAX] = "";

	if (recjson_scan(&o->da, json, len) == 0) {
		o->vbuf = xgrow(o->vbuf, &o->valloc, value_room(&o->da), 1);
		scanned_name(o, &o->da, 0, name);
	}
	put_named(mark, key, name);
	putc_unlocked('\n', stdout);
}

/* A changed key whose field names hold escapes: both versions decoded whole. */
static int
diff_changed_decoded(struct diff_out *o, const struct store_diff_item *d)
{
	struct record ra, rb;
	struct diff_change ch;

	if (recjson_parse(&o->da, d->old_json, d->old_len) == -1 ||
	    recjson_parse(&o->db, d->new_json, d->new_len) == -1) {
		o->bad = true;
		return log_error("'%s': stored JSON does not decode", d->key);
	}
	ra = recjson_record(&o->da, d->key);
	rb = recjson_record(&o->db, d->key);
	diff_fields(&ra, &rb, &ch);
	if (ch.nfields > 0) {
		o->nchanged++;
		if (o->json)
			changed_json(o, &ch, o->changed);
		/* One line per field, the vehicle named, so grep finds a key's price changes. */
		const char *cur_a = o->json ? NULL : record_get(&ra, "currency");
		const char *cur_b = o->json ? NULL : record_get(&rb, "currency");

		for (size_t k = 0; !o->json && k < ch.nfields; k++) {
			print_named("~", ch.key, &rb);
			putc_unlocked(' ', stdout);
			fputs_unlocked(ch.fields[k].name, stdout);
			fputs_unlocked(": ", stdout);
			put_changed_value(o, ch.key, ch.fields[k].name, ch.fields[k].old, cur_a);
			fputs_unlocked(" -> ", stdout);
			put_changed_value(o, ch.key, ch.fields[k].name, ch.fields[k].new_, cur_b);
			putc_unlocked('\n', stdout);
		}
	}
	diff_change_release(&ch);
	return 0;
}

/* One line per changed field, the vehicle named once for all of them. */
static void
print_changes(struct diff_out *o, const struct diff_change *ch)
{
	const char *cur_a, *cur_b;
	char name[PRESENT_MAX], *at;

	/* The currencies and the naming fields: decoded once, whatever the buffer held */
	o->vbuf = xgrow(o->vbuf, &o->valloc, value_room(&o->da) + value_room(&o->db), 1);
	at = o->vbuf;
	cur_a = scanned_value(&o->da, "currency", &at);
	cur_b = scanned_value(&o->db, "currency", &at);
	scanned_name(o, &o->db, (size_t)(at - o->vbuf), name);
	for (size_t k = 0; k < ch->nfields; k++) {
		put_named("~", ch->key, name);
		putc_unlocked(' ', stdout);
		fputs_unlocked(ch->fields[k].name, stdout);
		fputs_unlocked(": ", stdout);
		put_changed_value(o, ch->key, ch->fields[k].name, ch->fields[k].old, cur_a);
		fputs_unlocked(" -> ", stdout);
		put_changed_value(o, ch->key, ch->fields[k].name, ch->fields[k].new_, cur_b);
		putc_unlocked('\n', stdout);
	}
}

/*
 * A changed key: both versions scanned, not decoded, and only the fields
 * whose stored text differs decoded and compared (recjson_diff()); the
 * month's diff spent a fifth of its main thread decoding every field.
 */
static int
diff_changed(struct diff_out *o, const struct store_diff_item *d)
{
	struct diff_change ch;
	int rc;

	if (recjson_scan(&o->da, d->old_json, d->old_len) == -1 ||
	    recjson_scan(&o->db, d->new_json, d->new_len) == -1 ||
	    (rc = recjson_diff(&o->dd, &o->da, &o->db)) == -1) {
		o->bad = true;
		return log_error("'%s': stored JSON does not decode", d->key);
	}
	if (rc == 1)
		return diff_changed_decoded(o, d);
	if (o->dd.n == 0)
		return 0;
	/* The views are the decoder's: nothing here to release */
	ch = (struct diff_change){
	        .key = (char *)d->key, .fields = o->dd.fields, .nfields = o->dd.n};
	o->nchanged++;
	if (o->json)
		changed_json(o, &ch, o->changed);
	else
		print_changes(o, &ch);
	return 0;
}

/*
 * A row B refused: "! KEY line 12 price: reason" (the key's version stays,
 * so it is not vanished), or "! line 12: reason" without a readable key.
 */
static int
diff_refused(struct diff_out *o, const struct store_diff_item *d)
{
	if (!o->json) {
		printf("! %s%sline %lld%s%s: %s\n", d->key ? d->key : "", d->key ? " " : "",
		       d->line, d->field ? " " : "", d->field ? d->field : "", d->refused);
		o->nrefused++;
		return 0;
	}
	json_reset(&o->row);
	json_obj(&o->row);
	json_key(&o->row, "key");
	json_str(&o->row, d->key);
	json_key(&o->row, "line");
	json_int(&o->row, d->line);
	json_key(&o->row, "field");
	json_str(&o->row, d->field);
	json_key(&o->row, "reason");
	json_str(&o->row, d->refused);
	json_end(&o->row);
	if (o->nrefused++)
		putc_unlocked(',', o->refused);
	fwrite_unlocked(o->row.out.p, 1, o->row.out.len, o->refused);
	return 0;
}

static int
diff_item(void *ctx, const struct store_diff_item *d)
{
	struct diff_out *o = ctx;

	if (d->refused)
		return diff_refused(o, d);
	if (d->old_json && d->new_json)
		return diff_changed(o, d);
	if (!d->old_json) {
		if (o->json && o->nnew)
			putc_unlocked(',', stdout);
		o->nnew++;
		if (o->json)
			out_json_str(&o->row, d->key);
		else
			print_named_json(o, "+", d->key, d->new_json, d->new_len);
		return 0;
	}
	if (o->json && o->nvanished)
		putc_unlocked(',', o->vanished);
	o->nvanished++;
	if (!o->json) {
		print_named_json(o, "-", d->key, d->old_json, d->old_len);
		return 0;
	}
	json_reset(&o->row);
	json_str(&o->row, d->key);
	fwrite_unlocked(o->row.out.p, 1, o->row.out.len, o->vanished);
	return 0;
}

/* Copy a spool to stdout from its start; -1 on a read or write error (logged). */
static int
copy_spool(FILE *f)
{
	char b[1 << 16];
	size_t n;

	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		return log_syserr("diff: temporary file");
	while ((n = fread(b, 1, sizeof(b), f)) > 0)
		fwrite_unlocked(b, 1, n, stdout);
	if (ferror(f))
		return log_syserr("diff: reading a temporary file");
	return 0;
}

static int
diff_stream(struct app *app, const struct snapshot_info *a, const struct snapshot_info *b,
            struct diff_out *o)
{
	if (o->json) {
		if (!(o->vanished = tmpfile()) || !(o->changed = tmpfile()) ||
		    !(o->refused = tmpfile()))
			return log_syserr("diff: creating a temporary file");
		out_str("{\"new\":[");
	}
	/* Text names new and vanished vehicles: it needs their versions too. */
	if ((o->json ? store_diff_each : store_diff_each_full)(app->store, a->feed, a->seq, b->seq,
	                                                       diff_item, o) != 0)
		return -1;
	if (o->json && (ferror(o->vanished) || ferror(o->changed) || ferror(o->refused)))
		return log_syserr("diff: writing a temporary file");
	if (!o->json) {
		printf("%zu new, %zu changed, %zu vanished, %zu refused\n", o->nnew, o->nchanged,
		       o->nvanished, o->nrefused);
		return 0;
	}
	out_str("],\"vanished\":[");
	if (copy_spool(o->vanished) != 0)
		return -1;
	out_str("],\"changed\":[");
	if (copy_spool(o->changed) != 0)
		return -1;
	out_str("],\"refused\":[");
	if (copy_spool(o->refused) != 0)
		return -1;
	out_str("]}\n");
	return 0;
}

int
cmd_diff(struct app *app, int argc, char **argv)
{
	static char buf[OUT_BUFFER];
	struct snapshot_info a, b;
	struct diff_out o = {.json = app->json};
	int rc;

	if (argc == 4 && !strcmp(argv[3], "--show-personal")) {
		o.show_personal = true;
		argc = 3;
	}
	if (argc != 3)
		return LS_EXIT_USAGE;
	if ((rc = load_snapshot(app, argv[1], &a, false)) != LS_EXIT_OK)
		return rc;
	if ((rc = load_snapshot(app, argv[2], &b, false)) != LS_EXIT_OK) {
		snapshot_info_release(&a);
		return rc;
	}
	if (strcmp(a.feed, b.feed) != 0) {
		log_error("snapshots %lld (%s) and %lld (%s) belong to different feeds", a.id,
		          a.feed, b.id, b.feed);
		rc = LS_EXIT_USAGE;
		goto out;
	}
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	recjson_init(&o.da);
	recjson_init(&o.db);
	recjson_diff_init(&o.dd);
	json_init(&o.row);
	rc = diff_stream(app, &a, &b, &o) == 0 ? LS_EXIT_OK : LS_EXIT_SOFTWARE;
	rc = out_finish(rc);
	if (o.vanished)
		fclose(o.vanished);
	if (o.changed)
		fclose(o.changed);
	if (o.refused)
		fclose(o.refused);
	recjson_release(&o.da);
	recjson_release(&o.db);
	recjson_diff_release(&o.dd);
	free(o.vbuf);
	json_release(&o.row);
out:
	snapshot_info_release(&a);
	snapshot_info_release(&b);
	return rc;
}

/*
 * Whether archived sha is the content of a file claimed into work/<feed>/:
 * a run that failed before its commit (disk full, I/O error, kill) leaves
 * it there, and the next run applies it; it is pending, not an orphan.
 */
static bool
pending_in_work(struct app *app, const char *feed, const char *sha)
{
	char **names, hex[FSIO_SHA256_HEX];
	size_t n;
	bool found = false;

	if (spool_list(&app->spool, SPOOL_WORK, feed, &names, &n) == -1)
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		char *path = spool_file_path(&app->spool, SPOOL_WORK, feed, names[i]);

		found = fsio_sha256_file(path, hex, NULL) == 0 && strcmp(hex, sha) == 0;
		free(path);
	}
	spool_names_free(names, n);
	return found;
}

/* Archived files that no snapshot or quarantined file refers to: added behind lotsync's back. */
static int
verify_orphans(struct app *app, struct verify_report *r)
{
	char **feeds, **files;
	size_t nfeeds, nfiles;
	int rc = 0;

	if (spool_list(&app->spool, SPOOL_ARCHIVE, NULL, &feeds, &nfeeds) == -1)
		return -1;
	for (size_t i = 0; i < nfeeds && rc == 0; i++) {
		if (spool_list(&app->spool, SPOOL_ARCHIVE, feeds[i], &files, &nfiles) == -1) {
			rc = -1;
			break;
		}
		for (size_t k = 0; k < nfiles && rc == 0; k++) {
			int known = store_archive_known(app->store, feeds[i], files[k]);
			char msg[sizeof(r->first)];

			if (known == -1) {
				rc = -1;
			} else if (known == 0 && pending_in_work(app, feeds[i], files[k])) {
				log_info("archive/%s/%s: claimed in work/%s, not applied yet (the "
				         "next run applies it)",
				         feeds[i], files[k], feeds[i]);
			} else if (known == 0) {
				snprintf(msg, sizeof(msg),
				         "archive/%s/%s: no snapshot or quarantined file refers to "
				         "it (a run killed before its commit leaves one until the "
				         "next run; otherwise it was put there behind lotsync's "
				         "back)",
				         feeds[i], files[k]);
				log_error("%s", msg);
				if (r->problems++ == 0)
					memcpy(r->first, msg, sizeof(msg));
			}
		}
		spool_names_free(files, nfiles);
	}
	spool_names_free(feeds, nfeeds);
	return rc;
}

int
cmd_verify(struct app *app, int argc, char **argv)
{
	struct verify_report r;
	char head[65];
	char *archive;
	int rc;

	(void)argv;
	if (argc != 1)
		return LS_EXIT_USAGE;
	if (!app->store) {
		log_error("no database at %s: nothing to verify", app->cfg.database);
		return LS_EXIT_DATAERR;
	}
	archive = spool_path(&app->spool, SPOOL_ARCHIVE, NULL);
	rc = store_verify(app->store, archive, &r);
	free(archive);
	if (rc == -1 || verify_orphans(app, &r) == -1 ||
	    guard_verify(app, &r.problems, r.first, sizeof(r.first)) == -1 ||
	    store_chain_head(app->store, head) == -1)
		return store_failure(app->store);
	if (app->json) {
		struct json j;

		json_init(&j);
		json_obj(&j);
		json_key(&j, "ok");
		json_bool(&j, r.problems == 0);
		json_key(&j, "chain_entries");
		json_int(&j, r.entries);
		json_key(&j, "snapshots");
		json_int(&j, r.snapshots);
		json_key(&j, "archived_files");
		json_int(&j, r.files);
		json_key(&j, "problems");
		json_int(&j, r.problems);
		json_key(&j, "chain_head");
		json_str(&j, head);
		json_end(&j);
		json_print(&j);
	} else {
		printf("%s: %lld chain entries, %lld snapshots, %lld archived files, %lld "
		       "problem(s); chain head %s\n",
		       r.problems ? "FAILED" : "ok", r.entries, r.snapshots, r.files, r.problems,
		       head);
	}
	if (r.problems)
		notify_verify_failed(app, &r);
	return r.problems ? LS_EXIT_DATAERR : LS_EXIT_OK;
}
