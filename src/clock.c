/* clock.c - an injectable clock: --now / LOTSYNC_NOW, else the real time. */
#include "lotsync/clock.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fixed;
static time_t fixed_at;

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
parse_offset(const char *s, long *off)
{
	int hh, mm;

	if (*s == '\0' || strcmp(s, "Z") == 0) {
		*off = 0;
		return 0;
	}
	if ((*s != '+' && *s != '-') || strlen(s) != 6 || s[3] != ':' || digits(s + 1, 2, &hh) ||
	    digits(s + 4, 2, &mm) || hh > 23 || mm > 59)
		return -1;
	*off = (hh * 3600L + mm * 60L) * (*s == '-' ? -1 : 1);
	return 0;
}

int
clock_parse(const char *s, time_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0;
	long off = 0;
	time_t t;
	const char *p = s + 10;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
		}
		if (parse_offset(p, &off))
			return -1;
	} else if (*p != '\0') {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm() normalises 2025-02-31 to March; refuse it instead. */
	gmtime_r(&t, &tm);
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*out = t - off;
	return 0;
}

void
clock_set(time_t t)
{
	fixed = true;
	fixed_at = t;
}

void
clock_set_real(void)
{
	fixed = false;
}

time_t
clock_now(void)
{
	return fixed ? fixed_at : time(NULL);
}

time_t
clock_real(void)
{
	const char *off = getenv("LOTSYNC_TEST_SETTLE_OFFSET");
	char *end;
	long v;

	if (!off || !*off)
		return time(NULL);
	v = strtol(off, &end, 10);
	return *end ? time(NULL) : time(NULL) + (time_t)v;
}

char *
clock_format(time_t t, char *buf)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* The run's deadline on the monotonic clock (a stepped wall clock cannot move it). */
static bool deadline_set;
static struct timespec deadline_at;
static long deadline_seconds;

void
clock_deadline_set(long seconds)
{
	clock_gettime(CLOCK_MONOTONIC, &deadline_at);
	deadline_at.tv_sec += seconds;
	deadline_seconds = seconds;
	deadline_set = seconds > 0;
}

long
clock_deadline_left_ms(void)
{
	struct timespec now;
	long long ms;

	if (!deadline_set)
		return CLOCK_NO_DEADLINE;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline_at.tv_sec - now.tv_sec) * 1000 +
	     (deadline_at.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > CLOCK_NO_DEADLINE - 1 ? CLOCK_NO_DEADLINE - 1 : (long)ms;
}

long
clock_deadline_seconds(void)
{
	return deadline_set ? deadline_seconds : 0;
}
