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
	char *raw;            /* element name as the file writes it (prefix:local) */
	const xmlChar *name;  /* interned in the reader's dictionary: compared by pointer */
	char *pattr, *pval;   /* predicate [@pattr='pval'], or NULL */
	int parent, kid, sib; /* node indices, -1 = none; children in profile order */
	int value;            /* path whose text this element is, or -1 */
	int hint;             /* the child matched last: the next one is usually its sibling */
	bool has_pred;        /* a child has a predicate: match by name and attribute */
	bool qname;           /* "g:price": matched with the prefix; else by local name */
};

struct tattr {
	int node;
	char *raw;
	const xmlChar *name;
	int path;
	bool qname;
};

struct tree {
	struct tnode *nodes;
	size_t n, alloc;
	struct tattr *attrs;
	size_t nattrs, aalloc;
};

/* One step of a path: "name", "name[@attr='value']" or "@attr". */
struct pstep {
	const char *name, *pattr, *pval;
	size_t nlen, palen, pvlen;
	bool attr;
};

static bool
same(const char *a, const char *b, size_t blen)
{
	if (!a || !b)
		return !a && !b;
	return strlen(a) == blen && memcmp(a, b, blen) == 0;
}

static int
tree_child(struct tree *t, int parent, const struct pstep *st)
{
	int k, last = -1;

	for (k = t->nodes[parent].kid; k >= 0; last = k, k = t->nodes[k].sib)
		if (same(t->nodes[k].raw, st->name, st->nlen) &&
		    same(t->nodes[k].pattr, st->pattr, st->palen) &&
		    same(t->nodes[k].pval, st->pval, st->pvlen))
			return k;
	t->nodes = xgrow(t->nodes, &t->alloc, t->n + 1, sizeof(*t->nodes));
	k = (int)t->n++;
	t->nodes[k] = (struct tnode){.raw = xstrndup(st->name, st->nlen),
	                             .pattr = st->pattr ? xstrndup(st->pattr, st->palen) : NULL,
	                             .pval = st->pattr ? xstrndup(st->pval, st->pvlen) : NULL,
	                             .parent = parent,
	                             .kid = -1,
	                             .sib = -1,
	                             .value = -1,
	                             .hint = -1,
	                             .qname = memchr(st->name, ':', st->nlen) != NULL};
	if (st->pattr)
		t->nodes[parent].has_pred = true;
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

bool
parse_xml_name_ok(const char *s, size_t n)
{
	if (n == 0 || !name_char(s[0], true) || s[0] == ':' || s[n - 1] == ':')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!name_char(s[i], false))
			return false;
	return true;
}

static size_t
name_len(const char *s)
{
	size_t n = 0;

	while (s[n] && name_char(s[n], n == 0))
		n++;
	return n;
}

/* Parse the step at *p, leaving *p at the '/' after it or at the end; NULL or a reason. */
static const char *
step_parse(const char **p, struct pstep *st)
{
	const char *s = *p;

	memset(st, 0, sizeof(*st));
	if (*s == '@') {
		st->attr = true;
		st->name = ++s;
		st->nlen = name_len(s);
		if (!parse_xml_name_ok(st->name, st->nlen))
			return "'@' needs an attribute name";
		s += st->nlen;
		*p = s;
		return *s ? "an attribute (@name) must be the last step" : NULL;
	}
	st->name = s;
	st->nlen = name_len(s);
	if (!parse_xml_name_ok(st->name, st->nlen))
		return st->nlen || !*s || *s == '/' ? "a step has no element name"
		                                    : "a step starts with a character names cannot";
	s += st->nlen;
	if (*s == '[') {
		char q;

		if (*++s != '@')
			return "a predicate is [@attr='value']";
		st->pattr = ++s;
		st->palen = name_len(s);
		if (!parse_xml_name_ok(st->pattr, st->palen))
			return "a predicate needs an attribute name: [@attr='value']";
		s += st->palen;
		if (*s++ != '=' || (*s != '\'' && *s != '"'))
			return "a predicate compares with a quoted value: [@attr='value']";
		q = *s++;
		st->pval = s;
		while (*s && *s != q)
			s++;
		if (!*s)
			return "a predicate's value has no closing quote";
		st->pvlen = (size_t)(s - st->pval);
		if (*++s != ']')
			return "a predicate ends with ']'";
		s++;
	}
	if (*s && *s != '/')
		return "unexpected character after a step";
	*p = s;
	return NULL;
}

