/* cli.c - the command table of SPEC §5, usage and per-command help. */
#include "lotsync/cli.h"

#include <string.h>

#include "lotsync/util.h"

static const struct command commands[] = {
        {"run", "[FEED...]", "fetch, ingest, export, deliver: the cron job",
         "Ingests every complete file in the feeds' drop folders (all feeds, or\n"
         "those named), renders exports for targets whose feeds changed, and\n"
         "delivers pending export files. Silent on success; -v prints a summary.\n",
         CMD_CONFIG | CMD_LOCK, cmd_run},
        {"fetch", "[FEED...]", "pull remote feeds into incoming/", "", CMD_CONFIG | CMD_LOCK, NULL},
        {"ingest", "[FEED...]", "claim, parse, snapshot, guard, diff, rules, archive",
         "Claims complete files from incoming/<feed>/, archives them by SHA-256,\n"
         "parses them through the feed's profile and stores each as a snapshot.\n",
         CMD_CONFIG | CMD_LOCK, cmd_ingest},
        {"export", "[--full] [TARGET...]", "render export files into outbox/",
         "Renders a target's current vehicles into outbox/<target>/ when its feeds\n"
         "changed since the last export.\n"
         "  --full   render a new file even when nothing changed\n",
         CMD_CONFIG | CMD_LOCK, cmd_export},
        {"deliver", "[TARGET...]", "upload outbox files (temp name, then rename), retry later",
         "Uploads pending outbox files under a temporary name and renames them;\n"
         "a failed upload stays queued for the next run.\n",
         CMD_CONFIG | CMD_LOCK, cmd_deliver},
        {"status", "", "what is held, locked, queued, failed; last run per feed and target",
         "Shows per feed the newest snapshot, its vehicles, files waiting in\n"
         "incoming/ and quarantined in failed/; per target the pending queue\n"
         "and the last delivery.\n",
         CMD_CONFIG | CMD_READ, cmd_status},
        {"check-config", "[--connect]", "validate the configuration, profiles and formats",
         "Reports every problem as FILE:LINE: message and exits 78 if any.\n"
         "  --connect   also log in to every remote (not built yet)\n",
         0, cmd_check_config},
        {"snapshots", "[FEED]", "list snapshots",
         "Lists every snapshot (or a feed's): id, feed, state, SHA-256, file,\n"
         "received time and counts.\n",
         CMD_CONFIG | CMD_READ, cmd_snapshots},
        {"show", "SNAPSHOT [--rejected]", "vehicles of a snapshot",
         "Prints the vehicles of an applied snapshot, or with --rejected the rows\n"
         "it refused with line, field and reason. Warnings about the file as a\n"
         "whole (ambiguous dates, VIN check digits) come first.\n",
         CMD_CONFIG | CMD_READ, cmd_show},
        {"diff", "SNAPSHOT SNAPSHOT", "new / changed (field: old -> new) / vanished",
         "Compares any two applied snapshots of one feed.\n", CMD_CONFIG | CMD_READ, cmd_diff},
        {"history", "VIN", "every version of a vehicle, with the snapshot and file",
         "Lists every stored version of the vehicle: when it appeared, changed\n"
         "and vanished, with the snapshot and file each came from.\n",
         CMD_CONFIG | CMD_READ, cmd_history},
        {"srs", "[--feed F] [--open|--closed]", "service requests", "", CMD_CONFIG | CMD_READ,
         NULL},
        {"accept", "SNAPSHOT", "apply a snapshot held by the vanish guard", "",
         CMD_CONFIG | CMD_LOCK, NULL},
        {"reject", "SNAPSHOT", "discard a snapshot held by the vanish guard", "",
         CMD_CONFIG | CMD_LOCK, NULL},
        {"unlock", "TARGET", "lift a deviation lock; the next deliver sends", "",
         CMD_CONFIG | CMD_LOCK, NULL},
        {"release", "TARGET (VIN...|--all)", "release new vehicles held by auto_release = no", "",
         CMD_CONFIG | CMD_LOCK, NULL},
        {"verify", "", "recheck the audit hash chain and every archived file", "",
         CMD_CONFIG | CMD_READ, NULL},
        {"report", "--html FILE", "self-contained HTML report", "", CMD_CONFIG | CMD_READ, NULL},
};

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
	      "               COMMAND [ARGS]\n\n"
	      "Moves vehicle inventory between dealer systems and marketplaces.\n\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-13s %s%s\n", commands[i].name, commands[i].summary,
		        commands[i].fn ? "" : " (not built yet)");
	fputs("\nOptions:\n"
	      "  -c, --config FILE  configuration (default ./conf/lotsync.conf, then\n"
	      "                     /etc/lotsync/lotsync.conf)\n"
	      "  -n, --dry-run      show what would be done, change nothing (not built yet)\n"
	      "  -v, --verbose      print a summary per feed and target; -vv adds debug lines\n"
	      "  -q, --quiet        print only errors\n"
	      "      --json         print one JSON document on stdout\n"
	      "      --now TIME     the clock every rule, record and file name uses\n"
	      "                     (ISO 8601; also LOTSYNC_NOW)\n"
	      "  -h, --help         this help; 'lotsync COMMAND --help' for a command\n"
	      "      --version      print the version\n\n"
	      "Exit status: 0 ok, 3 awaiting an operator, 64 usage, 65 file quarantined,\n"
	      "69 remote unavailable, 70 internal error or not built yet, 74 local I/O,\n"
	      "75 another run holds the lock, 78 configuration. The most severe wins.\n",
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
