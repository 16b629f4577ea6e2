/* parse_xml.c - records out of XML with xmlTextReader: bounded memory, no DTD, no entities. */
#include "lotsync/parse_xml.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/buf.h"
#include "lotsync/limits.h"
#include "lotsync/util.h"

/* ---- the paths a record is read for, as a tree below the record element ---- */

struct tnode {
	char *raw;            /* element name */
	const xmlChar *name;  /* interned in the reader's dictionary: compared by pointer */
	int parent, kid, sib; /* node indices, -1 = none; children in profile order */
	int value;            /* path whose text this element is, or -1 */
	int hint;             /* the child matched last: the next one is usually its sibling */
};

struct tattr {
	int node;
	char *raw;
	const xmlChar *name;
	int path;
};

struct tree {
	struct tnode *nodes;
	size_t n, alloc;
	struct tattr *attrs;
	size_t nattrs, aalloc;
};

static int
tree_child(struct tree *t, int parent, const char *name, size_t len)
{
	int k, last = -1;

	for (k = t->nodes[parent].kid; k >= 0; last = k, k = t->nodes[k].sib)
		if (strlen(t->nodes[k].raw) == len && memcmp(t->nodes[k].raw, name, len) == 0)
			return k;
	t->nodes = xgrow(t->nodes, &t->alloc, t->n + 1, sizeof(*t->nodes));
	k = (int)t->n++;
	t->nodes[k] = (struct tnode){.raw = xstrndup(name, len),
	                             .parent = parent,
	                             .kid = -1,
	                             .sib = -1,
	                             .value = -1,
	                             .hint = -1};
	if (last < 0)
		t->nodes[parent].kid = k;
	else
		t->nodes[last].sib = k;
	return k;
}

static bool
name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
	       (unsigned char)c >= 0x80 ||
	       (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

static bool
name_ok(const char *s, size_t n)
{
	if (n == 0 || !name_char(s[0], true))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!name_char(s[i], false))
			return false;
	return true;
}

int
parse_xml_path_ok(const char *path)
{
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (*p == '@')
			return !slash && name_ok(p + 1, n - 1) ? 0 : -1;
		if (!name_ok(p, n))
			return -1;
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

static void
tree_add(struct tree *t, const char *path, int index)
{
	int node = 0;
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (*p == '@') {
			t->attrs = xgrow(t->attrs, &t->aalloc, t->nattrs + 1, sizeof(*t->attrs));
			t->attrs[t->nattrs++] =
			        (struct tattr){.node = node, .raw = xstrdup(p + 1), .path = index};
			return;
		}
		node = tree_child(t, node, p, n);
		if (!slash)
			break;
		p = slash + 1;
	}
	if (t->nodes[node].value < 0)
		t->nodes[node].value = index;
}

/*
 * The child of parent named name (an interned pointer), or -1. Feeds write
 * elements in the same order every record, so the search starts after the
 * child found last and usually ends at once.
 */
static int
tree_find(struct tree *t, int parent, const xmlChar *name)
{
	struct tnode *p = &t->nodes[parent];
	int start = p->hint >= 0 && t->nodes[p->hint].sib >= 0 ? t->nodes[p->hint].sib : p->kid;

	for (int k = start; k >= 0; k = t->nodes[k].sib)
		if (t->nodes[k].name == name)
			return p->hint = k;
	for (int k = p->kid; k >= 0 && k != start; k = t->nodes[k].sib)
		if (t->nodes[k].name == name)
			return p->hint = k;
	return -1;
}

static void
tree_release(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->nodes[i].raw);
	for (size_t i = 0; i < t->nattrs; i++)
		free(t->attrs[i].raw);
	free(t->nodes);
	free(t->attrs);
}

/* ---- the byte source: the input, with the prolog checked on the way ---- */

enum prolog { P_TEXT, P_LT, P_PI, P_PI_Q, P_BANG, P_COMMENT, P_DONE };

struct source {
	struct input *in;
	enum prolog st;
	char bang[8];
	int nbang, dashes;
	bool first;
	bool eof;      /* the input ended (a truncated document errs only there) */
	char *refused; /* why the document was refused, or NULL */
};