int
parse_xml_path_check(const char *path, char *why, size_t n)
{
	const char *p = path;

	for (;;) {
		struct pstep st;
		const char *e = step_parse(&p, &st);

		if (e) {
			snprintf(why, n, "%s", e);
			return -1;
		}
		if (!*p)
			return 0;
		p++;
	}
}

int
parse_xml_path_ok(const char *path)
{
	char why[8];

	return parse_xml_path_check(path, why, sizeof(why));
}

static void
tree_add(struct tree *t, const char *path, int index)
{
	int node = 0;
	const char *p = path;

	for (;;) {
		struct pstep st;

		if (step_parse(&p, &st) != NULL)
			return; /* the profile checked every path */
		if (st.attr) {
			t->attrs = xgrow(t->attrs, &t->aalloc, t->nattrs + 1, sizeof(*t->attrs));
			t->attrs[t->nattrs++] =
			        (struct tattr){.node = node,
			                       .raw = xstrndup(st.name, st.nlen),
			                       .path = index,
			                       .qname = memchr(st.name, ':', st.nlen) != NULL};
			return;
		}
		node = tree_child(t, node, &st);
		if (!*p)
			break;
		p++;
	}
	if (t->nodes[node].value < 0)
		t->nodes[node].value = index;
}

/* The element being read has attribute n->pattr equal to n->pval. */
static bool
pred_holds(xmlTextReaderPtr r, const struct tnode *n)
{
	xmlChar *v = xmlTextReaderGetAttribute(r, BAD_CAST n->pattr);
	bool ok = v && strcmp((const char *)v, n->pval) == 0;

	xmlFree(v);
	return ok;
}

/*
 * The child of parent named name (an interned pointer), or -1. Feeds write
 * elements in the same order every record, so the search starts after the
 * child found last and usually ends at once. Where children have
 * predicates, the first whose predicate holds wins, else the child of that
 * name without one.
 */
/*
 * The element's name as a step compares it: with its prefix ("g:price") or
 * without. libxml2 interns a prefixed name apart from the same string
 * looked up whole, so those compare by text.
 */
static inline bool
name_is(const xmlChar *want, const char *raw, bool q, const xmlChar *lname, const xmlChar *qname)
{
	if (!q)
		return want == lname;
	return want == qname || strcmp(raw, (const char *)qname) == 0;
}

#define NODE_IS(node, lname, qname) name_is((node)->name, (node)->raw, (node)->qname, lname, qname)

static int
tree_find(struct tree *t, xmlTextReaderPtr r, int parent, const xmlChar *lname,
          const xmlChar *qname)
{
	struct tnode *p = &t->nodes[parent];
	int start, plain = -1;

	if (p->has_pred) {
		for (int k = p->kid; k >= 0; k = t->nodes[k].sib) {
			if (!NODE_IS(&t->nodes[k], lname, qname))
				continue;
			if (!t->nodes[k].pattr) {
				plain = plain < 0 ? k : plain;
				continue;
			}
			if (pred_holds(r, &t->nodes[k]))
				return k;
		}
		return plain;
	}
	start = p->hint >= 0 && t->nodes[p->hint].sib >= 0 ? t->nodes[p->hint].sib : p->kid;
	for (int k = start; k >= 0; k = t->nodes[k].sib)
		if (NODE_IS(&t->nodes[k], lname, qname))
			return p->hint = k;
	for (int k = p->kid; k >= 0 && k != start; k = t->nodes[k].sib)
		if (NODE_IS(&t->nodes[k], lname, qname))
			return p->hint = k;
	return -1;
}

