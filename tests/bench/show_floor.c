/*
 * show_floor DB FEED: the floor under show's aim in `make bench`
 * (scripts/bench-audit.sh). A bare sqlite3_step loop over the feed's
 * current versions, key and JSON (cur joined to version_rows in id order:
 * the order they lie in the file, SQLite's cheapest), every byte touched,
 * nothing sorted, formatted or printed; one read transaction, SQLite's
 * default page cache, no mmap. Prints the rows and the bytes read. Cat's
 * bytes per second against this loop's is why 0.5x cat is out of reach
 * for anything that reads its rows out of SQLite.
 */
#include <sqlite3.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	unsigned long long rows = 0, bytes = 0, sum = 0;
	int rc;

	if (argc != 3 || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 2;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT v.key, v.data FROM cur c JOIN version_rows v"
	                       " ON v.id = c.version_id WHERE c.feed = ? ORDER BY c.version_id",
	                       -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "show_floor: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_text(s, 1, argv[2], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < 2; i++) {
			const unsigned char *p = sqlite3_column_text(s, i);
			int n = sqlite3_column_bytes(s, i);

			for (int k = 0; k < n; k += 64) /* every cache line of the value */
				sum += p[k];
			bytes += (unsigned long long)n;
		}
		rows++;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "show_floor: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	printf("%llu rows, %llu bytes (%llu)\n", rows, bytes, sum & 1);
	return 0;
}
