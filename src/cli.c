/* cli.c - the command table of SPEC §5, help, and the setup each command needs. */
#include "lotsync/cli.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/cmd.h"
#include "lotsync/fsio.h"
#include "lotsync/guard.h"
#include "lotsync/log.h"
#include "lotsync/metrics.h"
#include "lotsync/notify.h"
#include "lotsync/runlock.h"
#include "lotsync/util.h"

static const struct command commands[] = {
        {"run", "[FEED...]", "fetch, ingest, export, deliver: the cron job",
         "Fetches new files of remote feeds, ingests every complete file in the\n"
         "feeds' incoming folders (all feeds, or those named), deletes fetched\n"
         "files remotely where after_fetch = delete, applies the dealer rules\n"
         "(service requests) to every new snapshot and closes the SRs auto_close\n"
         "says are due (also when no file came), renders exports for targets whose\n"
         "feeds changed, and delivers pending export files. Silent on success;\n"
         "-v prints a summary. With --dry-run: prints per file the keys it would\n"
         "add (+), change (~), refuse (!) and vanish (-), whether it would be held,\n"
         "and every rule decision it would take, and changes nothing (nothing\n"
         "fetched, no file claimed, archived or moved, no export, no upload).\n",
         CMD_CONFIG | CMD_LOCK | CMD_DRY_RUN | CMD_LATE_CHECK, cmd_run},
        {"fetch", "[FEED...]", "pull remote feeds into incoming/",
         "Lists each remote feed's source (sftp://, ftp://, ftps://) with one login\n"
         "per server and downloads files that are new or changed since they were\n"
         "last fetched, and settled (the same size and mtime in lotsync's own\n"
         "listings settle_seconds apart, by its clock, never the server's): each to a hidden\n"
         "temporary name in incoming/<feed>/, renamed when complete and its size\n"
         "matches the listing. Content fetched or ingested before is recorded but\n"
         "not passed on again. Where after_fetch = delete, remote files whose\n"
         "copies are archived are deleted. Does not ingest: 'lotsync run' does both.\n",
         CMD_CONFIG | CMD_LOCK, cmd_fetch},
        {"ingest", "[FEED...]", "claim, parse, snapshot, guard, diff, rules, archive",
         "Claims complete files from incoming/<feed>/, archives them by SHA-256,\n"
         "parses them through the feed's profile and stores each as a snapshot;\n"
         "applies the dealer rules to it and closes SRs that auto_close says are due.\n"
         "With --dry-run: prints the keys each file would add, change, refuse and\n"
         "vanish and every rule decision it would take, and changes nothing (no\n"
         "file claimed, archived or moved).\n",
         CMD_CONFIG | CMD_LOCK | CMD_DRY_RUN | CMD_LATE_CHECK, cmd_ingest},
        {"export", "[--full] [TARGET...]", "render export files into outbox/",
         "Renders a target's vehicles through its format into outbox/<target>/\n"
         "when its feeds changed (or vehicles were released) since its last export:\n"
         "mode = full writes every vehicle, mode = delta the new, changed and\n"
         "deleted ones with an action column. A vehicle count that moves more than\n"
         "deviation_lock against the last delivery, or an empty export after a\n"
         "non-empty one, locks the target (exit 3); files are still rendered.\n"
         "  --full   render a file now even when nothing changed (a delta target\n"
         "           also lists unchanged vehicles, action \"unchanged\")\n",
         CMD_CONFIG | CMD_LOCK | CMD_LATE_CHECK, cmd_export},
        {"deliver", "[TARGET...]", "upload outbox files (temp name, then rename), retry later",
         "Uploads pending outbox files under a temporary name and renames them\n"
         "(rename = off: straight to the final name), records every attempt with\n"
         "the server's reply and moves delivered files to sent/<target>/. A failed\n"
         "upload stays queued under the same name (exit 69); a full target sends\n"
         "only its newest file. A locked target sends nothing (exit 3). Records and\n"
         "sent/ files older than retention_days are pruned.\n",
         CMD_CONFIG | CMD_LOCK, cmd_deliver},
        {"status", "", "what is held, locked, queued, failed; last run per feed and target",
         "Shows the last run (time, command, exit status); per feed the newest\n"
         "snapshot, its vehicles, when its last file came and its last snapshot was\n"
         "applied, files waiting in incoming/, every held snapshot and every file\n"
         "quarantined in failed/ with its reason; per target the pending queue,\n"
         "the lock and why (both counts), the last export and delivery, the last\n"
         "unresolved delivery error and the vehicles awaiting release; and the\n"
         "audit chain head. Exits 3 while a snapshot is held or a target locked or waiting\n"
         "for release (something awaits an operator), else 0.\n",
         CMD_CONFIG | CMD_READ, cmd_status},
        {"check-config", "[--connect [--no-write]]",
         "validate the configuration, profiles and formats",
         "Reports every problem as FILE:LINE: message and exits 78 if any.\n"
         "  --connect   also log in to every remote feed and target (host keys\n"
         "              checked, FTPS required) and report each: a feed's source is\n"
         "              listed (how many files match its glob; a server without\n"
         "              modification times is warned about); on a target a probe file\n"
         "              lotsync-probe-PID.tmp is uploaded as deliveries are (temporary\n"
         "              name and rename) and deleted. Exits 69 or 78 when one fails\n"
         "  --no-write  with --connect: only log in to targets, write nothing\n",
         0, cmd_check_config},
        {"snapshots", "[FEED]", "list snapshots",
         "Lists every snapshot (or a feed's): id, feed, state, SHA-256, file,\n"
         "received time and counts.\n",
         CMD_CONFIG | CMD_READ, cmd_snapshots},
        {"show", "SNAPSHOT [--rejected] [--jsonl] [--show-personal]", "vehicles of a snapshot",
         "Prints the vehicles of an applied snapshot in key order, one per line:\n"
         "the key, a tab, then field=\"value\" for every field (quotes, backslashes\n"
         "and line breaks escaped; amounts as 31,998.00 USD). On a terminal it\n"
         "prints a table of key, stock, year, make, model, mileage and price\n"
         "instead (pipe it to see every field). --rejected prints the rows it\n"
         "refused with line, field and reason. Warnings about the file as a whole\n"
         "(ambiguous dates, VIN check digits) come first. --json and --jsonl keep\n"
         "the stored values (amounts in minor units); --jsonl prints one JSON\n"
         "object per vehicle (or refused row) per line, and the warnings on stderr.\n"
         "Work-order feeds: persons' addresses, e-mails and phones show as\n"
         "(personal data) and names as initials unless --show-personal.\n",
         CMD_CONFIG | CMD_READ, cmd_show},
        {"diff", "SNAPSHOT SNAPSHOT [--show-personal]",
         "new / changed (field: old -> new) / vanished / refused",
         "Compares any two applied snapshots of one feed, older or newer, in key\n"
         "order: '+ KEY (stock, year make model)' new, '~ KEY (...) FIELD: OLD ->\n"
         "NEW' per changed field (amounts as amounts), '- KEY (...)' vanished, then\n"
         "the counts. Reads only the versions that end or begin between the two,\n"
         "so its time follows what changed. A person's personal data is masked\n"
         "as in show unless --show-personal.\n",
         CMD_CONFIG | CMD_READ, cmd_diff},
        {"history", "KEY [--feed F] [--show-personal]",
         "every version of a vehicle and every decision about it",
         "KEY is a VIN, a stock number, dealer/stock or the feed's key; for\n"
         "work-order feeds also a WO number or a registration. Lists, in\n"
         "order, when the vehicle appeared (stock number, year, make, model, price,\n"
         "file), what changed in each new version (field: old -> new, amounts as\n"
         "amounts), when it vanished, and every rule decision about it (created,\n"
         "ignored, updated, not updated, clock restarted, close postponed, left\n"
         "open, closed) with its reason. --json: [{at, snapshot, event, detail,\n"
         "feed, key, file, changes: {field: [old, new]}}] (rule decisions carry at,\n"
         "snapshot, event, detail).\n"
         "  --feed F   only the vehicles of feed F\n"
         "  --show-personal  persons' data as stored (else masked, as in show)\n",
         CMD_CONFIG | CMD_READ, cmd_history},
        {"srs", "[--feed F] [--open|--closed]", "service requests",
         "Lists service requests, oldest first: id, feed, VIN, dealer, client,\n"
         "stock number, vehicle type, SR type, status, created and closed time,\n"
         "and why it closed. 'lotsync history VIN' shows every decision.\n"
         "  --feed F   only the SRs of feed F\n"
         "  --open     only open SRs\n"
         "  --closed   only closed SRs\n",
         CMD_CONFIG | CMD_READ, cmd_srs},
        {"accept", "SNAPSHOT", "apply a snapshot held by the vanish guard",
         "Applies the held snapshot now, as an ingest would (diff, exports), and\n"
         "records who accepted it in the snapshot and the audit chain. Newer held\n"
         "snapshots of the feed are then judged again, in order. Only the oldest\n"
         "held snapshot of a feed can be decided.\n",
         CMD_CONFIG | CMD_LOCK, cmd_accept},
        {"reject", "SNAPSHOT", "discard a snapshot held by the vanish guard",
         "Marks the held snapshot rejected (its file stays archived), records who\n"
         "decided, and judges newer held snapshots of the feed again.\n",
         CMD_CONFIG | CMD_LOCK, cmd_reject},
        {"accept-clock-jump", "", "let auto-closes held by a clock jump apply",
         "A run whose clock is more than max_clock_jump (default 7d) after the newest\n"
         "recorded run warns and holds every auto_close = <N>d close that the jump\n"
         "made due ('lotsync status' lists them per feed, and exits 3), so a clock\n"
         "set a year ahead does not close every SR at once. Check the clock, then\n"
         "accept the jump: the next run applies the closes. auto_close = immediately\n"
         "is not held (it does not count days).\n",
         CMD_CONFIG | CMD_LOCK, cmd_accept_clock_jump},
        {"unlock", "TARGET", "lift a deviation lock; the next deliver sends",
         "Accepts the vehicle count that locked the target: the newest queued file\n"
         "becomes the baseline of the next comparison. The next deliver sends the\n"
         "newest queued file of a full target (older ones are recorded as\n"
         "superseded), or every queued file of a delta target in order.\n",
         CMD_CONFIG | CMD_LOCK, cmd_unlock},
        {"release", "TARGET (VIN...|--all)", "release new vehicles held by auto_release = no",
         "Lets the named vehicles (or all waiting ones) into the target's exports\n"
         "from the next export on. Every VIN must be a current vehicle of the\n"
         "target's feeds, or nothing is released (exit 64).\n",
         CMD_CONFIG | CMD_LOCK, cmd_release},
        {"verify", "", "recheck the audit hash chain and every archived file",
         "Recomputes every link of the audit chain, rebuilds each snapshot's\n"
         "manifest (file SHA-256, size, source, time, profile, state, counts and a\n"
         "digest of the vehicle versions it wrote) from the database and compares,\n"
         "and re-hashes every archived file; checks that each feed's current set\n"
         "(cur) is exactly its open versions. Names the first problem; exits 65 if\n"
         "anything does not match. Then, if a [notify:] hook wants verify_failed,\n"
         "queues one such event (opening the database for writing only then) and\n"
         "sends it.\n",
         CMD_CONFIG | CMD_READ, cmd_verify},
        {"report", "--html FILE [--feed F] [--rows N]",
         "self-contained HTML report (tables and inline SVG charts)",
         "Writes one HTML file for auditors and operators, with no external CSS,\n"
         "JavaScript, fonts or images (inline style and SVG only): the time it was\n"
         "generated (the --now clock), the audit chain head and the result of the\n"
         "same check 'verify' runs; what awaits an operator; per feed the snapshot\n"
         "table (held snapshots highlighted), charts of vehicles and of new,\n"
         "changed and vanished vehicles over the applied snapshots, the newest\n"
         "rejected rows and quarantined files, and service requests (open and\n"
         "closed counts, the newest closures with reasons); per target the lock\n"
         "and why, the queue, the last delivery and the last error. The file is\n"
         "written to a temporary name in FILE's directory (mode 0600) and renamed,\n"
         "so a reader never sees half a report; it only reads the database.\n"
         "  --html FILE   where to write the report (required)\n"
         "  --feed F      only feed F and the targets that take it (verification\n"
         "                still covers the whole chain)\n"
         "  --rows N      newest snapshots per feed table (default 500; 0 = all)\n"
         "--json does not apply: the report is HTML. Exits 0 when the report is\n"
         "written and verification passes, 65 when it is written and verification\n"
         "FAILED (the report shows the first problem; stderr lists all), 64 without\n"
         "--html, 74 when the file cannot be written (no file is left behind).\n",
         CMD_CONFIG | CMD_READ, cmd_report},
        {"retry", "FILE", "put a quarantined file back into incoming/ (recorded)",
         "FILE is FEED/NAME (or a path ending in failed/FEED/NAME, or a NAME only one\n"
         "feed has quarantined). Moves failed/FEED/NAME back to incoming/FEED/ under\n"
         "the name it arrived with (numbered when that is taken), removes its\n"
         "NAME.reason, and records who did it in the audit chain; the next run\n"
         "reads the file again, e.g. after a profile fix.\n",
         CMD_CONFIG | CMD_LOCK, cmd_retry},
        {"erase-person", "FEED PERSON_ID", "remove a person's data everywhere, chain intact",
         "Work-order feeds. Removes the data of person PERSON_ID (the id its work\n"
         "orders give as driver_id, owner_id or contractor_id) from everything\n"
         "lotsync keeps: company, title, names, address, e-mails and phones become\n"
         "\"(erased)\" in every stored version of the person, and their copies in\n"
         "the notes and intervention texts of the work orders naming the person\n"
         "go too; each archived file of the feed that holds the person (and its\n"
         "quarantined copy) is rewritten in place, still readable by its profile;\n"
         "so are the queued (outbox/) and delivered (sent/) export files of the\n"
         "feed's work-order targets. The erasure is an audit chain entry (who,\n"
         "when, feed, person id, each rewritten file with its old and new\n"
         "SHA-256); the snapshots whose content changed are sealed again, and\n"
         "verify checks the rewritten files against their new SHA-256. The\n"
         "database's freed pages are zeroed and its write-ahead log emptied.\n"
         "Killed half way, it leaves a pending erasure (status and verify name\n"
         "it): run it again to finish. Erasing a person again is harmless\n"
         "(\"nothing left to erase\"). The DMS must erase the person too, or its\n"
         "next file brings the data back. -v lists the files, --json prints\n"
         "{feed, person,\n"
         "erasure, chain_entry, versions, files: [{place, owner, name,\n"
         "old_sha256, new_sha256}]}. Exits 64 for an unknown feed or person or a\n"
         "vehicle feed, 78 when the feed's profile cannot be loaded, 75 while a\n"
         "run holds the lock, 65 when an archived file is damaged (not\n"
         "rewritten), 74 when a file cannot be rewritten (the erasure stays\n"
         "pending), 3 when files of the feed still wait in incoming/ or work/,\n"
         "or another person's erasure is unfinished.\n",
         CMD_CONFIG | CMD_LOCK, cmd_erase_person},
        {"profiles", "", "list feed profiles and where each comes from",
         "Lists every profile a feed's 'profile' key may name: the ones built into\n"
         "this binary (no install step needed) and the files profiles/NAME.ini in\n"
         "the configuration's directory, which add profiles or override a built-in\n"
         "one of the same name. --json prints [{name, source, overrides_builtin,\n"
         "summary}], source being \"built-in\" or the file's path.\n",
         0, cmd_profiles},
        {"formats", "", "list export formats and where each comes from",
         "Lists every format a target's 'format' key may name: the built-in ones\n"
         "and the files formats/NAME.ini in the configuration's directory, which\n"
         "add formats or override a built-in one of the same name. --json as for\n"
         "'lotsync profiles'.\n",
         0, cmd_formats},
};

