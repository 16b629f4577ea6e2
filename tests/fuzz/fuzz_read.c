/*
 * fuzz_read.c - libFuzzer target for the record mappers: the whole read path
 * (charset, BOM, chunk cutting, libcsv or xmlTextReader, binding, mapping,
 * normalisation, hashing) over bytes in memory. Built twice: FUZZ_XML
 * selects the XML profiles (record paths at any depth, g: prefixes,
 * [@attr=...] predicates, attributes as values), else the CSV ones.
 *
 * The first input byte picks the profile, its key kind and charset; the
 * rest is the file. Chunks of 61 bytes make every input cross chunk
 * boundaries. `make fuzz` builds, `make fuzz-run` runs each for
 * FUZZ_SECONDS on tests/fuzz/corpus/<target>/ (copied: the repo's corpus
 * is only read).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/reader.h"
#include "lotsync/util.h"

#ifdef FUZZ_XML
static const char *const names[] = {"generic-xml", "listings-xml", "google-merchant-rss",
                                    "meta-auto-xml", "adf-xml"};
#else
static const char *const names[] = {"generic-csv",
                                    "mobilede-csv",
                                    "homenet-tsv",
                                    "google-vehicle-csv",
                                    "wayke-csv",
                                    "dealer-feed",
                                    "google-vehicle-listings",
                                    "meta-auto-csv",
                                    "dealercenter-txt",
                                    "blocket-csv"};
#endif
static const char *const charsets[] = {NULL, "auto", "windows-1252", "iso-8859-15"};

static struct profile profiles[ARRAY_SIZE(names)];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *conf = xasprintf("%s/conf", src ? src : ".");

	(void)argc;
	(void)argv;
	setenv("LOTSYNC_PARSE_THREADS", "1", 1);
	setenv("LOTSYNC_PARSE_CHUNK", "61", 1);
	log_set_level(LOG_ERROR);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (profile_load(conf, names[i], &profiles[i]) != 0)
			abort();
	free(conf);
	return 0;
}

static enum ls_scope
on_record(void *ctx, const struct record *r)
{
	uint64_t *sum = ctx;

	/* Touch what ingest reads: the key, the fields, the hash. */
	*sum += r->hash + strlen(r->key);
	for (size_t i = 0; i < r->nfields; i++)
		*sum += strlen(r->fields[i].name) + strlen(r->fields[i].value);
	return LS_OK;
}

static enum ls_scope
on_reject(void *ctx, struct row_error *e)
{
	(void)ctx;
	row_error_release(e);
	return LS_BAD_RECORD;
}

static enum ls_scope
on_warn(void *ctx, const struct row_warning *w)
{
	uint64_t *sum = ctx;

	*sum += strlen(w->message);
	return LS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t sum = 0;
	struct reader_cb cb = {
	        .record = on_record, .reject = on_reject, .warn = on_warn, .ctx = &sum};
	struct feed_conf feed = {.name = "fuzz"};
	char *why = NULL;

	if (size < 1)
		return 0;
	feed.key = data[0] & 0x80 ? FEED_KEY_STOCK : FEED_KEY_VIN;
	feed.dealer_id = data[0] & 0x40 ? "D1" : NULL;
	feed.charset = (char *)charsets[(data[0] >> 4) & 3];
	reader_read_mem(&profiles[data[0] % ARRAY_SIZE(names)], &feed, data + 1, size - 1, "fuzz",
	                &cb, &why);
	free(why);
	return 0;
}
