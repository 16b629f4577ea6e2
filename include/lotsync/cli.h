/*
 * cli.h - the commands of SPEC §5. main.c parses the global options, loads
 * the configuration and dispatches through this table to the commands
 * (cmd.h), which parse their own arguments and return an exit code.
 */
#ifndef LOTSYNC_CLI_H
#define LOTSYNC_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "lotsync/app.h"

enum cmd_needs {
	CMD_CONFIG = 1,      /* a loaded, valid configuration */
	CMD_LOCK = 2,        /* the run lock and a writable store */
	CMD_READ = 4,        /* a read-only store (absent database = empty) */
	CMD_DRY_RUN = 8,     /* understands --dry-run (others that lock refuse it) */
	CMD_LATE_CHECK = 16, /* quick_check beside the command, its verdict at the first commit */
};

struct command {
	const char *name;
	const char *usage;   /* arguments after the name */
	const char *summary; /* one line for lotsync --help */
	const char *help;    /* the rest of "lotsync CMD --help" */
	int needs;
	int (*fn)(struct app *app, int argc, char **argv); /* NULL: not built yet */
};

const struct command *cli_find(const char *name);
/*
 * Run cmd with what its needs say: the configuration loaded (errors: exit
 * 78) and app->spool set, the run lock and a writable store with a run
 * record, or a read-only store (none when the database does not exist
 * yet). Everything set up here is released before returning cmd's exit
 * code (or a worse one when the run record cannot be closed).
 */
int cli_dispatch(struct app *app, const struct command *cmd, int argc, char **argv);
void cli_usage(FILE *out);
void cli_command_help(const struct command *cmd, FILE *out);
/* True when argv holds -h/--help before any "--". */
bool cli_wants_help(int argc, char **argv);

#endif
