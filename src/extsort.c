/* extsort.c - records in key order in bounded memory (see extsort.h). */
#include "lotsync/extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

/*
 * A record, in the arena and in the file alike: this header, the key, a
 * NUL, the payload, a NUL, padded to 8 bytes so the next header is aligned.
 */
struct rec {
	uint32_t klen, plen;
	uint64_t tie;
};

#define REC_SIZE(klen, plen) (((sizeof(struct rec) + (klen) + (plen) + 2) + 7) & ~(size_t)7)
#define WBUF                 ((size_t)1 << 20)  /* run writes */
#define RBUF                 ((size_t)64 << 10) /* each run's read buffer while merging */

struct run {
	off_t off, end; /* the run's bytes in the file */
};

struct reader {
	off_t off, end; /* what is left of the run in the file */
	char *buf;
	size_t alloc, pos, len; /* buf[pos, len) read, not consumed */
	const struct rec *cur;  /* the record at buf + pos, or NULL when done */
};

struct extsort {
	char *arena;
	size_t budget, used;
	const struct rec **recs; /* the arena's records, sorted before a run is written */
	size_t nrecs, ralloc;
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

static int
qcmp(const void *a, const void *b)
{
	return rec_cmp(*(const struct rec *const *)a, *(const struct rec *const *)b);
}

struct extsort *
extsort_new(size_t budget)
{
	struct extsort *x = xcalloc(1, sizeof(*x));

	x->budget = budget < 4096 ? 4096 : budget;
	x->fd = -1;
	return x;
}

void
extsort_free(struct extsort *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	free(x->arena);
	free(x->recs);
	free(x->runs);
	free(x->wbuf);
	free(x);
}

size_t
extsort_runs(const struct extsort *x)
{
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

/* The arena's records sorted and appended to the file as one run; the arena is empty after. */
static int
spill(struct extsort *x)
{
	struct run r;

	if (x->nrecs == 0)
		return 0;
	if (x->fd < 0 && temp_open(x) == -1)
		return -1;
	if (!x->wbuf)
		x->wbuf = xmalloc(WBUF);
	qsort(x->recs, x->nrecs, sizeof(*x->recs), qcmp);
	r.off = x->fsize;
	for (size_t i = 0; i < x->nrecs; i++)
		if (wput(x, x->recs[i], REC_SIZE(x->recs[i]->klen, x->recs[i]->plen)) == -1)
			return -1;
	if (wflush(x) == -1)
		return -1;
	r.end = x->fsize;
	x->runs = xgrow(x->runs, &x->runalloc, x->nruns + 1, sizeof(*x->runs));
	x->runs[x->nruns++] = r;
	x->nrecs = 0;
	x->used = 0;
	return 0;
}

int
extsort_add(struct extsort *x, const char *key, size_t klen, uint64_t tie, const void *head,
            size_t hlen, const void *body, size_t blen)
{
	size_t plen = hlen + blen, size = REC_SIZE(klen, plen);
	struct rec *r;
	char *p;

	if (x->failed)
		return -1;
	if (klen > UINT32_MAX || plen > UINT32_MAX)
		return log_error("a record of %zu bytes is too large to sort", klen + plen);
	if (x->used + size > x->budget && spill(x) == -1) {
		x->failed = true;
		return -1;
	}
	if (!x->arena)
		x->arena = xmalloc(x->budget);
	if (size > x->budget) { /* larger than the whole arena: a run of its own */
		r = xmalloc(size);
	} else {
		r = (struct rec *)(x->arena + x->used);
		x->used += size;
	}
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
	x->recs = xgrow(x->recs, &x->ralloc, x->nrecs + 1, sizeof(*x->recs));
	x->recs[x->nrecs++] = r;
	if (size > x->budget) {
		int rc = spill(x);

		free(r);
		if (rc == -1) {
			x->failed = true;
			return -1;
		}
	}
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

/* rd->cur to the next record of its run (NULL at its end), past the current one. */
static int
advance(struct extsort *x, struct reader *rd)
{
	struct rec h;

	if (rd->cur) {
		rd->pos += REC_SIZE(rd->cur->klen, rd->cur->plen);
		rd->cur = NULL;
	}
	if (rd->len == rd->pos && rd->off == rd->end)
		return 0;
	if (fill(x, rd, sizeof(h)) == -1)
		return -1;
	memcpy(&h, rd->buf + rd->pos, sizeof(h));
	if (fill(x, rd, REC_SIZE(h.klen, h.plen)) == -1)
		return -1;
	rd->cur = (const struct rec *)(rd->buf + rd->pos);
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

		if (l < n && rec_cmp(h[l]->cur, h[m]->cur) < 0)
			m = l;
		if (l + 1 < n && rec_cmp(h[l + 1]->cur, h[m]->cur) < 0)
			m = l + 1;
		if (m == i)
			return;
		struct reader *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int
merge(struct extsort *x, extsort_fn fn, void *ctx)
{
	struct reader *rds = xcalloc(x->nruns, sizeof(*rds));
	struct reader **heap = xcalloc(x->nruns, sizeof(*heap));
	size_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < x->nruns; i++) {
		rds[i] = (struct reader){.off = x->runs[i].off, .end = x->runs[i].end};
		rds[i].buf = xgrow(NULL, &rds[i].alloc, RBUF, 1);
		if ((ret = advance(x, &rds[i])) != 0)
			goto out;
		if (rds[i].cur)
			heap[n++] = &rds[i];
	}
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i);
	while (n > 0) {
		if ((ret = emit(heap[0]->cur, fn, ctx)) != 0 || (ret = advance(x, heap[0])) != 0)
			goto out;
		if (!heap[0]->cur)
			heap[0] = heap[--n];
		sift_down(heap, n, 0);
	}
out:
	for (size_t i = 0; i < x->nruns; i++)
		free(rds[i].buf);
	free(rds);
	free(heap);
	return ret;
}

int
extsort_each(struct extsort *x, extsort_fn fn, void *ctx)
{
	int ret;

	if (x->failed)
		return -1;
	if (x->nruns == 0) { /* everything in memory: no file */
		qsort(x->recs, x->nrecs, sizeof(*x->recs), qcmp);
		for (size_t i = 0; i < x->nrecs; i++)
			if ((ret = emit(x->recs[i], fn, ctx)) != 0)
				return ret;
		return 0;
	}
	if (spill(x) == -1) {
		x->failed = true;
		return -1;
	}
	/* the arena is free now: the readers' buffers take its place */
	free(x->arena);
	x->arena = NULL;
	return merge(x, fn, ctx);
}