/*
 * Walk the prolog (XML declaration, comments, processing instructions) up
 * to the root element. A DOCTYPE there is refused before libxml2 reads a
 * byte of it: feeds need none, and it is where entities are declared.
 */
static void
scan_prolog(struct source *s, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n && s->st != P_DONE && !s->refused; i++) {
		unsigned char c = b[i];

		if (s->first) {
			s->first = false;
			if (c == 0xFE || c == 0xFF || c == 0 || (n > i + 1 && b[i + 1] == 0)) {
				s->refused = xasprintf(
				        "document is UTF-16 or UTF-32; feeds must be UTF-8 "
				        "or an 8-bit charset");
				return;
			}
		}
		switch (s->st) {
		case P_TEXT:
			if (c == '<')
				s->st = P_LT;
			break;
		case P_LT:
			s->st = c == '?' ? P_PI : c == '!' ? P_BANG : P_DONE;
			s->nbang = 0;
			break;
		case P_PI: s->st = c == '?' ? P_PI_Q : P_PI; break;
		case P_PI_Q: s->st = c == '>' ? P_TEXT : c == '?' ? P_PI_Q : P_PI; break;
		case P_BANG:
			s->bang[s->nbang++] = (char)c;
			if (s->nbang == 2 && memcmp(s->bang, "--", 2) == 0) {
				s->st = P_COMMENT;
				s->dashes = 0;
			} else if (s->nbang == 7) {
				if (memcmp(s->bang, "DOCTYPE", 7) == 0)
					s->refused = xasprintf(
					        "document has a DOCTYPE: refused, since "
					        "it could declare entities (feeds need none)");
				s->st = P_DONE;
			}
			break;
		case P_COMMENT:
			if (c == '>' && s->dashes >= 2)
				s->st = P_TEXT;
			s->dashes = c == '-' ? s->dashes + 1 : 0;
			break;
		case P_DONE: break;
		}
	}
}

static int
source_read(void *ctx, char *buf, int len)
{
	struct source *s = ctx;
	ssize_t k = input_read(s->in, buf, (size_t)len);

	if (k < 0)
		return -1;
	s->eof = s->eof || k == 0;
	if (s->st != P_DONE)
		scan_prolog(s, (const unsigned char *)buf, (size_t)k);
	return s->refused ? -1 : (int)k;
}

static int
source_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/* libxml2 asks this for every external entity and DTD: the answer is always no. */
static xmlParserInputPtr
refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

/* libxml2 prints some details (the bytes of an encoding error) straight to stderr. */
static void
silent(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static pthread_once_t loader_once = PTHREAD_ONCE_INIT;

static void
install_loader(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(refuse_entity);
	xmlThrDefSetGenericErrorFunc(NULL, silent);
}

/* ---- one parse ---- */

struct pathval {
	struct buf text;
	bool fresh; /* an occurrence began and has no text yet */
};

struct xextra {
	struct buf name, val;
};

struct xstate {
	const struct xml_opts *o;
	xmlTextReaderPtr r;
	struct tree t;
	struct pathval *pv;
	struct xextra *ex;
	size_t nex, exinit, exalloc;
	struct span *vals;
	struct named_span *ns;
	size_t nsalloc;
	int *stack;               /* trie node per depth below the record, -1 = unmapped */
	const xmlChar **names;    /* element names per depth below the record */
	long cur_extra;           /* extra taking the current element's text, -1 */
	const xmlChar *root_name; /* the document's root element */
	const xmlChar *record;    /* interned record element name */
	bool in_record;
	int rel; /* depth below the record element of the current element (0 = the record) */
	unsigned long index, line;
	size_t record_bytes;
	const char *repeated;
	char where[160];
	size_t where_prefix; /* length of "/root/record[" in where, 0 = not built */
	unsigned long where_index;
	char *err;
	unsigned long err_line;
	int err_code;   /* libxml2's code of the first error */
	bool root_open; /* the root element began and has not ended */
};

static void
on_xml_error(void *arg, xmlErrorPtr e)
{
	struct xstate *x = arg;
	char *msg;
	size_t n;

	if (!e || e->level < XML_ERR_ERROR || x->err)
		return;
	msg = xstrdup(e->message ? e->message : "malformed XML");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (char *p = msg; *p; p++) /* "...encoding !\nBytes: 0xEB ...": one line */
		if (*p == '\n')
			*p = ' ';
	x->err = xasprintf("XML error: %s", msg);
	x->err_line = (unsigned long)(e->line > 0 ? e->line : 0);
	x->err_code = e->code;
	free(msg);
}

/* The line of the current node (the parser itself may have read further ahead). */
static unsigned long
node_line(struct xstate *x)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(x->r);
	long line = n ? xmlGetLineNo(n) : -1;

	return line > 0 ? (unsigned long)line
	                : (unsigned long)xmlTextReaderGetParserLineNumber(x->r);
}