/* Open the store for a command: writable under the lock, or read-only. */
static enum ls_exit
open_store(struct app *app, const struct command *cmd, const char *cmdline, int *lock_fd)
{
	char now[CLOCK_ISO_LEN];
	enum ls_exit rc;

	if (cmd->needs & CMD_LOCK) {
		if (fsio_mkdirs(app->cfg.spool, 0750) == -1)
			return LS_EXIT_IOERR;
		if ((rc = runlock_take(app->cfg.spool, app->cfg.lock_name, lock_fd)) != LS_EXIT_OK)
			return rc;
		if ((rc = guard_before_open(app)) != LS_EXIT_OK)
			return rc;
		if (store_open(app->cfg.database, false, &app->store) == -1)
			return LS_EXIT_IOERR;
		if ((rc = guard_after_open(app, cmd->needs & CMD_LATE_CHECK)) != LS_EXIT_OK)
			return rc;
		if (app->dry_run) /* changes nothing: not even a run record */
			return LS_EXIT_OK;
		app->run = store_run_reserve(app->store, cmdline, clock_format(clock_now(), now));
		return app->run < 0 ? LS_EXIT_IOERR : LS_EXIT_OK;
	}
	/* Auditors read while a run may be writing: WAL readers never block. */
	if ((cmd->needs & CMD_READ) && access(app->cfg.database, F_OK) == 0 &&
	    store_open(app->cfg.database, true, &app->store) == -1)
		return LS_EXIT_IOERR;
	return LS_EXIT_OK;
}

