#!/usr/bin/python3
"""runcorpus.py - run lotsync on every file of the malformed-input corpus.

    runcorpus.py --lotsync BIN --corpus DIR --work DIR [--min N]

DIR is what mkcorpus.py wrote. The files are run in three batches, one per
expected class (q quarantine, h held, r rows refused): each batch is one
spool whose config has one feed per file. A first run applies every feed's
base fixture (its earlier data, exit 0); then each feed gets its damaged
file and a second run must exit 65 (q), 3 (h) or 0 (r; 3 when one of them
was held by the drift guard). Then, per file:
  q  failed/FEED/NAME.reason exists and its reason starts with "NAME:LINE: "
     ("NAME: " for a .gz or .zip, whose damage may have no line), and no
     snapshot of it was applied;
  h  its snapshot is held with a reason;
  r  its snapshot has at least one refused row, each with its line and
     reason, and is applied, or held by the drift guard ("drift: ...");
and the feed's current versions equal those after the first run (the
earlier data intact). Class * (mkcorpus.py --full): the run exits 0, 3 or 65
and each file was applied, held or quarantined; nothing more is asked. No run may print a sanitizer report (AddressSanitizer,
LeakSanitizer, UBSan "runtime error"), and `verify` must pass in each spool.
Prints the counts; exits 1 on any failure or when fewer than --min files ran.
"""
import argparse
import collections
import os
import shutil
import sqlite3
import subprocess
import sys
import time

EXIT = {"q": 65, "h": 3, "r": 0, "*": None}
SANITIZER = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: UndefinedBehavior")
ARCHIVES = (".gz", ".zip")


