/*
 * extsort.h - records in key order in bounded memory: sorted runs spilled to
 * one unlinked temporary file, then merged.
 *
 * show and diff read a snapshot's versions in the order the store finds
 * them cheaply (version id, snapshot, end seq) and print them in key order.
 * Sorting a million ~1 KB records in memory would hold the whole snapshot;
 * walking an index in key order reads the wide version table at random (a
 * page read per row). An extsort holds up to `budget` bytes of records; a
 * full arena is sorted and written out as a run, and extsort_each() merges
 * the runs (one read buffer each) with what is still in memory. Nothing
 * touches a file while everything fits. Half the budget takes new records
 * while a thread sorts and writes the other half, so the caller's reads
 * and the run writes overlap on two cores; the half being filled when
 * extsort_each() is called is merged from memory.
 *
 * Order: by key as bytes (memcmp, a shorter key first on a common prefix:
 * SQLite's BINARY collation), then by the caller's 64-bit tie.
 *
 * The temporary file is created in $TMPDIR (else /tmp) already unlinked
 * (O_TMPFILE, else mkstemp + unlink), so nothing is left behind whatever
 * happens; it holds about the bytes added. I/O failures are logged once and
 * returned as -1. The extsort owns its memory and the file; the caller owns
 * what it adds (copied in).
 */
#ifndef LOTSYNC_EXTSORT_H
#define LOTSYNC_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

struct extsort;

/* key/klen and pay/plen stay valid until fn returns; both NUL-terminated. */
typedef int (*extsort_fn)(void *ctx, const char *key, size_t klen, uint64_t tie, const char *pay,
                          size_t plen);

/* An empty sorter keeping at most about budget bytes of records in memory. */
struct extsort *extsort_new(size_t budget);
void extsort_free(struct extsort *x);

/*
 * Add a record: key, tie, and a payload given in two parts (head then
 * body, either may be empty) that come back as one. -1 when a run could
 * not be written (logged; the sorter refuses everything after).
 */
int extsort_add(struct extsort *x, const char *key, size_t klen, uint64_t tie, const void *head,
                size_t hlen, const void *body, size_t blen);

/*
 * Every record once, in order. Stops at the first nonzero fn return and
 * returns it; -1 on an I/O error (logged). Call once, after the last add.
 */
int extsort_each(struct extsort *x, extsort_fn fn, void *ctx);

/* Runs written to the temporary file so far (0: all in memory); waits for a run being written. */
size_t extsort_runs(struct extsort *x);

#endif