/* metrics_file after a state-changing command; never changes its exit code. */
static void
write_metrics(struct app *app, const struct command *cmd, int rc, const struct timespec *t0)
{
	struct metrics_run m = {.command = cmd->name, .exit_code = rc};
	struct timespec t1;

	/* Not in a dry run, nor when another run holds the lock (it writes them). */
	if (!(cmd->needs & CMD_LOCK) || app->dry_run || rc == LS_EXIT_TEMPFAIL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m.duration = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
	if (metrics_write(app, &m) == -1)
		log_warn("metrics: %s not written", app->cfg.metrics_file);
}

int
cli_dispatch(struct app *app, const struct command *cmd, int argc, char **argv)
{
	struct timespec t0;
	int lock_fd = -1, rc;

	if ((cmd->needs & CMD_CONFIG) && config_load(app->config_path, &app->cfg) != 0) {
		log_error("%s: configuration has errors; see 'lotsync check-config'",
		          app->config_path);
		rc = LS_EXIT_CONFIG;
		goto out;
	}
	if ((cmd->needs & CMD_CONFIG) && app->shard_n &&
	    config_shard(&app->cfg, app->shard_i, app->shard_n) != 0) {
		rc = LS_EXIT_CONFIG;
		goto out;
	}
	if (cmd->needs & CMD_CONFIG)
		spool_init(&app->spool, app->cfg.spool);
	/* A run ends in bounded time: its transfers stop at run_timeout (clock.h). */
	if ((cmd->needs & CMD_CONFIG) && (cmd->needs & CMD_LOCK))
		clock_deadline_set((long)app->cfg.run_timeout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = open_store(app, cmd, cmd->name, &lock_fd)) == LS_EXIT_OK)
		rc = cmd->fn(app, argc, argv);
	/* Hooks and metrics report the run; they never change its exit code. */
	if (app->run > 0)
		notify_run(app);
	if (app->run > 0 && store_run_end(app->store, app->run, rc) == -1)
		rc = status_worse(rc, LS_EXIT_IOERR);
	if (app->state_failed)
		rc = status_worse(rc, LS_EXIT_IOERR);
	if (cmd->needs & CMD_LOCK)
		rc = status_worse(rc, guard_finish(app));
	write_metrics(app, cmd, rc, &t0);
	store_close(app->store);
	runlock_release(lock_fd);
out:
	if (cmd->needs & CMD_CONFIG) {
		spool_release(&app->spool);
		config_release(&app->cfg);
	}
	return rc;
}

