/*
 * store_zdata.c - version JSON as zstd frames with a fixed dictionary.
 *
 * Why: a stored version is ~0.9 KB of JSON whose keys are the same
 * canonical names in every row; as TEXT the version rows were ~85% of a
 * database twice the size of the feed it holds. One frame per row keeps
 * every row readable alone (show, history, erase-person's rewrite), and a
 * dictionary of the names and common words of vehicle feeds gives each
 * small frame what it could not learn from itself.
 *
 * The dictionary's content is written out by hand (store_zdict.h) and part
 * of the storage format: never edit it. zstd copies its matches from the
 * end closest to the data most cheaply, so the field names come last.
 * Two dictionaries share that content:
 *   0  schema 14: the content alone, raw. Each frame then carried its own
 *      Huffman table for its literals, and building it was most of the
 *      ~4 us a frame took to decompress.
 *   2  schema 15 (store_zdict2.h): the content behind entropy tables
 *      counted once over the profile fixtures' records. Frames written
 *      since reuse them: on genfeed's rows 370 B a frame instead of 408,
 *      compressed in 11.6 us instead of 14.1, decompressed in 2.8 instead
 *      of 4.2. A frame's header names its dictionary (one byte); new
 *      frames are always written with 2, old ones stay readable.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCDict_advanced: a raw-content dictionary */
#include "store_zdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lotsync/limits.h"
#include "store_zdict.h"
#include "store_zdict2.h"

/*
 * Level 3 (measured with dictionary 0): on genfeed's rows (0.92 KB of
 * JSON) 407 B a row against 419 B at level 1, for ~10% more time
 * compressing; level 4 stores 395 B for 70% more. No level changes the
 * time to decompress; dictionary 2's tables did.
 */
#define ZDATA_LEVEL 3

struct store_zdata {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
	ZSTD_CDict *cdict;  /* dictionary 2: every frame written */
	ZSTD_DDict *ddict0; /* dictionary 0: frames of schema 14 */
	ZSTD_DDict *ddict2;
	void *out;
	size_t cap;
};

struct store_zdata *
store_zdata_new(void)
{
	struct store_zdata *z = calloc(1, sizeof(*z));
	/* Parameters for rows of ~1 KB: small tables, cleared for each frame. */
	ZSTD_compressionParameters cp = ZSTD_getCParams(ZDATA_LEVEL, 1024, sizeof(zdict2));

	if (!z)
		return NULL;
	z->c = ZSTD_createCCtx();
	z->d = ZSTD_createDCtx();
	z->cdict = ZSTD_createCDict_advanced(zdict2, sizeof(zdict2), ZSTD_dlm_byRef,
	                                     ZSTD_dct_fullDict, cp, ZSTD_defaultCMem);
	z->ddict0 =
	        ZSTD_createDDict_advanced(zdict_content, sizeof(zdict_content) - 1, ZSTD_dlm_byRef,
	                                  ZSTD_dct_rawContent, ZSTD_defaultCMem);
	z->ddict2 = ZSTD_createDDict_advanced(zdict2, sizeof(zdict2), ZSTD_dlm_byRef,
	                                      ZSTD_dct_fullDict, ZSTD_defaultCMem);
	/* No checksum: SQLite and verify's digests already cover the bytes. */
	if (!z->c || !z->d || !z->cdict || !z->ddict0 || !z->ddict2 ||
	    ZSTD_isError(ZSTD_CCtx_refCDict(z->c, z->cdict)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 0)) ||
	    /* the dictionary's tables referenced, not copied for each row: 15% less time */
	    ZSTD_isError(
	            ZSTD_CCtx_setParameter(z->c, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_dictIDFlag, 1))) {
		store_zdata_free(z);
		return NULL;
	}
	return z;
}

void
store_zdata_free(struct store_zdata *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	ZSTD_freeCDict(z->cdict);
	ZSTD_freeDDict(z->ddict0);
	ZSTD_freeDDict(z->ddict2);
	free(z->out);
	free(z);
}

const void *
store_zdata_pack(struct store_zdata *z, const char *json, size_t n, size_t *len)
{
	size_t bound = ZSTD_compressBound(n), r;

	if (bound > z->cap) {
		void *p = realloc(z->out, bound);

		if (!p)
			return NULL;
		z->out = p;
		z->cap = bound;
	}
	r = ZSTD_compress2(z->c, z->out, z->cap, json, n);
	if (ZSTD_isError(r)) /* out of memory: the bound always fits */
		return NULL;
	*len = r;
	return z->out;
}

const char *
store_zdata_unpack_into(struct store_zdata *z, const void *blob, size_t n, char **buf,
                        size_t *alloc, size_t *len, char *why, size_t cap)
{
	unsigned long long size = ZSTD_getFrameContentSize(blob, n);
	unsigned id = ZSTD_getDictID_fromFrame(blob, n);
	const ZSTD_DDict *dd = id == 0 ? z->ddict0 : id == ZDICT2_ID ? z->ddict2 : NULL;
	char *out;
	size_t r;

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
		snprintf(why, cap, "not a stored-JSON frame (%zu bytes)", n);
		return NULL;
	}
	/* 0 is also what a header too short to say gives: decompression then refuses it */
	if (!dd) {
		snprintf(why, cap,
		         "a stored-JSON frame of dictionary %u, which this lotsync does not have"
		         " (a newer lotsync wrote it, or the frame is damaged)",
		         id);
		return NULL;
	}
	/* The size comes from the file: a damaged one must not allocate without bound. */
	if (size > LS_MAX_STORED_JSON) {
		snprintf(why, cap, "a stored-JSON frame claims %llu bytes (at most %zu)", size,
		         LS_MAX_STORED_JSON);
		return NULL;
	}
	if ((size_t)size + 1 > *alloc) {
		if (!(out = realloc(*buf, (size_t)size + 1))) {
			snprintf(why, cap, "out of memory for a stored-JSON frame of %llu bytes",
			         size);
			return NULL;
		}
		*buf = out;
		*alloc = (size_t)size + 1;
	}
	out = *buf;
	r = ZSTD_decompress_usingDDict(z->d, out, (size_t)size, blob, n, dd);
	if (ZSTD_isError(r) || r != (size_t)size) {
		snprintf(why, cap, "a damaged stored-JSON frame: %s",
		         ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short content");
		return NULL;
	}
	out[r] = '\0';
	*len = r;
	return out;
}

char *
store_zdata_unpack(struct store_zdata *z, const void *blob, size_t n, size_t *len, char *why,
                   size_t cap)
{
	char *buf = NULL;
	size_t alloc = 0;

	if (!store_zdata_unpack_into(z, blob, n, &buf, &alloc, len, why, cap)) {
		free(buf);
		return NULL;
	}
	return buf;
}
