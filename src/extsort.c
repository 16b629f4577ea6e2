/* extsort.c - records in key order in bounded memory (see extsort.h). */
#include "lotsync/extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

/*
 * A record, in an arena and in the file alike: this header, the key, a
 * NUL, the payload, a NUL, padded to 8 bytes so the next header is aligned.
 */
struct rec {
	uint32_t klen, plen;
	uint64_t tie;
};

#define REC_SIZE(klen, plen) (((sizeof(struct rec) + (klen) + (plen) + 2) + 7) & ~(size_t)7)
#define WBUF                 ((size_t)1 << 20)  /* run writes */
#define RBUF                 ((size_t)64 << 10) /* each run's read buffer while merging */

/* A record to sort: its key's first 8 bytes as a big-endian number decide most comparisons. */
struct ref {
	uint64_t pre;
	const struct rec *r;
};

/*
 * Records are added to one arena while the other is sorted and written
 * out by a thread of its own: the caller's reads (SQLite) and the run
 * writes overlap on two cores. Each arena is half the budget.
 */
struct arena {
	char *mem;
	size_t used;
	struct ref *refs;
	size_t nrefs, ralloc;
};

struct run {
	off_t off, end; /* the run's bytes in the file */
};

struct reader {
	off_t off, end; /* what is left of the run in the file */
	char *buf;
	size_t alloc, pos, len;          /* buf[pos, len) read, not consumed */
	const struct ref *mem, *mem_end; /* instead: an arena's sorted records */
	struct ref cur;                  /* cur.r NULL when done */
};

struct extsort {
	struct arena ar[2];
	int active;        /* the arena records are added to */
	size_t half;       /* bytes of each arena */
	bool writing;      /* the writer thread has the other arena */
	struct arena *out; /* the arena the writer sorts and writes */
	pthread_t writer;
	int writer_rc;
	int fd; /* the temporary file, -1 until the first run */
	off_t fsize;
	struct run *runs;
	size_t nruns, runalloc;
	char *wbuf;
	size_t wlen;
	bool failed;
};

static const char *
rec_key(const struct rec *r)
{
	return (const char *)(r + 1);
}

static uint64_t
prefix(const char *key, size_t klen)
{
	uint64_t p = 0;

	for (size_t i = 0; i < 8; i++)
		p = p << 8 | (i < klen ? (unsigned char)key[i] : 0);
	return p;
}

static int
rec_cmp(const struct rec *a, const struct rec *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(rec_key(a), rec_key(b), n);

	if (c)
		return c;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	return a->tie < b->tie ? -1 : a->tie > b->tie;
}

static inline int
ref_cmp(const struct ref *a, const struct ref *b)
{
	if (a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	return rec_cmp(a->r, b->r);
}

static int
qcmp(const void *a, const void *b)
{
	return ref_cmp(a, b);
}

struct extsort *
extsort_new(size_t budget)
{
	struct extsort *x = xcalloc(1, sizeof(*x));

	x->half = (budget < 8192 ? 8192 : budget) / 2;
	x->fd = -1;
	return x;
}

static int writer_join(struct extsort *x);

void
extsort_free(struct extsort *x)
{
	if (!x)
		return;
	writer_join(x);
	if (x->fd >= 0)
		close(x->fd);
	for (int i = 0; i < 2; i++) {
		free(x->ar[i].mem);
		free(x->ar[i].refs);
	}
	free(x->runs);
	free(x->wbuf);
	free(x);
}

size_t
extsort_runs(struct extsort *x)
{
	writer_join(x); /* the count is the writer's while it runs */
	return x->nruns;
}

/* An unlinked file in $TMPDIR (else /tmp), read and written by this process only. */
static int
temp_open(struct extsort *x)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) { /* a file system without O_TMPFILE */
		path = xasprintf("%s/lotsync-sort.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		free(path);
	}
	if (fd < 0)
		return log_syserr("a temporary file for sorting in %s", dir);
	x->fd = fd;
	return 0;
}

/* n bytes at the end of the file */
static int
append(struct extsort *x, const char *p, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(x->fd, p + done, n - done, x->fsize);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return log_syserr("writing a temporary file for sorting");
		done += (size_t)w;
		x->fsize += w;
	}
	return 0;
}

static int
wflush(struct extsort *x)
{
	int rc = append(x, x->wbuf, x->wlen);

	x->wlen = 0;
	return rc;
}

static int
wput(struct extsort *x, const void *p, size_t n)
{
	if (x->wlen + n > WBUF && wflush(x) == -1)
		return -1;
	if (n > WBUF) /* one record larger than the buffer: straight out */
		return append(x, p, n);
	memcpy(x->wbuf + x->wlen, p, n);
	x->wlen += n;
	return 0;
}