static void
xfail(struct xstate *x, char *msg)
{
	if (x->err) {
		free(msg);
		return;
	}
	x->err = msg;
	x->err_line = node_line(x);
}

/* Every value buffer is capped at max_value: a longer value is refused. */
static size_t
max_value(const struct xml_opts *o)
{
	return o->max_value ? o->max_value : LS_MAX_XML_VALUE;
}

static int
append(struct xstate *x, struct buf *b, const char *p, size_t n)
{
	size_t maxrec = x->o->max_record ? x->o->max_record : LS_MAX_XML_RECORD;

	if (n > b->cap - b->len) {
		xfail(x, xasprintf("a value in record %lu is longer than %zu bytes", x->index,
		                   b->cap));
		return -1;
	}
	if ((x->record_bytes += n) > maxrec) {
		xfail(x, xasprintf("record %lu is longer than %zu bytes", x->index, maxrec));
		return -1;
	}
	return buf_append(b, p, n);
}

static bool
all_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

/* Text of a mapped path: a new occurrence is joined with the path's separator. */
static int
path_text(struct xstate *x, int path, const char *p, size_t n)
{
	struct pathval *v = &x->pv[path];

	if (v->fresh && v->text.len > 0) {
		char sep = x->o->joins[path];

		if (!sep) {
			x->repeated = x->repeated ? x->repeated : x->o->paths[path];
		} else if (append(x, &v->text, &sep, 1) == -1) {
			return -1;
		}
	}
	v->fresh = false;
	return append(x, &v->text, p, n);
}

/* Text of an element no path names: kept under its path below the record. */
static int
extra_text(struct xstate *x, const char *p, size_t n)
{
	char path[512];
	size_t len = 0;
	struct xextra *e;

	if (x->rel < 1 || all_space(p, n))
		return 0;
	if (x->cur_extra < 0) {
		for (int d = 1; d <= x->rel; d++) {
			int k = snprintf(path + len, sizeof(path) - len, "%s%s", d > 1 ? "/" : "",
			                 (const char *)x->names[d]);

			len += k > 0 ? (size_t)k : 0;
			if (len >= sizeof(path))
				return 0; /* absurdly long paths are not kept */
		}
		for (size_t i = 0; i < x->nex && x->cur_extra < 0; i++)
			if (x->ex[i].name.len == len && memcmp(x->ex[i].name.p, path, len) == 0)
				x->cur_extra = (long)i;
		if (x->cur_extra < 0) {
			x->ex = xgrow(x->ex, &x->exalloc, x->nex + 1, sizeof(*x->ex));
			e = &x->ex[x->nex];
			if (x->nex == x->exinit) { /* slots are reused across records */
				buf_init(&e->name, max_value(x->o));
				buf_init(&e->val, max_value(x->o));
				x->exinit++;
			}
			buf_reset(&e->name);
			buf_reset(&e->val);
			if (append(x, &e->name, path, len) == -1)
				return -1;
			x->cur_extra = (long)x->nex++;
		} else if (append(x, &x->ex[x->cur_extra].val, "|", 1) == -1) {
			return -1;
		}
	}
	e = &x->ex[x->cur_extra];
	return append(x, &e->val, p, n);
}

