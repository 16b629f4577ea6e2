/*
 * fuzz_conf.c - libFuzzer target for the .ini parsers: the input is written
 * as a profile, a format or lotsync.conf (the first byte picks which) and
 * loaded; errors are expected, crashes, leaks and hangs are not. The files
 * live in a private temp dir made once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/config.h"
#include "lotsync/format.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/util.h"

static char dir[] = "/tmp/lotsync-fuzz-conf.XXXXXX";
static char *paths[3];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *d;

	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	if (!mkdtemp(dir))
		abort();
	d = xasprintf("%s/profiles", dir);
	mkdir(d, 0700);
	free(d);
	d = xasprintf("%s/formats", dir);
	mkdir(d, 0700);
	free(d);
	paths[0] = xasprintf("%s/profiles/p.ini", dir);
	paths[1] = xasprintf("%s/formats/f.ini", dir);
	paths[2] = xasprintf("%s/lotsync.conf", dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int which;
	FILE *f;

	if (size < 1)
		return 0;
	which = data[0] % 3;
	f = fopen(paths[which], "w");
	if (!f)
		abort();
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	chmod(paths[which], 0600);
	if (which == 0) {
		struct profile p;

		profile_load(dir, "p", &p);
		profile_release(&p);
	} else if (which == 1) {
		struct format fm;

		format_load(dir, "f", &fm);
		format_release(&fm);
	} else {
		struct config c;

		config_load(paths[2], &c);
		config_release(&c);
	}
	return 0;
}