/* refs[0, n) sorted and appended to the file as one run. */
static int
write_run(struct extsort *x, struct ref *refs, size_t n)
{
	struct run r;

	if (x->fd < 0 && temp_open(x) == -1)
		return -1;
	if (!x->wbuf)
		x->wbuf = xmalloc(WBUF);
	qsort(refs, n, sizeof(*refs), qcmp);
	r.off = x->fsize;
	for (size_t i = 0; i < n; i++)
		if (wput(x, refs[i].r, REC_SIZE(refs[i].r->klen, refs[i].r->plen)) == -1)
			return -1;
	if (wflush(x) == -1)
		return -1;
	r.end = x->fsize;
	x->runs = xgrow(x->runs, &x->runalloc, x->nruns + 1, sizeof(*x->runs));
	x->runs[x->nruns++] = r;
	return 0;
}

/* The writer thread: the arena the caller left sorted and written out. */
static void *
writer_main(void *arg)
{
	struct extsort *x = arg;
	struct arena *a = x->out;

	x->writer_rc = write_run(x, a->refs, a->nrefs);
	a->nrefs = 0;
	a->used = 0;
	return NULL;
}

/* Wait for the writer; its result. */
static int
writer_join(struct extsort *x)
{
	if (!x->writing)
		return 0;
	pthread_join(x->writer, NULL);
	x->writing = false;
	if (x->writer_rc == -1)
		x->failed = true;
	return x->writer_rc;
}

/* The active arena handed to the writer (after the previous one is out); the other becomes active.
 */
static int
hand_off(struct extsort *x)
{
	if (writer_join(x) == -1)
		return -1;
	x->out = &x->ar[x->active];
	x->active = !x->active;
	x->writer_rc = 0;
	if (pthread_create(&x->writer, NULL, writer_main, x) != 0) {
		/* no thread to be had: write it on this one */
		writer_main(x);
		return x->writer_rc;
	}
	x->writing = true;
	return 0;
}

int
extsort_add(struct extsort *x, const char *key, size_t klen, uint64_t tie, const void *head,
            size_t hlen, const void *body, size_t blen)
{
	size_t plen = hlen + blen, size = REC_SIZE(klen, plen);
	struct arena *a = &x->ar[x->active];
	struct rec *r;
	char *p;

	if (x->failed)
		return -1;
	if (klen > UINT32_MAX || plen > UINT32_MAX)
		return log_error("a record of %zu bytes is too large to sort", klen + plen);
	if (a->used + size > x->half && a->nrefs > 0) {
		if (hand_off(x) == -1) {
			x->failed = true;
			return -1;
		}
		a = &x->ar[x->active];
	}
	if (!a->mem)
		a->mem = xmalloc(x->half);
	if (size > x->half) { /* larger than an arena: a run of its own, written here */
		struct ref one;
		int rc;

		if (writer_join(x) == -1)
			return -1;
		r = xmalloc(size);
		one = (struct ref){.r = r};
		*r = (struct rec){.klen = (uint32_t)klen, .plen = (uint32_t)plen, .tie = tie};
		p = (char *)(r + 1);
		memcpy(p, key, klen);
		p[klen] = '\0';
		if (hlen)
			memcpy(p + klen + 1, head, hlen);
		if (blen)
			memcpy(p + klen + 1 + hlen, body, blen);
		p[klen + 1 + plen] = '\0';
		rc = write_run(x, &one, 1);
		free(r);
		if (rc == -1)
			x->failed = true;
		return rc;
	}
	r = (struct rec *)(a->mem + a->used);
	a->used += size;
	*r = (struct rec){.klen = (uint32_t)klen, .plen = (uint32_t)plen, .tie = tie};
	p = (char *)(r + 1);
	memcpy(p, key, klen);
	p[klen] = '\0';
	p += klen + 1;
	if (hlen)
		memcpy(p, head, hlen);
	if (blen)
		memcpy(p + hlen, body, blen);
	p[plen] = '\0';
	a->refs = xgrow(a->refs, &a->ralloc, a->nrefs + 1, sizeof(*a->refs));
	a->refs[a->nrefs++] = (struct ref){.pre = prefix(key, klen), .r = r};
	return 0;
}

