/* input.c - plain, gzip and zip feed files as one byte stream (libarchive for archives). */
#include "lotsync/input.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

struct input {
	enum input_kind kind;
	char *path;
	const char *ext;
	int fd;
	struct archive *a;
	long member; /* zip: index of the feed member */
	char *describe;
	const char *mem;
	size_t memlen, mempos;
	char *rbuf; /* plain files: read ahead, so small reads (libxml2 asks 4 KB) are not syscalls
	             */
	size_t rlen, rpos;
	uint64_t out, max;
	uLong crc; /* gzip: CRC-32 of the bytes out, checked against the trailer at the end */
	char *why;
	enum ls_scope scope;
};

static ssize_t
fail(struct input *in, enum ls_scope scope, char *why)
{
	if (!in->why) {
		in->why = why;
		in->scope = scope;
	} else {
		free(why);
	}
	return -1;
}

/* A name from inside an archive, safe to print: printable ASCII only, capped. */
static char *
safe_name(const char *s)
{
	size_t n = strlen(s) > 64 ? 64 : strlen(s);
	char *o = xmalloc(n + 4);

	for (size_t i = 0; i < n; i++)
		o[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	memcpy(o + n, strlen(s) > 64 ? "..." : "", strlen(s) > 64 ? 4 : 1);
	return o;
}

static bool
member_matches(const char *name, const char *ext)
{
	static const char *const csv[] = {".csv", ".txt", ".tsv", ".tab"};
	const char *dot = strrchr(name, '.');

	if (!dot)
		return false;
	if (strcmp(ext, "xml") == 0)
		return strcasecmp(dot, ".xml") == 0;
	for (size_t i = 0; i < ARRAY_SIZE(csv); i++)
		if (strcasecmp(dot, csv[i]) == 0)
			return true;
	return false;
}

static struct archive *
archive_open(struct input *in)
{
	struct archive *a = archive_read_new();

	if (!a)
		log_fatal("archive_read_new: out of memory");
	if (in->kind == INPUT_GZIP) {
		archive_read_support_filter_gzip(a);
		archive_read_support_format_raw(a);
	} else {
		archive_read_support_format_zip(a);
	}
	if (lseek(in->fd, 0, SEEK_SET) == -1 || archive_read_open_fd(a, in->fd, 64 * 1024) != 0) {
		fail(in, LS_BAD_FILE,
		     xasprintf("cannot read as %s: %s", in->kind == INPUT_GZIP ? "gzip" : "zip",
		               archive_error_string(a) ? archive_error_string(a)
		                                       : strerror(errno)));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Zip: find the one feed member (first pass over the headers). */
static int
zip_choose(struct input *in)
{
	struct archive *a = archive_open(in);
	struct archive_entry *e;
	long idx = 0, pick = -1, only = -1, regular = 0, matches = 0;
	char *pick_name = NULL, *only_name = NULL;
	int rc;

	if (!a)
		return -1;
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (archive_entry_filetype(e) == AE_IFREG && name) {
			regular++;
			if (only < 0) {
				only = idx;
				only_name = safe_name(name);
			}
			if (member_matches(name, in->ext) && matches++ == 0) {
				pick = idx;
				pick_name = safe_name(name);
			}
		}
		idx++;
		if (archive_read_data_skip(a) != ARCHIVE_OK) {
			rc = ARCHIVE_FATAL;
			break;
		}
	}
	if (rc != ARCHIVE_EOF)
		fail(in, LS_BAD_FILE, xasprintf("corrupt zip: %s", archive_error_string(a)));
	else if (matches > 1)
		fail(in, LS_BAD_FILE,
		     xasprintf("zip holds %ld .%s files; a feed zip holds one", matches, in->ext));
	else if (matches == 0 && regular != 1)
		fail(in, LS_BAD_FILE, xasprintf("zip holds no .%s file", in->ext));
	else {
		in->member = matches ? pick : only;
		in->describe = xasprintf("zip member '%s'", matches ? pick_name : only_name);
	}
	free(pick_name);
	free(only_name);
	archive_read_free(a);
	return in->why ? -1 : 0;
}

/* Position the archive at the start of the chosen member's data. */
static int
archive_start(struct input *in)
{
	struct archive_entry *e;

	if (in->a)
		archive_read_free(in->a);
	if (!(in->a = archive_open(in)))
		return -1;
	for (long i = 0; i <= (in->kind == INPUT_ZIP ? in->member : 0); i++) {
		if (archive_read_next_header(in->a, &e) != ARCHIVE_OK)
			return fail(
			        in, LS_BAD_FILE,
			        xasprintf("corrupt %s: %s", in->kind == INPUT_ZIP ? "zip" : "gzip",
			                  archive_error_string(in->a) ? archive_error_string(in->a)
			                                              : "no data"));
		if (in->kind == INPUT_ZIP && i < in->member &&
		    archive_read_data_skip(in->a) != ARCHIVE_OK)
			return fail(in, LS_BAD_FILE,
			            xasprintf("corrupt zip: %s", archive_error_string(in->a)));
	}
	in->out = 0;
	in->crc = crc32(0L, Z_NULL, 0);
	return 0;
}

static enum input_kind
sniff(int fd)
{
	unsigned char m[4] = {0};
	ssize_t k;

	do
		k = pread(fd, m, sizeof(m), 0);
	while (k == -1 && errno == EINTR);
	if (k >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return INPUT_GZIP;
	if (k == 4 && m[0] == 'P' && m[1] == 'K' &&
	    ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6) || (m[2] == 7 && m[3] == 8)))
		return INPUT_ZIP;
	return INPUT_PLAIN;
}

enum ls_scope
input_open(const char *path, const char *ext, struct input **out, char **why)
{
	struct input *in = xcalloc(1, sizeof(*in));

	*out = NULL;
	*why = NULL;
	in->path = xstrdup(path);
	in->ext = ext;
	in->max = LS_MAX_INPUT_BYTES;
	if ((in->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_syserr("cannot open %s", path);
		input_close(in);
		return LS_BAD_FEED;
	}
	in->kind = sniff(in->fd);
	if (in->kind == INPUT_GZIP)
		in->describe = xstrdup("gzip");
	if ((in->kind == INPUT_ZIP && zip_choose(in) == -1) ||
	    (in->kind != INPUT_PLAIN && archive_start(in) == -1)) {
		*why = in->why;
		in->why = NULL;
		input_close(in);
		return LS_BAD_FILE;
	}
	*out = in;
	return LS_OK;
}

struct input *
input_open_mem(const void *data, size_t n)
{
	struct input *in = xcalloc(1, sizeof(*in));

	in->kind = INPUT_MEMORY;
	in->fd = -1;
	in->mem = data;
	in->memlen = n;
	in->max = LS_MAX_INPUT_BYTES;
	return in;
}

#define READ_AHEAD ((size_t)256 * 1024)

static ssize_t
read_fd(int fd, void *buf, size_t n)
{
	ssize_t k;

	do
		k = read(fd, buf, n);
	while (k == -1 && errno == EINTR);
	return k;
}

/*
 * Every member of the gzip file inflates with a good CRC-32 and length
 * (zlib checks each trailer); libarchive's gzip filter does not check them.
 */
static bool
gzip_members_ok(int fd)
{
	unsigned char inb[64 * 1024], outb[64 * 1024];
	z_stream z = {0};
	bool ok = false;
	int rc = Z_OK;
	ssize_t k;

	if (lseek(fd, 0, SEEK_SET) == -1 || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return false;
	while ((k = read_fd(fd, inb, sizeof(inb))) > 0) {
		z.next_in = inb;
		z.avail_in = (uInt)k;
		while (z.avail_in > 0) {
			z.next_out = outb;
			z.avail_out = sizeof(outb);
			rc = inflate(&z, Z_NO_FLUSH);
			if (rc == Z_STREAM_END) {
				/* The next member, if any, starts after this one's trailer. */
				if (z.avail_in > 0 && inflateReset(&z) != Z_OK)
					goto out;
			} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
				goto out;
			}
		}
	}
	ok = k == 0 && rc == Z_STREAM_END;
out:
	inflateEnd(&z);
	return ok;
}

/* At the end of a gzip stream: the trailer's CRC-32 and length match what came out. */
static int
gzip_check_end(struct input *in)
{
	unsigned char t[8];
	off_t size = lseek(in->fd, 0, SEEK_END);

	if (size >= 18 && pread(in->fd, t, sizeof(t), size - 8) == 8 &&
	    (t[0] | t[1] << 8 | t[2] << 16 | (uLong)t[3] << 24) == in->crc &&
	    (t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24) == (uint32_t)in->out)
		return 0;
	/* Several members end in the last one's trailer: check each one. */
	if (gzip_members_ok(in->fd))
		return 0;
	return fail(in, LS_BAD_FILE,
	            xstrdup("corrupt gzip data: the CRC-32 or length in the trailer does "
	                    "not match the data (damaged in transfer?)"));
}

static ssize_t
read_archive(struct input *in, void *buf, size_t n)
{
	la_ssize_t k = archive_read_data(in->a, buf, n);
	int64_t raw;

	if (k < 0)
		return fail(in, LS_BAD_FILE,
		            xasprintf("corrupt %s data: %s", in->kind == INPUT_ZIP ? "zip" : "gzip",
		                      archive_error_string(in->a) ? archive_error_string(in->a)
		                                                  : "read error"));
	raw = archive_filter_bytes(in->a, -1);
	if (in->out + (uint64_t)k > LS_INPUT_RATIO_FLOOR && raw > 0 &&
	    in->out + (uint64_t)k > (uint64_t)raw * LS_MAX_INPUT_RATIO)
		return fail(in, LS_BAD_FILE,
		            xasprintf("decompresses to more than %d times its size (a compression "
		                      "bomb?)",
		                      LS_MAX_INPUT_RATIO));
	if (in->kind == INPUT_GZIP) {
		if (k == 0 && gzip_check_end(in) == -1)
			return -1;
		in->crc = crc32(in->crc, buf, (uInt)k);
	}
	return k;
}

static ssize_t
read_plain(struct input *in, void *buf, size_t n)
{
	ssize_t k;

	if (in->rpos == in->rlen && n >= READ_AHEAD)
		return read_fd(in->fd, buf, n); /* big reads go straight through */
	if (in->rpos == in->rlen) {
		if (!in->rbuf)
			in->rbuf = xmalloc(READ_AHEAD);
		if ((k = read_fd(in->fd, in->rbuf, READ_AHEAD)) <= 0)
			return k;
		in->rlen = (size_t)k;
		in->rpos = 0;
	}
	k = (ssize_t)(n < in->rlen - in->rpos ? n : in->rlen - in->rpos);
	memcpy(buf, in->rbuf + in->rpos, (size_t)k);
	in->rpos += (size_t)k;
	return k;
}

ssize_t
input_read(struct input *in, void *buf, size_t n)
{
	ssize_t k;

	if (in->why)
		return -1;
	switch (in->kind) {
	case INPUT_MEMORY:
		k = (ssize_t)(n < in->memlen - in->mempos ? n : in->memlen - in->mempos);
		memcpy(buf, in->mem + in->mempos, (size_t)k);
		in->mempos += (size_t)k;
		break;
	case INPUT_PLAIN:
		if ((k = read_plain(in, buf, n)) == -1)
			return fail(in, LS_BAD_FEED, xasprintf("cannot read: %s", strerror(errno)));
		break;
	default:
		if ((k = read_archive(in, buf, n)) < 0)
			return -1;
		break;
	}
	if ((in->out += (uint64_t)k) > in->max)
		return fail(in, LS_BAD_FILE,
		            xasprintf("%s is larger than %llu bytes",
		                      in->kind == INPUT_PLAIN || in->kind == INPUT_MEMORY
		                              ? "file"
		                              : "decompressed feed",
		                      (unsigned long long)in->max));
	return k;
}

const char *
input_why(const struct input *in)
{
	return in->why ? in->why : "no error";
}

enum ls_scope
input_scope(const struct input *in)
{
	return in->why ? in->scope : LS_OK;
}

int
input_rewind(struct input *in)
{
	in->out = 0;
	switch (in->kind) {
	case INPUT_MEMORY: in->mempos = 0; return 0;
	case INPUT_PLAIN:
		in->rpos = in->rlen = 0;
		if (lseek(in->fd, 0, SEEK_SET) == -1)
			return fail(in, LS_BAD_FEED, xasprintf("cannot seek: %s", strerror(errno)));
		return 0;
	default: return archive_start(in);
	}
}

enum input_kind
input_kind(const struct input *in)
{
	return in->kind;
}

const char *
input_describe(const struct input *in)
{
	return in->describe;
}

void
input_close(struct input *in)
{
	if (!in)
		return;
	if (in->a)
		archive_read_free(in->a);
	if (in->fd >= 0)
		close(in->fd);
	free(in->path);
	free(in->rbuf);
	free(in->describe);
	free(in->why);
	free(in);
}