static void
record_begin(struct xstate *x)
{
	x->in_record = true;
	x->rel = 0;
	x->stack[0] = 0;
	x->names[0] = x->record;
	x->index++;
	x->line = node_line(x);
	x->record_bytes = 0;
	x->repeated = NULL;
	x->nex = 0;
	x->cur_extra = -1;
	for (size_t i = 0; i < x->o->npaths; i++) {
		buf_reset(&x->pv[i].text);
		x->pv[i].fresh = false;
	}
}

/* "/inventory/vehicle[37]": the element path of the record, for messages. */
static void
set_where(struct xstate *x)
{
	char digits[24], *d = digits + sizeof(digits);
	unsigned long i = x->index;
	size_t n;

	if (!x->where_prefix) {
		int k = snprintf(x->where, sizeof(x->where) - sizeof(digits) - 2, "/%s/%s[",
		                 (const char *)x->root_name, (const char *)x->record);

		x->where_prefix = k > 0 ? strlen(x->where) : 0;
	}
	do
		*--d = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	n = (size_t)(digits + sizeof(digits) - d);
	memcpy(x->where + x->where_prefix, d, n);
	memcpy(x->where + x->where_prefix + n, "]", 2);
	x->where_index = x->index;
}

static enum ls_scope
record_end(struct xstate *x, xml_record_fn fn, void *ctx)
{
	struct xml_record rec = {.line = x->line, .index = x->index, .where = x->where};

	x->in_record = false;
	for (size_t i = 0; i < x->o->npaths; i++)
		x->vals[i] = (struct span){x->pv[i].text.p, x->pv[i].text.len};
	x->ns = xgrow(x->ns, &x->nsalloc, x->nex + 1, sizeof(*x->ns));
	for (size_t i = 0; i < x->nex; i++)
		x->ns[i] = (struct named_span){x->ex[i].name.p, x->ex[i].name.len, x->ex[i].val.p,
		                               x->ex[i].val.len};
	if (x->where_index != x->index) /* "/root/record[" is fixed: only the index changes */
		set_where(x);
	rec.vals = x->vals;
	rec.extras = x->ns;
	rec.nextras = x->nex;
	rec.repeated = x->repeated;
	return fn(ctx, &rec);
}

/* Attributes the tree maps on this node. */
static int
read_attrs(struct xstate *x, int node)
{
	bool any = false;

	for (size_t i = 0; i < x->t.nattrs && !any; i++)
		any = x->t.attrs[i].node == node;
	if (!any)
		return 0;
	while (xmlTextReaderMoveToNextAttribute(x->r) == 1) {
		const xmlChar *name = xmlTextReaderConstLocalName(x->r);
		const xmlChar *val = xmlTextReaderConstValue(x->r);

		for (size_t i = 0; i < x->t.nattrs; i++)
			if (x->t.attrs[i].node == node && x->t.attrs[i].name == name && val) {
				x->pv[x->t.attrs[i].path].fresh = true;
				if (path_text(x, x->t.attrs[i].path, (const char *)val,
				              strlen((const char *)val)) == -1)
					return -1;
			}
	}
	xmlTextReaderMoveToElement(x->r);
	return 0;
}

static enum ls_scope
on_element(struct xstate *x, xml_record_fn fn, void *ctx)
{
	const xmlChar *name = xmlTextReaderConstLocalName(x->r);
	int depth = xmlTextReaderDepth(x->r);
	unsigned max = x->o->max_depth ? x->o->max_depth : LS_MAX_XML_DEPTH;
	bool empty = xmlTextReaderIsEmptyElement(x->r) == 1;
	int node;

	if (depth < 0 || (unsigned)depth >= max) {
		xfail(x, xasprintf("elements nested deeper than %u", max));
		return LS_BAD_FILE;
	}
	if (depth == 0) {
		x->root_name = name;
		x->root_open = !empty;
		if (x->o->root && strcmp((const char *)name, x->o->root) != 0) {
			xfail(x, xasprintf("root element is <%s>, the profile expects <%s>",
			                   (const char *)name, x->o->root));
			return LS_BAD_FILE;
		}
		return LS_OK;
	}
	if (!x->in_record) {
		if (depth != 1)
			return LS_OK;
		if (name != x->record)
			return LS_OK; /* not a record (a header, say): its content is ignored */
		record_begin(x);
		if (read_attrs(x, 0) == -1)
			return LS_BAD_FILE;
		return empty ? record_end(x, fn, ctx) : LS_OK;
	}
	x->rel = depth - 1;
	node = x->stack[x->rel - 1];
	if (node >= 0)
		node = tree_find(&x->t, node, name);
	x->stack[x->rel] = node;
	x->names[x->rel] = name;
	x->cur_extra = -1;
	if (node >= 0 && x->t.nodes[node].value >= 0)
		x->pv[x->t.nodes[node].value].fresh = true;
	if (node >= 0 && read_attrs(x, node) == -1)
		return LS_BAD_FILE;
	if (empty)
		x->rel--;
	return LS_OK;
}

