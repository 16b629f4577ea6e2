/*
 * fwrite_peer FILE OUT: the reference of the export aim in `make bench`.
 * Reads FILE into memory, then writes its lines to OUT with fwrite (stdio's
 * buffer), fflush and fsync, as the plainest program writing the same bytes
 * durably would; prints the seconds of the writing part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	FILE *in, *out;
	long n;
	char *buf;
	struct timespec a, b;

	if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb")))
		return 2;
	if (fseek(in, 0, SEEK_END) || (n = ftell(in)) < 0 || fseek(in, 0, SEEK_SET))
		return 1;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, in) != (size_t)n)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (char *p = buf, *end = buf + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (fwrite(p, 1, len, out) != len)
			return 1;
		p += len;
	}
	if (fflush(out) || fsync(fileno(out)) || fclose(out))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	free(buf);
	fclose(in);
	return 0;
}
