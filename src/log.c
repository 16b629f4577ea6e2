/* log.c - diagnostics on stderr; the only module with global mutable state. */
#include "lotsync/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level max_level = LOG_WARN;
static const char *cur_scope;
/* A thread's own scope, over cur_scope: a feed staged ahead logs as itself (ingest.h). */
static _Thread_local const char *thread_scope;
static unsigned nerrors, nwarnings;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
/* sd-daemon(3) priority prefixes: SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG. */
static const char *const journal_prefix[] = {"<3>", "<4>", "<6>", "<7>"};
static int to_journal = -1; /* -1: not checked yet */

/*
 * The progress line (see log.h): one at a time, drawn with "\r" and erased
 * ("\r" + EL, ECMA-48) before any log line and at the end, so it never mixes
 * with messages. Timed by CLOCK_MONOTONIC, never --now.
 */
#define PROGRESS_AFTER 2.0  /* seconds of work before the line appears */
#define PROGRESS_EVERY 0.25 /* seconds between redraws */
#define PROGRESS_CHECK 256  /* steps between clock reads */

static struct {
	bool on;    /* begun, on a terminal */
	bool shown; /* the line is on the screen now */
	char what[128], unit[24];
	unsigned long long done, next_check;
	double start, next_draw;
} prog;

/*
 * systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected stderr
 * to. Only when stderr is still that stream (not redirected by a wrapper
 * script) do lines carry priority prefixes; cron mail stays clean.
 */
static int
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!env || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(fileno(stderr), &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level
log_get_level(void)
{
	return max_level;
}

void
log_scope(const char *scope)
{
	cur_scope = scope;
}

void
log_thread_scope(const char *scope)
{
	thread_scope = scope;
}

/* The UTF-8 bidi override or isolate at p (U+202A-U+202E, U+2066-U+2069) or C1 control, or 0. */
static unsigned
bidi_at(const unsigned char *p)
{
	if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
		return p[1]; /* a C1 control: NEL (U+0085) ends a line for some readers */
	if (p[0] != 0xE2)
		return 0;
	if (p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE)
		return 0x202Au + (unsigned)(p[2] - 0xAA);
	if (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
		return 0x2066u + (unsigned)(p[2] - 0xA6);
	return 0;
}

/*
 * Write s with bidi controls shown as "<U+202E>": a file or vehicle name
 * holding one must not reorder the rest of an operator's terminal line
 * (CVE-2021-42574, "Trojan Source"); C1 controls alike ("<U+0085>").
 */
static void
put_neutral(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s, *start = p;
	unsigned cp;

	for (; *p; p++) {
		if ((*p != 0xE2 && *p != 0xC2) || !(cp = bidi_at(p)))
			continue;
		fwrite(start, 1, (size_t)(p - start), f);
		fprintf(f, "<U+%04X>", cp);
		p += *p == 0xC2 ? 1 : 2;
		start = p + 1;
	}
	fwrite(start, 1, (size_t)(p - start), f);
}

static void
vlog(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char line[1024], *msg = line;
	va_list copy;
	int n;
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	/* Fetch threads log too: stderr's lock keeps each line and the counts whole. */
	flockfile(stderr);
	if (level == LOG_ERROR)
		nerrors++;
	else if (level == LOG_WARN)
		nwarnings++;
	if (level > max_level) {
		funlockfile(stderr);
		return;
	}
	if (prog.shown) {
		fputs("\r\033[K", stderr);
		prog.shown = false; /* redrawn at a later step */
	}
	if (to_journal == -1)
		to_journal = stderr_is_journal();
	if (to_journal) {
		/* The journal stamps each line itself. */
		fprintf(stderr, "%s%s ", journal_prefix[level], level_names[level]);
	} else {
		/* Real time, not --now: log lines say when things happened here. */
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s %s ", ts, level_names[level]);
	}
	if (thread_scope || cur_scope) {
		put_neutral(thread_scope ? thread_scope : cur_scope, stderr);
		fputs(": ", stderr);
	}
	va_copy(copy, ap);
	n = vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof(line) && (msg = malloc((size_t)n + 1)) != NULL)
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	else if (n >= (int)sizeof(line))
		msg = line; /* out of memory: the first 1023 bytes */
	put_neutral(n < 0 ? fmt : msg, stderr);
	if (msg != line)
		free(msg);
	if (errstr)
		fprintf(stderr, ": %s", errstr);
	fputc('\n', stderr);
	funlockfile(stderr);
}

#define LOG_BODY(level, errstr)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(level, errstr, fmt, ap);                                                      \
		va_end(ap);                                                                        \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARN, NULL);
}

int
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_ERROR, NULL);
	return -1;
}

int
log_syserr(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_ERROR, e);
	return -1;
}

void
log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_ERROR, NULL);
	abort();
}

unsigned
log_error_count(void)
{
	return nerrors;
}

unsigned
log_warn_count(void)
{
	return nwarnings;
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
log_progress_begin(const char *what, const char *unit)
{
	log_progress_end();
	/* Cron, pipes, the journal and -q get nothing: only a person at a terminal. */
	if (max_level < LOG_WARN || !isatty(STDERR_FILENO))
		return;
	prog.on = true;
	snprintf(prog.what, sizeof(prog.what), "%s", what);
	snprintf(prog.unit, sizeof(prog.unit), "%s", unit);
	prog.done = 0;
	prog.next_check = PROGRESS_CHECK;
	prog.start = mono_now();
	prog.next_draw = prog.start + PROGRESS_AFTER;
}

void
log_progress_step(void)
{
	double now, secs;

	if (!prog.on || ++prog.done < prog.next_check)
		return;
	prog.next_check = prog.done + PROGRESS_CHECK;
	if ((now = mono_now()) < prog.next_draw)
		return;
	prog.next_draw = now + PROGRESS_EVERY;
	secs = now - prog.start;
	flockfile(stderr);
	fprintf(stderr, "\r\033[K%s: %llu %s, %.0f/s, %.0f s", prog.what, prog.done, prog.unit,
	        (double)prog.done / secs, secs);
	fflush(stderr);
	prog.shown = true;
	funlockfile(stderr);
}

void
log_progress_end(void)
{
	if (prog.shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	prog.on = prog.shown = false;
}