def run(args, lotsync, conf, *cmd):
    t = time.monotonic()
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1", LOTSYNC_ALLOW_CLOCK_REWIND="1")
    p = subprocess.run([lotsync, "-c", conf] + list(cmd), env=env, capture_output=True, text=True,
                       errors="replace")
    print(f"  {' '.join(cmd[-1:])} in {os.path.basename(os.path.dirname(os.path.dirname(conf)))}: "
          f"exit {p.returncode}, {time.monotonic() - t:.1f} s", flush=True)
    return p.returncode, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lotsync", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--min", type=int, default=200)
    a = ap.parse_args()
    cases = [l.rstrip("\n").split("|") for l in open(os.path.join(a.corpus, "MANIFEST"), encoding="utf-8")]
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    bad, counts, families = [], collections.Counter(), collections.Counter()

    def sanitizer(what, err):
        for s in SANITIZER:
            if s in err:
                bad.append(f"{what}: sanitizer report:\n" + err[err.index(s) - 200 if err.index(s) > 200 else 0:][:3000])
                return

    batches = []
    for cls in "qhr*":
        of = [c for c in cases if c[3] == cls]
        step = 1000 if cls == "*" else len(of) or 1  # at most 1,000 feeds a spool
        batches += [(cls, f"{cls}{k // step}" if cls == "*" else cls, of[k:k + step]) for k in range(0, len(of), step)]
    for cls, label, batch in batches:
        root = os.path.join(a.work, label.replace("*", "any"))
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, "conf"))
        if cls == "*" and label != "*0":
            shutil.rmtree(os.path.join(a.work, "any" + str(int(label[1:]) - 1)), ignore_errors=True)
        conf = os.path.join(root, "conf", "lotsync.conf")
        feeds = {}
        with open(conf, "w") as f:
            f.write("[lotsync]\nspool = ../spool\nsettle_seconds = 0\nmax_clock_jump = never\n\n")
            for i, (name, opts, base, _, fam) in enumerate(batch):
                feed = f"c{i:04d}"
                feeds[feed] = (name, base, fam)
                f.write(f"[feed:{feed}]\nsource = drop\n" + "".join(o + "\n" for o in opts.split(";")) + "\n")
        os.chmod(conf, 0o600)
        for feed, (name, base, _) in feeds.items():
            d = os.path.join(root, "spool", "incoming", feed)
            os.makedirs(d)
            if base != "-":
                shutil.copyfile(os.path.join(fixtures, base), os.path.join(d, "base" + os.path.splitext(base)[1]))
        rc, err = run(a, a.lotsync, conf, "--now", "2026-11-20T08:00:00Z", "run")
        sanitizer(f"batch {cls}: the bases", err)
        if rc != 0:
            bad.append(f"batch {cls}: the bases' run exited {rc}:\n" + err[-3000:])
            continue
        db = os.path.join(root, "spool", "lotsync.db")

        def current():
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            cur = collections.defaultdict(list)
            for feed, key, h in con.execute("select feed, key, hash from versions where to_seq is null order by 1, 2"):
                cur[feed].append((key, h))
            con.close()
            return cur

        before = current()
        for feed, (name, _, _) in feeds.items():
            shutil.copyfile(os.path.join(a.corpus, "files", name), os.path.join(root, "spool", "incoming", feed, name))
        rc, err = run(a, a.lotsync, conf, "--now", "2026-11-21T08:00:00Z", "run")
        sanitizer(f"batch {cls}: the damaged files", err)
        after = current()
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        want = EXIT[cls]
        if cls == "r" and con.execute("select count(*) from snapshots where state = 'held'").fetchone()[0]:
            want = 3
        if cls == "*" and rc not in (0, 3, 65):
            bad.append(f"batch *: exit {rc}, wanted 0, 3 or 65")
        elif cls != "*" and rc != want:
            bad.append(f"batch {cls}: exit {rc}, wanted {want}")
        for feed, (name, base, fam) in feeds.items():
            snap = con.execute("select id, state, coalesce(hold_reason, ''), rejected_rows from snapshots "
                               "where feed = ? and file = ?", (feed, name)).fetchall()
            why = None
            if cls == "*":
                quarantined = os.path.exists(os.path.join(root, "spool", "failed", feed, name + ".reason"))
                if not quarantined and not any(x[1] in ("applied", "held", "duplicate") for x in snap):
                    why = f"neither applied, held nor quarantined: {snap}"
                counts[cls] += 1
                families[fam] += 1
                if why:
                    bad.append(f"{name} ({fam}): {why}")
                continue
            if cls == "q":
                rpath = os.path.join(root, "spool", "failed", feed, name + ".reason")
                reason = ""
                if os.path.exists(rpath):
                    reason = next((l[8:].strip() for l in open(rpath, encoding="utf-8", errors="replace")
                                   if l.startswith("reason: ")), "")
                rest = reason[len(name) + 1:] if reason.startswith(name + ":") else None
                lined = rest is not None and rest.split(":", 1)[0].isdigit()
                if rest is None or not (lined or name.endswith(ARCHIVES)):
                    why = f"reason {reason!r} does not start with '{name}:LINE: '"
                elif any(s[1] == "applied" for s in snap):
                    why = "quarantined and applied"
            elif cls == "h":
                if len(snap) != 1 or snap[0][1] != "held" or not snap[0][2]:
                    why = f"snapshot {snap}, wanted one held with a reason"
            else:
                drift = len(snap) == 1 and snap[0][1] == "held" and snap[0][2].startswith("drift:")
                if len(snap) != 1 or not (snap[0][1] == "applied" or drift) or snap[0][3] < 1:
                    why = f"snapshot {snap}, wanted one with refused rows, applied or held for drift"
                else:
                    rows = con.execute("select line, reason from rejected_rows where snapshot_id = ?",
                                       (snap[0][0],)).fetchall()
                    if not rows or any(l < 1 or not r for l, r in rows):
                        why = f"refused rows {rows}: each needs its line and reason"
            if why is None and before.get(feed) != after.get(feed):
                why = "the feed's current versions changed"
            if why:
                bad.append(f"{name} ({fam}, class {cls}): {why}")
            counts[cls] += 1
            counts["drift"] += cls == "r" and bool(snap) and snap[0][1] == "held"
            families[fam] += 1
        con.close()
        rc, err = run(a, a.lotsync, conf, "verify")
        sanitizer(f"batch {label}: verify", err)
        if rc != 0:
            bad.append(f"batch {cls}: verify exited {rc}: " + err[-1000:])

    total = counts['q'] + counts['h'] + counts['r'] + counts['*']
    print(f"{total} malformed files run: {counts['q']} quarantined, {counts['h']} held, "
          f"{counts['r']} with refused rows ({counts['drift']} of them held for drift)"
          + (f", {counts['*']} cut or flipped anywhere (no crash asked)" if counts['*'] else ""))
    print("by family: " + ", ".join(f"{k} {v}" for k, v in sorted(families.items())))
    for b in bad:
        print("BAD:", b)
    if total < a.min:
        print(f"BAD: only {total} files, fewer than {a.min}")
    sys.exit(1 if bad or total < a.min else 0)


main()