static void
tree_release(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].raw);
		free(t->nodes[i].pattr);
		free(t->nodes[i].pval);
	}
	for (size_t i = 0; i < t->nattrs; i++)
		free(t->attrs[i].raw);
	free(t->nodes);
	free(t->attrs);
}

/* ---- the byte source: the input, with the prolog checked on the way ---- */

enum prolog { P_TEXT, P_LT, P_PI, P_PI_Q, P_BANG, P_COMMENT, P_DONE };

/* Where the attribute counter is in the markup. */
enum tagscan { T_TEXT, T_LT, T_TAG, T_QUOTE, T_SKIP };

struct source {
	struct input *in;
	enum tagscan ts;
	char tq;        /* the quote of the attribute value being read */
	unsigned nattr; /* '=' outside quotes in the start tag being read */
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

/*
 * Count the attributes of each start tag before libxml2 parses it: its
 * duplicate-attribute check is quadratic, so one element with 200,000
 * attributes would cost a minute. Comments, PIs, CDATA and end tags are
 * skipped to their first '>', which at worst counts a few '=' of text as
 * attributes of a tag that is not one; the cap is far above any feed's.
 */
static void
scan_attrs(struct source *s, const char *b, size_t n)
{
	const char *p = b, *end = b + n, *q;

	/* Text, quoted values and skipped markup end at one byte: memchr finds it. */
	while (p < end && !s->refused) {
		switch (s->ts) {
		case T_TEXT:
			if (!(q = memchr(p, '<', (size_t)(end - p))))
				return;
			s->ts = T_LT;
			p = q + 1;
			break;
		case T_LT:
			s->nattr = 0;
			s->ts = *p == '!' || *p == '?' || *p == '/' ? T_SKIP
			        : *p == '>'                         ? T_TEXT
			                                            : T_TAG;
			p++;
			break;
		case T_TAG:
			if (*p == '"' || *p == '\'') {
				s->tq = *p;
				s->ts = T_QUOTE;
			} else if (*p == '>') {
				s->ts = T_TEXT;
			} else if (*p == '=' && ++s->nattr > LS_MAX_XML_ATTRS) {
				s->refused = xasprintf("an element has more than %d attributes "
				                       "(refused: no feed needs that many)",
				                       LS_MAX_XML_ATTRS);
			}
			p++;
			break;
		case T_QUOTE:
			if (!(q = memchr(p, s->tq, (size_t)(end - p))))
				return;
			s->ts = T_TAG;
			p = q + 1;
			break;
		case T_SKIP:
			if (!(q = memchr(p, '>', (size_t)(end - p))))
				return;
			s->ts = T_TEXT;
			p = q + 1;
			break;
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
	if (!s->refused)
		scan_attrs(s, buf, (size_t)k);
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
	const xmlChar **rpath;    /* interned root (NULL = any), mid..., record */
	bool *rqname;             /* per rpath step: compared with its prefix */
	size_t rdepth;            /* depth of the record element (path mode) */
	const xmlChar **outer;    /* element names per depth outside records */
	bool *prefix_ok;          /* per depth: the open element matches the path so far */
	const xmlChar **kids;     /* per depth, 4 distinct names seen under a matching parent */
	bool *had_child;          /* per depth: the open element has child elements */
	int best;                 /* deepest depth whose element matched the path */
	bool in_record;
	int rec_depth; /* depth of the current record element */
	int rel;       /* depth below the record element of the current element (0 = the record) */
	unsigned long index, line;
	size_t record_bytes;
	const char *repeated;
	char where[256];
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
record_begin(struct xstate *x, int depth)
{
	x->in_record = true;
	x->rec_depth = depth;
	if (x->o->anywhere)
		x->where_prefix = 0; /* records may sit at different depths */
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
	size_t n, room = sizeof(x->where) - sizeof(digits) - 2;

	if (!x->where_prefix) {
		size_t len = 0;

		for (int k = 0; k < x->rec_depth && len < room; k++) {
			int w = snprintf(x->where + len, room - len, "/%s",
			                 (const char *)x->outer[k]);

			len += w > 0 ? (size_t)w : 0;
		}
		if (len < room)
			snprintf(x->where + len, room - len, "/%s[", (const char *)x->record);
		x->where_prefix = strlen(x->where);
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
		const xmlChar *lname = xmlTextReaderConstLocalName(x->r);
		const xmlChar *qname = xmlTextReaderConstName(x->r);
		const xmlChar *val = xmlTextReaderConstValue(x->r);

		for (size_t i = 0; i < x->t.nattrs; i++)
			if (x->t.attrs[i].node == node && val &&
			    NODE_IS(&x->t.attrs[i], lname, qname)) {
				x->pv[x->t.attrs[i].path].fresh = true;
				if (path_text(x, x->t.attrs[i].path, (const char *)val,
				              strlen((const char *)val)) == -1)
					return -1;
			}
	}
	xmlTextReaderMoveToElement(x->r);
	return 0;
}

/* Remember name as seen under a parent that matched the path (for the no-match error). */
static void
note_kid(struct xstate *x, int depth, const xmlChar *name)
{
	const xmlChar **k = &x->kids[(size_t)depth * 4];

	for (int i = 0; i < 4; i++) {
		if (k[i] == name)
			return;
		if (!k[i]) {
			k[i] = name;
			return;
		}
	}
}

/* An element outside any record: is it one, or on the way to one? */
static enum ls_scope
outer_element(struct xstate *x, const xmlChar *name, const xmlChar *lname, int depth, bool empty,
              xml_record_fn fn, void *ctx)
{
	bool ok;

	x->outer[depth] = name;
	x->had_child[depth - 1] = true;
	x->had_child[depth] = false;
	if (x->o->anywhere) {
		if (!name_is(x->record, x->o->record, x->rqname[x->rdepth], lname, name))
			return LS_OK;
	} else {
		if ((size_t)depth > x->rdepth)
			return LS_OK;
		if (!x->prefix_ok[depth - 1]) {
			x->prefix_ok[depth] = false;
			return LS_OK;
		}
		ok = name_is(x->rpath[depth],
		             (size_t)depth == x->rdepth ? x->o->record : x->o->mid[depth - 1],
		             x->rqname[depth], lname, name);
		x->prefix_ok[depth] = ok && !empty;
		if (ok && depth > x->best)
			x->best = depth;
		if (!ok || (size_t)depth < x->rdepth)
			return LS_OK; /* not a record (a header, say): its content is ignored */
	}
	record_begin(x, depth);
	if (read_attrs(x, 0) == -1)
		return LS_BAD_FILE;
	return empty ? record_end(x, fn, ctx) : LS_OK;
}

static enum ls_scope
on_element(struct xstate *x, xml_record_fn fn, void *ctx)
{
	const xmlChar *name = xmlTextReaderConstName(x->r);
	const xmlChar *lname = xmlTextReaderConstLocalName(x->r);
	int depth = xmlTextReaderDepth(x->r);
	unsigned max = x->o->max_depth ? x->o->max_depth : LS_MAX_XML_DEPTH;
	bool empty = xmlTextReaderIsEmptyElement(x->r) == 1;
	int node;

	if (depth < 0 || (unsigned)depth >= max) {
		xfail(x, xasprintf("elements nested deeper than %u", max));
		return LS_BAD_FILE;
	}
	if (xmlTextReaderHasAttributes(x->r) == 1 &&
	    xmlTextReaderAttributeCount(x->r) > LS_MAX_XML_ATTRS) {
		xfail(x, xasprintf("element <%s> has more than %d attributes", (const char *)name,
		                   LS_MAX_XML_ATTRS));
		return LS_BAD_FILE;
	}
	if (depth == 0) {
		x->root_name = name;
		x->outer[0] = name;
		x->root_open = !empty;
		x->prefix_ok[0] = !empty;
		if (x->o->root && strcmp((const char *)name, x->o->root) != 0) {
			xfail(x, xasprintf("root element is <%s>, the profile expects <%s>",
			                   (const char *)name, x->o->root));
			return LS_BAD_FILE;
		}
		return LS_OK;
	}
	if (!x->in_record)
		return outer_element(x, name, lname, depth, empty, fn, ctx);
	x->rel = depth - x->rec_depth;
	node = x->stack[x->rel - 1];
	if (node >= 0)
		node = tree_find(&x->t, x->r, node, lname, name);
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

/*
 * An element outside records ends: one with child elements under a parent
 * that matched the path is what the file holds instead of records (leaves,
 * such as an RSS channel's <title>, are not: a feed with no vehicles has
 * them too).
 */
static void
outer_end(struct xstate *x, int depth)
{
	if (depth < 1 || !x->had_child[depth])
		return;
	if (x->o->anywhere
	            ? depth == 1
	            : (size_t)depth <= x->rdepth && x->prefix_ok[depth - 1] && !x->prefix_ok[depth])
		note_kid(x, depth, x->outer[depth]);
}

/* "0 <item> under <rss>; found <channel>": the document holds something else. */
static void
no_records(struct xstate *x)
{
	const xmlChar **k;
	char under[256], found[256];
	size_t u = 0, f = 0;
	int level = x->o->anywhere ? 1 : x->best + 1;

	if (x->err || x->index > 0 || level < 1 || (size_t)level > x->rdepth + 1)
		return;
	k = &x->kids[(size_t)level * 4];
	if (!k[0])
		return; /* an empty inventory: no vehicles, nothing else either */
	for (int d = 0; d < level && !x->o->anywhere && u < sizeof(under); d++) {
		int w = snprintf(under + u, sizeof(under) - u, "%s%s", d ? "/" : "",
		                 (const char *)(d ? x->rpath[d] : x->root_name));

		u += w > 0 ? (size_t)w : 0;
	}
	if (x->o->anywhere)
		snprintf(under, sizeof(under), "%s (at any depth)", (const char *)x->root_name);
	found[0] = '\0';
	for (int i = 0; i < 4 && k[i] && f < sizeof(found); i++) {
		int w = snprintf(found + f, sizeof(found) - f, "%s<%s>", i ? ", " : "",
		                 (const char *)k[i]);

		f += w > 0 ? (size_t)w : 0;
	}
	x->err = xasprintf("0 <%s> under <%s>; found %s%s%s%s", x->o->record, under, found,
	                   x->o->origin ? " (record_element at " : "",
	                   x->o->origin ? x->o->origin : "", x->o->origin ? ")" : "");
	x->err_line = 0;
}

static enum ls_scope
on_end(struct xstate *x, xml_record_fn fn, void *ctx)
{
	if (!x->in_record) {
		outer_end(x, xmlTextReaderDepth(x->r));
		return LS_OK;
	}
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
	if (sc <= LS_BAD_RECORD) {
		no_records(x);
		if (x->err)
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
	free(x->outer);
	free(x->prefix_ok);
	free(x->kids);
	free(x->had_child);
	free(x->rpath);
	free(x->rqname);
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
	x.outer = xcalloc(max + 1, sizeof(*x.outer));
	x.prefix_ok = xcalloc(max + 1, sizeof(*x.prefix_ok));
	x.had_child = xcalloc(max + 1, sizeof(*x.had_child));
	x.rdepth = o->nmid + 1;
	x.kids = xcalloc((x.rdepth + 2) * 4, sizeof(*x.kids));
	x.rpath = xcalloc(x.rdepth + 1, sizeof(*x.rpath));
	x.rqname = xcalloc(x.rdepth + 1, sizeof(*x.rqname));
	for (size_t i = 0; i < o->nmid; i++)
		x.rqname[i + 1] = strchr(o->mid[i], ':') != NULL;
	x.rqname[x.rdepth] = strchr(o->record, ':') != NULL;
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
	x.rpath[0] = o->root ? xmlTextReaderConstString(x.r, BAD_CAST o->root) : NULL;
	for (size_t i = 0; i < o->nmid; i++)
		x.rpath[i + 1] = xmlTextReaderConstString(x.r, BAD_CAST o->mid[i]);
	x.rpath[x.rdepth] = x.record;
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
