// duckdb_diff.js PREV.csv CUR.csv [THREADS]: the DuckDB peer of `make bench`.
// Reads both CSV files (every column as text, header line, RFC 4180
// quoting) and classifies each VIN as new (only in CUR), vanished (only in
// PREV) or changed (in both, some column differs), the way
// tests/peer_diff.py does; prints "new=N changed=N vanished=N". Run with
// the @duckdb/node-api package that scripts/bench-store.sh installs into
// bench/out/duckdb (NODE_PATH). Threads default to 2 (this machine's cores).
const { DuckDBInstance } = require("@duckdb/node-api");

const [prev, cur, threads = "2"] = process.argv.slice(2);
if (!prev || !cur) {
	console.error("usage: duckdb_diff.js PREV.csv CUR.csv [THREADS]");
	process.exit(2);
}
async function main() {
	const db = await DuckDBInstance.create(":memory:", { threads });
	const con = await db.connect();
	const read = (f) =>
		`read_csv('${f.replaceAll("'", "''")}', header = true, all_varchar = true, quote = '"', escape = '"', strict_mode = true)`;
	await con.run(`CREATE TEMP TABLE a AS SELECT * FROM ${read(prev)}`);
	await con.run(`CREATE TEMP TABLE b AS SELECT * FROM ${read(cur)}`);
	// One pass over the full outer join by key; a row is changed when the
	// whole row (as a struct) differs.
	const r = await con.runAndReadAll(`
		SELECT count(*) FILTER (WHERE a."VIN" IS NULL),
		       count(*) FILTER (WHERE a."VIN" IS NOT NULL AND b."VIN" IS NOT NULL AND a IS DISTINCT FROM b),
		       count(*) FILTER (WHERE b."VIN" IS NULL)
		FROM a FULL OUTER JOIN b ON a."VIN" = b."VIN"`);
	const [n, c, v] = r.getRows()[0];
	console.log(`new=${n} changed=${c} vanished=${v}`);
}
main().catch((e) => {
	console.error(e.message);
	process.exit(1);
});