const struct command *
cli_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
cli_usage(FILE *out)
{
	fputs("usage: lotsync [-c FILE] [-n|--dry-run] [-v] [-q] [--json] [--now ISO8601]\n"
	      "               [--shard I/N] COMMAND [ARGS]\n\n"
	      "Moves vehicle inventory between dealer systems and marketplaces.\n\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-13s %s%s\n", commands[i].name, commands[i].summary,
		        commands[i].fn ? "" : " (not built yet)");
	fputs("\nOptions:\n"
	      "  -c, --config FILE  configuration (default ./conf/lotsync.conf, then\n"
	      "                     /etc/lotsync/lotsync.conf)\n"
	      "  -n, --dry-run      run, ingest: show every rule decision, change nothing\n"
	      "  -v, --verbose      print a summary per feed and target; -vv adds debug lines\n"
	      "  -q, --quiet        print only errors (no progress line on a terminal)\n"
	      "      --json         print one JSON document on stdout\n"
	      "      --now TIME     the clock every rule, record and file name uses\n"
	      "                     (ISO 8601; also LOTSYNC_NOW)\n"
	      "      --shard I/N    only the feeds (and their targets) of shard I of N,\n"
	      "                     with its own database and lock; auto/N takes I from\n"
	      "                     JOB_COMPLETION_INDEX (docs/scaling.md)\n"
	      "      --allow-clock-rewind  run although the clock is earlier than the\n"
	      "                     newest recorded run (a deliberate replay)\n"
	      "  -h, --help         this help; 'lotsync COMMAND --help' for a command\n"
	      "      --version      print the version\n\n"
	      "Exit status: 0 ok, 3 awaiting an operator, 64 usage, 65 file quarantined\n"
	      "(verify, report: verification failed), 69 remote unavailable, 70 internal\n"
	      "error or not built yet, 74 local I/O, 75 another run holds the lock,\n"
	      "78 configuration. The most severe wins.\n",
	      out);
}

void
cli_command_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "usage: lotsync [global options] %s %s\n\n%s\n", cmd->name, cmd->usage,
	        cmd->summary);
	if (!cmd->fn)
		fputs("\nThis command is not built yet; it exits 70.\n", out);
	else if (cmd->help[0])
		fprintf(out, "\n%s", cmd->help);
}

bool
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}
