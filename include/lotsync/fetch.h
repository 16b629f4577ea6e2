/*
 * fetch.h - remote feeds (sftp://, ftp://, ftps://, file://) pulled into
 * incoming/<feed>/, where ingest claims them like dropped files (SPEC §3,
 * §4, §9).
 *
 * Which remote files are fetched: names matching the source's glob that
 * ingest would claim (not hidden, not *.part, *.tmp, *.filepart, *.done),
 * that are not recorded with the same size and mtime (store_fetch_last),
 * and that have settled: an mtime at least settle_seconds old (real time,
 * like the drop folder) or in the future (clock skew: not judged).
 *
 * How: every download goes to a hidden temporary name in incoming/<feed>/
 * (".tmp-NAME-" and six random characters, which the claim step never takes), is hashed while
 * it arrives and fsynced, and is kept only when its length equals the
 * listed size. Content the feed already fetched or ingested is recorded as
 * identical and not passed on again. Otherwise the file is renamed, never
 * over an existing file, to a local name made of [A-Za-z0-9._+~-] (other
 * bytes become '_'; a taken name gets "~N" before its extension), the
 * directory is fsynced, and only then recorded (source URL without
 * secrets, remote name, size, mtime, SHA-256, local name). The local file
 * gets the remote mtime, so ingest takes files in remote order; a file that
 * would still look unsettled gets a NAME.done marker instead.
 *
 * Sessions: one login per server (scheme, user, host, port, credentials),
 * reused for every feed of that server while the fetcher lives; a feed
 * with many files uses up to `connections` sessions in parallel, one
 * thread and one session each (libssh2 cannot interleave two transfers on
 * one session).
 *
 * after_fetch = delete: a remote file is deleted only when its newest
 * record has the listed size and mtime and its content is archived (a
 * snapshot or a quarantined file of the feed): at the feed's next fetch,
 * or by fetch_cleanup() after ingest.
 *
 * Crashes: a kill leaves temporary files (removed at the feed's next
 * fetch) or renamed files not yet recorded (the next fetch downloads the
 * file again, finds the same content under its name and records it);
 * never a record of a file that is not there.
 *
 * Errors are logged once where they happen; fetch_feed() and
 * fetch_cleanup() return the most severe condition met: host key or other
 * configuration 78, server down, refusing or cut 69, local I/O 74, a
 * refused listing 65. One feed's failure does not stop another's; a
 * server that failed is not tried again by the same fetcher.
 */
#ifndef LOTSYNC_FETCH_H
#define LOTSYNC_FETCH_H

#include <stdbool.h>

#include "lotsync/app.h"

/* Parallel sessions per feed when `connections` is not set. */
#define FETCH_CONNECTIONS_SFTP 4
#define FETCH_CONNECTIONS_FTP  2

struct fetch_summary {
	unsigned listed;    /* remote files matching the source */
	unsigned fetched;   /* new files placed in incoming/ */
	unsigned identical; /* downloaded, but the content was known: not passed on */
	unsigned unchanged; /* recorded with the same size and mtime: not downloaded */
	unsigned pending;   /* of those, copies not yet ingested (a run was interrupted) */
	unsigned waiting;   /* not settled, or changed while downloading */
	unsigned failed;    /* download failed or not attempted (logged) */
	unsigned deleted;   /* remote files deleted (after_fetch = delete) */
	unsigned long long bytes;
};

struct fetcher;

/* True when the feed's source is a remote URL (not "drop"). */
bool fetch_is_remote(const struct feed_conf *feed);

/* A fetcher holds the session pool; free it to log out. */
struct fetcher *fetcher_new(struct app *app);
void fetcher_free(struct fetcher *fx);

/* Fetch one remote feed (a drop feed is left alone). */
enum ls_exit fetch_feed(struct fetcher *fx, const struct feed_conf *feed,
                        struct fetch_summary *sum);

/* after_fetch = delete: delete the remote files whose copies are now archived. */
enum ls_exit fetch_cleanup(struct fetcher *fx, const struct feed_conf *feed,
                           struct fetch_summary *sum);

#endif