static enum ls_scope
on_text(struct xstate *x)
{
	const char *v = (const char *)xmlTextReaderConstValue(x->r);
	int node;

	if (!x->in_record || !v || x->rel < 1)
		return LS_OK;
	node = x->stack[x->rel];
	if (node >= 0 && x->t.nodes[node].value >= 0)
		return path_text(x, x->t.nodes[node].value, v, strlen(v)) == -1 ? LS_BAD_FILE
		                                                                : LS_OK;
	if (node < 0)
		return extra_text(x, v, strlen(v)) == -1 ? LS_BAD_FILE : LS_OK;
	return LS_OK;
}

static enum ls_scope
on_end(struct xstate *x, xml_record_fn fn, void *ctx)
{
	if (!x->in_record)
		return LS_OK;
	if (x->rel == 0)
		return record_end(x, fn, ctx);
	x->rel--;
	x->cur_extra = -1;
	return LS_OK;
}

static enum ls_scope
walk(struct xstate *x, xml_record_fn fn, void *ctx)
{
	enum ls_scope sc = LS_OK;
	int ret;

	while (sc <= LS_BAD_RECORD && (ret = xmlTextReaderRead(x->r)) == 1) {
		switch (xmlTextReaderNodeType(x->r)) {
		case XML_READER_TYPE_ELEMENT: sc = on_element(x, fn, ctx); break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA: sc = on_text(x); break;
		case XML_READER_TYPE_END_ELEMENT:
			if (xmlTextReaderDepth(x->r) == 0)
				x->root_open = false;
			sc = on_end(x, fn, ctx);
			break;
		case XML_READER_TYPE_DOCUMENT_TYPE:
			xfail(x, xasprintf("document has a DOCTYPE: refused"));
			sc = LS_BAD_FILE;
			break;
		case XML_READER_TYPE_ENTITY_REFERENCE:
			xfail(x,
			      xasprintf("entity reference: refused (no entity is ever expanded)"));
			sc = LS_BAD_FILE;
			break;
		default: break;
		}
	}
	if (sc <= LS_BAD_RECORD && ret != 0 && !x->err)
		xfail(x, xasprintf("malformed XML"));
	if (x->err && sc < LS_BAD_FILE)
		sc = LS_BAD_FILE;
	if (sc <= LS_BAD_RECORD && x->in_record) {
		xfail(x, xasprintf("truncated: document ends inside record %lu", x->index));
		sc = LS_BAD_FILE;
	}
	return sc;
}

/*
 * The errors libxml2 gives a document that simply stops (mid-tag, mid-text,
 * mid-attribute): with the input at its end and the root still open, the
 * file was cut, which an operator fixes differently from a malformed one.
 */
static bool
is_truncation(const struct xstate *x, const struct source *src)
{
	switch (x->err_code) {
	case XML_ERR_DOCUMENT_END:
	case XML_ERR_TAG_NOT_FINISHED:
	case XML_ERR_GT_REQUIRED:
	case XML_ERR_LTSLASH_REQUIRED:
	case XML_ERR_NAME_REQUIRED:
	case XML_ERR_ATTRIBUTE_NOT_STARTED:
	case XML_ERR_ATTRIBUTE_NOT_FINISHED:
	case XML_ERR_ATTRIBUTE_WITHOUT_VALUE:
	case XML_ERR_LITERAL_NOT_FINISHED:
	case XML_ERR_CDATA_NOT_FINISHED:
	case XML_ERR_COMMENT_NOT_FINISHED:
	case XML_ERR_PI_NOT_FINISHED:
	case XML_ERR_EQUAL_REQUIRED:
	case XML_ERR_LT_IN_ATTRIBUTE:
	case XML_ERR_ENTITYREF_SEMICOL_MISSING: return x->root_open && src->eof;
	default: return false;
	}
}