/* Make n bytes of rd's run available at rd->buf + rd->pos; -1 on a read error. */
static int
fill(struct extsort *x, struct reader *rd, size_t n)
{
	if (rd->len - rd->pos >= n)
		return 0;
	memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
	rd->len -= rd->pos;
	rd->pos = 0;
	if (n > rd->alloc)
		rd->buf = xgrow(rd->buf, &rd->alloc, n, 1);
	while (rd->len < n) {
		size_t want = rd->alloc - rd->len;
		ssize_t got;

		if ((off_t)want > rd->end - rd->off)
			want = (size_t)(rd->end - rd->off);
		got = pread(x->fd, rd->buf + rd->len, want, rd->off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return log_syserr("reading a temporary file for sorting");
		if (got == 0)
			return log_error("a temporary file for sorting ended early");
		rd->len += (size_t)got;
		rd->off += got;
	}
	return 0;
}

/* rd->cur to the next record of its run (cur.r NULL at its end), past the current one. */
static int
advance(struct extsort *x, struct reader *rd)
{
	struct rec h;

	if (rd->mem) {
		rd->cur = rd->mem < rd->mem_end ? *rd->mem++ : (struct ref){0};
		return 0;
	}
	if (rd->cur.r) {
		rd->pos += REC_SIZE(rd->cur.r->klen, rd->cur.r->plen);
		rd->cur.r = NULL;
	}
	if (rd->len == rd->pos && rd->off == rd->end)
		return 0;
	if (fill(x, rd, sizeof(h)) == -1)
		return -1;
	memcpy(&h, rd->buf + rd->pos, sizeof(h));
	if (fill(x, rd, REC_SIZE(h.klen, h.plen)) == -1)
		return -1;
	rd->cur.r = (const struct rec *)(rd->buf + rd->pos);
	rd->cur.pre = prefix(rec_key(rd->cur.r), h.klen);
	return 0;
}

static int
emit(const struct rec *r, extsort_fn fn, void *ctx)
{
	const char *key = rec_key(r);

	return fn(ctx, key, r->klen, r->tie, key + r->klen + 1, r->plen);
}

/* A min-heap of readers by their current record. */
static void
sift_down(struct reader **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < n && ref_cmp(&h[l]->cur, &h[m]->cur) < 0)
			m = l;
		if (l + 1 < n && ref_cmp(&h[l + 1]->cur, &h[m]->cur) < 0)
			m = l + 1;
		if (m == i)
			return;
		struct reader *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* The runs in the file and the active arena's sorted records (mem, n), merged. */
static int
merge(struct extsort *x, const struct ref *mem, size_t nmem, extsort_fn fn, void *ctx)
{
	size_t nr = x->nruns + 1, n = 0;
	struct reader *rds = xcalloc(nr, sizeof(*rds));
	struct reader **heap = xcalloc(nr, sizeof(*heap));
	int ret = 0;

	for (size_t i = 0; i < nr; i++) {
		if (i < x->nruns) {
			rds[i].off = x->runs[i].off;
			rds[i].end = x->runs[i].end;
			rds[i].buf = xgrow(NULL, &rds[i].alloc, RBUF, 1);
		} else {
			rds[i].mem = mem;
			rds[i].mem_end = mem + nmem;
		}
		if ((ret = advance(x, &rds[i])) != 0)
			goto out;
		if (rds[i].cur.r)
			heap[n++] = &rds[i];
	}
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i);
	while (n > 0) {
		if ((ret = emit(heap[0]->cur.r, fn, ctx)) != 0 || (ret = advance(x, heap[0])) != 0)
			goto out;
		if (!heap[0]->cur.r)
			heap[0] = heap[--n];
		sift_down(heap, n, 0);
	}
out:
	for (size_t i = 0; i < nr; i++)
		free(rds[i].buf);
	free(rds);
	free(heap);
	return ret;
}

int
extsort_each(struct extsort *x, extsort_fn fn, void *ctx)
{
	struct arena *a = &x->ar[x->active];
	int ret;

	if (writer_join(x) == -1 || x->failed)
		return -1;
	/* the arena being added to stays in memory: sorted, it is one more run */
	if (a->nrefs > 0) /* qsort's base may not be NULL, even for no rows */
		qsort(a->refs, a->nrefs, sizeof(*a->refs), qcmp);
	if (x->nruns == 0) { /* everything in memory: no file */
		for (size_t i = 0; i < a->nrefs; i++)
			if ((ret = emit(a->refs[i].r, fn, ctx)) != 0)
				return ret;
		return 0;
	}
	/* the other arena is free now: the readers' buffers take its place */
	free(x->ar[!x->active].mem);
	x->ar[!x->active].mem = NULL;
	return merge(x, a->refs, a->nrefs, fn, ctx);
}
