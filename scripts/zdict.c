/*
 * zdict.c SAMPLES.jsonl > src/store_zdict2.h: stored-JSON dictionary 2, the
 * hand-written content of src/store_zdict.h behind zstd entropy tables
 * counted over the sample records (one JSON object a line), as a C array.
 * Run by scripts/mkzdict.sh, never by the build: the bytes are part of the
 * storage format, so the header is made once and committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>

#include "../src/store_zdict.h"

#define ZDICT_ID    2 /* one byte in each frame's header */
#define ZDICT_LEVEL 3 /* store_zdata.c's level: the tables are tuned for it */

int
main(int argc, char **argv)
{
	static char samples[1 << 24], dict[1 << 16];
	static size_t sizes[1 << 16];
	ZDICT_params_t zp = {.compressionLevel = ZDICT_LEVEL, .dictID = ZDICT_ID};
	size_t used = 0, len, cap = 0;
	unsigned n = 0;
	char *line = NULL;
	ssize_t r;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: zdict SAMPLES.jsonl\n");
		return 64;
	}
	while ((r = getline(&line, &cap, f)) > 0) {
		if (line[r - 1] == '\n')
			r--;
		if (n == sizeof(sizes) / sizeof(*sizes) || used + (size_t)r > sizeof(samples)) {
			fprintf(stderr, "zdict: too many samples\n");
			return 1;
		}
		memcpy(samples + used, line, (size_t)r);
		sizes[n++] = (size_t)r;
		used += (size_t)r;
	}
	free(line);
	fclose(f);
	len = ZDICT_finalizeDictionary(dict, sizeof(dict), zdict_content, sizeof(zdict_content) - 1,
	                               samples, sizes, n, zp);
	if (ZDICT_isError(len)) {
		fprintf(stderr, "zdict: %s\n", ZDICT_getErrorName(len));
		return 1;
	}
	printf("/*\n * store_zdict2.h - stored-JSON dictionary %d (schema 15): made by\n"
	       " * scripts/mkzdict.sh from store_zdict.h's content and the entropy of %u\n"
	       " * records of tests/fixtures/profiles (%zu bytes of JSON). Part of the storage\n"
	       " * format: never regenerate it in place (a new one gets a new ID).\n */\n",
	       ZDICT_ID, n, used);
	printf("#ifndef LOTSYNC_STORE_ZDICT2_H\n#define LOTSYNC_STORE_ZDICT2_H\n\n");
	printf("#define ZDICT2_ID %d\n\n/* clang-format off */\n", ZDICT_ID);
	printf("static const unsigned char zdict2[%zu] = {", len);
	for (size_t i = 0; i < len; i++)
		printf("%s0x%02x,", i % 12 ? " " : "\n\t", (unsigned char)dict[i]);
	printf("\n};\n/* clang-format on */\n\n#endif\n");
	return 0;
}