static void
state_release(struct xstate *x)
{
	for (size_t i = 0; i < x->o->npaths; i++)
		buf_release(&x->pv[i].text);
	for (size_t i = 0; i < x->exinit; i++) {
		buf_release(&x->ex[i].name);
		buf_release(&x->ex[i].val);
	}
	free(x->ex);
	free(x->pv);
	free(x->vals);
	free(x->ns);
	free(x->stack);
	free(x->names);
	tree_release(&x->t);
	if (x->r)
		xmlFreeTextReader(x->r);
}

enum ls_scope
parse_xml(struct input *in, const struct xml_opts *o, xml_record_fn fn, void *ctx, char **why,
          unsigned long *why_line)
{
	struct source src = {.in = in, .first = true};
	struct xstate x = {.o = o, .cur_extra = -1};
	unsigned max = o->max_depth ? o->max_depth : LS_MAX_XML_DEPTH;
	enum ls_scope sc;

	*why = NULL;
	*why_line = 0;
	pthread_once(&loader_once, install_loader);
	xmlSetGenericErrorFunc(NULL, silent); /* per thread: this one */
	x.t.nodes = xcalloc(1, sizeof(*x.t.nodes));
	x.t.alloc = x.t.n = 1;
	x.t.nodes[0] = (struct tnode){.raw = xstrdup(o->record),
	                              .parent = -1,
	                              .kid = -1,
	                              .sib = -1,
	                              .value = -1,
	                              .hint = -1};
	for (size_t i = 0; i < o->npaths; i++)
		tree_add(&x.t, o->paths[i], (int)i);
	x.pv = xcalloc(o->npaths + 1, sizeof(*x.pv));
	for (size_t i = 0; i < o->npaths; i++)
		buf_init(&x.pv[i].text, max_value(o));
	x.vals = xcalloc(o->npaths + 1, sizeof(*x.vals));
	x.stack = xcalloc(max + 1, sizeof(*x.stack));
	x.names = xcalloc(max + 1, sizeof(*x.names));
	/* No NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE: ever. */
	x.r = xmlReaderForIO(source_read, source_close, &src, NULL, o->encoding,
	                     XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
	                             XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES);
	if (!x.r) {
		*why = xasprintf("cannot start the XML reader");
		state_release(&x);
		return LS_BAD_FILE;
	}
	xmlTextReaderSetStructuredErrorHandler(x.r, on_xml_error, &x);
	/* Intern every name once, so matching an element is a pointer comparison. */
	x.record = xmlTextReaderConstString(x.r, BAD_CAST o->record);
	x.root_name = BAD_CAST "";
	for (size_t i = 0; i < x.t.n; i++)
		x.t.nodes[i].name = xmlTextReaderConstString(x.r, BAD_CAST x.t.nodes[i].raw);
	for (size_t i = 0; i < x.t.nattrs; i++)
		x.t.attrs[i].name = xmlTextReaderConstString(x.r, BAD_CAST x.t.attrs[i].raw);
	sc = walk(&x, fn, ctx);
	if (sc == LS_BAD_FILE) {
		if (src.refused) {
			*why = src.refused;
			src.refused = NULL;
			*why_line = 1;
			free(x.err);
		} else if (input_scope(in) != LS_OK) {
			*why = xstrdup(input_why(in));
			sc = input_scope(in);
			free(x.err);
		} else if (x.err && x.err_code && is_truncation(&x, &src)) {
			*why = xasprintf("truncated: the document ends before its root element "
			                 "closes (%s)",
			                 x.err);
			*why_line = x.err_line;
			free(x.err);
		} else {
			*why = x.err;
			*why_line = x.err_line;
		}
		x.err = NULL;
	}
	free(x.err);
	free(src.refused);
	state_release(&x);
	return sc;
}
