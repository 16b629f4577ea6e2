#!/usr/bin/python3 -I
"""enumerate.py - the fault enumeration (issue 12; SQLite's I/O-error tests
and curl's torture mode are the model).

The scenario: two drop feeds (acme, bmw) of three files each, dropped at
once with increasing mtimes (bmw's with .done markers), dealer rules (type and client mappings,
auto_close = immediately), a full and a delta file:// target. One run
applies all of it.

1. The run is made once through tests/shim/faultshim.c counting the
   fsync/fdatasync/rename/renameat/renameat2/link/linkat/close/write/pwrite
   calls on the scenario's files: N calls; that run is the reference.
2. For each chosen n in 1..N, in a fresh copy of the scenario: the run with
   call n failing once (and, separately, calls n..N all failing). Then:
   - the exit code is 74 (local I/O) or 69 (a remote step: the file://
     targets' directories);
   - PRAGMA integrity_check says ok and `lotsync verify` exits 0;
   - clean reruns (at most 3) reach exit 0, and then the state equals the
     reference: per feed the files applied in the same order (seq, name,
     SHA-256), every snapshot's state, the current versions, the SRs, each
     target's delivered receiver state and the full target's last file;
   - no ".tmp-" file anywhere, nothing left in incoming/ or work/, no
     ".part" file on the targets.

  enumerate.py --lotsync BIN --shim SO [--sample K --seed S] [--modes once,persist]
               [--fetch] [--only N] [--workdir DIR] [--keep] [-v]

--fetch adds a third feed fetched from a file:// source (two files), so
the fetch step's writes, renames and records are enumerated too.
--sample K picks K of the N calls (always the first and the last, the rest
spread by the seed); without it every call is tried. Exit 0 when every
case held, 1 otherwise (each failed case is printed with the call that
failed).
"""
import argparse
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile

NOW = "2026-11-20T08:00:00Z"
BEFORE = "2026-11-20T07:00:00Z"  # the run that made the database, with nothing dropped
FEEDS = ("acme", "bmw")
FETCH = False  # --fetch: a third feed, fetched from a file:// source (two files)
T0 = 1763560000  # mtimes of the drop files: T0, T0+60, T0+120

CONF = """[lotsync]
spool = ../spool
settle_seconds = 0

[feed:acme]
source = drop
profile = generic-csv
vanish_guard = 100%
auto_close = immediately

[feed:bmw]
source = drop
profile = generic-csv
vanish_guard = 100%
auto_close = immediately

{fetch}[type:new]
code = N
vehicle_type = New
sr_type = PDI

[type:used]
code = U
vehicle_type = Used
sr_type = Recon

[client:one]
dealer_id = D001
name = One

[client:two]
dealer_id = D002
name = Two

[target:full]
url = file://{base}/remote-full/
format = generic-csv
feeds = acme, bmw
deviation_lock = 1000%

[target:delta]
url = file://{base}/remote-delta/
format = generic-csv
feeds = acme, bmw
mode = delta
deviation_lock = 1000%
"""


def sh(args, env=None, cwd=None):
    p = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


def make_template(a, root, srcdir):
    """The scenario's files under root (conf, drop files); mtimes fixed."""
    os.makedirs(root + "/conf/profiles")
    os.makedirs(root + "/conf/formats")
    for d in ("remote-full", "remote-delta", "remote-src"):
        os.makedirs(root + "/" + d)
    gen = srcdir + "/scripts/mkfeed.py"
    # An hourly run on an existing database: the one that created it came before
    base = instance(root, os.path.dirname(root))
    rc, _, err = sh([a.lotsync, "-c", base + "/conf/lotsync.conf", "--now", BEFORE, "run"])
    if rc:
        sys.exit("the first run failed: " + err)
    shutil.rmtree(root)
    os.rename(base, root)
    if FETCH:
        for i in range(2):
            out = "%s/remote-src/c-%d.csv" % (root, i + 1)
            sh([sys.executable, gen, "--vehicles", "10", "--seed", str(500 + i), "--out", out])
            os.utime(out, (T0 + 60 * i, T0 + 60 * i))
    for fi, feed in enumerate(FEEDS):
        inc = "%s/spool/incoming/%s" % (root, feed)
        os.makedirs(inc, exist_ok=True)
        prev = None
        for i in range(3):
            out = "%s/%s-%d.csv" % (inc, feed, i + 1)
            args = [sys.executable, gen, "--vehicles", "24", "--dealers", "3",
                    "--seed", str(100 * fi + i + 1), "--out", out]
            if prev:
                args += ["--from", prev, "--change-pct", "20", "--new-pct", "10",
                         "--vanish-pct", "10"]
            rc, _, err = sh(args)
            if rc:
                sys.exit("mkfeed failed: " + err)
            os.utime(out, (T0 + 60 * i, T0 + 60 * i))
            if feed == "bmw":  # bmw's sender marks each file done: the markers move too
                open(out + ".done", "w").close()
            prev = out


def instance(template, work):
    """A fresh copy of the scenario in work; returns its base directory."""
    base = tempfile.mkdtemp(prefix="case.", dir=work)
    os.rmdir(base)
    shutil.copytree(template, base, symlinks=True)  # copy2: mtimes kept
    # The config names its own base (file:// targets), so each copy gets its own
    with open(base + "/conf/lotsync.conf", "w") as f:
        fetch = ""
        if FETCH:
            fetch = ("[feed:cnet]\nsource = file://%s/remote-src/*.csv\nprofile = generic-csv\n"
                     "vanish_guard = 100%%\n\n" % base)
        f.write(CONF.format(base=base, fetch=fetch))
    os.chmod(base + "/conf/lotsync.conf", 0o600)
    return base


def lotsync(a, base, *cmd, fault=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("LOTSYNC_FAULT_") or k == "LD_PRELOAD":
            del env[k]
    if fault is not None:
        env["LD_PRELOAD"] = a.shim
        env["LOTSYNC_FAULT_PREFIX"] = base
        env["LOTSYNC_FAULT_SKIP"] = "/spool/.lock"
        env["LOTSYNC_FAULT_REPORT"] = base + "/fault.report"
        n, mode = fault
        env["LOTSYNC_FAULT_AT"] = str(n)
        env["LOTSYNC_FAULT_MODE"] = mode
    return sh([a.lotsync, "-c", base + "/conf/lotsync.conf", "--now", NOW] + list(cmd), env=env)


def report(base):
    count, fails = None, []
    try:
        with open(base + "/fault.report") as f:
            for line in f:
                w = line.split(" ", 3)
                if w[0] == "count":
                    count = int(w[1])
                elif w[0] == "fail":
                    fails.append(line.strip())
        os.unlink(base + "/fault.report")
    except FileNotFoundError:
        pass
    return count, fails


def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def state(base):
    """What must equal the uninterrupted run, as a dict of sorted lists."""
    db = sqlite3.connect("file:%s/spool/lotsync.db?mode=ro" % base, uri=True)
    q = lambda sql: [tuple(r) for r in db.execute(sql)]
    s = {
        "applied in order": q("SELECT feed, seq, file, sha256 FROM snapshots"
                              " WHERE state = 'applied' ORDER BY feed, seq"),
        "snapshots": q("SELECT feed, state, file, sha256 FROM snapshots ORDER BY feed, file, state"),
        "current versions": q("SELECT feed, key, hash, data FROM versions WHERE to_seq IS NULL"
                              " ORDER BY feed, key"),
        "srs": q("SELECT feed, vin, key, dealer_id, client, stock_no, vehicle_type, sr_type,"
                 " status, created_at, closed_at, close_reason FROM srs ORDER BY feed, vin, key"),
        "receiver state": q("SELECT t.target, t.feed, t.key, v.hash FROM target_state t"
                            " JOIN versions v ON v.id = t.version ORDER BY 1, 2, 3"),
        "quarantined": q("SELECT feed, file FROM quarantine ORDER BY 1, 2"),
    }
    last = q("SELECT file FROM exports WHERE target = 'full' AND state = 'delivered'"
             " ORDER BY id DESC LIMIT 1")
    db.close()
    s["full target's last file"] = [file_sha("%s/remote-full/%s" % (base, last[0][0]))] if last else []
    return s


def leftovers(base):
    out = []
    for dirpath, dirs, files in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        for f in files:
            p = os.path.join(rel, f)
            if f.startswith(".tmp-") or f.endswith(".part"):
                out.append(p)
            elif rel.startswith("spool/incoming") or rel.startswith("spool/work"):
                out.append(p)
    return sorted(out)


def integrity(base):
    db = sqlite3.connect("file:%s/spool/lotsync.db?mode=ro" % base, uri=True)
    r = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return r


def check_case(a, template, work, ref, n, mode):
    """Problems of one case (empty: it held), and the call that failed."""
    base = instance(template, work)
    problems = []
    rc, out, err = lotsync(a, base, "run", fault=(n, mode))
    _, fails = report(base)
    what = fails[0].split(" ", 2)[2] if fails else "(no call failed)"
    no_effect = False
    if not fails:
        problems.append("no call was failed: the run made fewer calls than the reference")
    elif rc == 0 and state(base) == ref and not leftovers(base):
        # The failed call lost nothing the run promised (SQLite's checkpoint into the
        # database file at close, its ignored directory fsync, the notification
        # queue, which never changes the exit code): exit 0 is the truth then.
        no_effect = True
    elif rc not in (74, 69):
        problems.append("exit %d, wanted 74 or 69; stderr: %s" % (rc, err.strip()[-600:]))
    if os.path.exists(base + "/spool/lotsync.db"):
        if integrity(base) != "ok":
            problems.append("integrity_check after the fault: " + integrity(base))
        vrc, vout, verr = lotsync(a, base, "verify")
        if vrc:
            problems.append("verify after the fault: exit %d: %s" % (vrc, (vout + verr).strip()[-400:]))
    for attempt in range(3):
        rc2, out2, err2 = lotsync(a, base, "run")
        if rc2 == 0:
            break
    else:
        problems.append("3 clean reruns, still exit %d: %s" % (rc2, err2.strip()[-600:]))
    if rc2 == 0:
        got = state(base)
        for k in ref:
            if got[k] != ref[k]:
                extra = [x for x in got[k] if x not in ref[k]][:3]
                missing = [x for x in ref[k] if x not in got[k]][:3]
                problems.append("%s differs from the uninterrupted run (extra %s, missing %s)"
                                % (k, extra, missing))
        vrc, vout, verr = lotsync(a, base, "verify")
        if vrc:
            problems.append("verify after the reruns: exit %d" % vrc)
        left = leftovers(base)
        if left:
            problems.append("left behind: " + ", ".join(left[:5]))
    if not problems and not a.keep:
        shutil.rmtree(base)
    elif a.keep:
        problems.append("kept in " + base) if problems else None
    return problems, what, rc, no_effect


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lotsync", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--srcdir", default=os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", default="once,persist")
    ap.add_argument("--only", type=int, default=0, help="just this call number")
    ap.add_argument("--fetch", action="store_true",
                    help="add a third feed fetched from a file:// source (two files)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--workdir", help="scratch directory (default: a new one in $TMPDIR)")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    global FETCH
    FETCH = a.fetch
    a.lotsync = os.path.abspath(a.lotsync)
    a.shim = os.path.abspath(a.shim)
    work = tempfile.mkdtemp(prefix="lotsync-fault.", dir=a.workdir)
    try:
        template = work + "/template"
        make_template(a, template, a.srcdir)
        base = instance(template, work)
        rc, out, err = lotsync(a, base, "run", fault=(0, "once"))
        count, _ = report(base)
        if rc != 0 or not count:
            print("reference run: exit %d, %s calls: %s" % (rc, count, err.strip()[-800:]))
            return 1
        ref = state(base)
        if len(ref["applied in order"]) != 6 + 2 * FETCH:
            print("reference run applied %d files, wanted %d" % (len(ref["applied in order"]), 6 + 2 * FETCH))
            return 1
        shutil.rmtree(base)
        ns = list(range(1, count + 1))
        if a.only:
            ns = [a.only]
        elif a.sample and a.sample < count:
            rng = random.Random(a.seed)
            ns = sorted({1, count} | set(rng.sample(range(2, count), a.sample - 2)))
        modes = a.modes.split(",")
        print("reference run: %d counted calls; trying %d of them, %s" % (count, len(ns), "/".join(modes)))
        bad = harmless = 0
        for n in ns:
            for mode in modes:
                problems, what, rc, no_effect = check_case(a, template, work, ref, n, mode)
                harmless += no_effect and not problems
                if problems:
                    bad += 1
                    print("FAIL call %d (%s) %s: exit %d" % (n, mode, what, rc))
                    for p in problems:
                        print("    " + p)
                elif a.v:
                    print("ok   call %d (%s) %s: exit %d%s" % (n, mode, what, rc,
                          " (no effect: the state already equals the reference)" if no_effect else ""))
        print("%d case(s), %d failed, %d without effect (exit 0, state already complete)"
              % (len(ns) * len(modes), bad, harmless))
        return 1 if bad else 0
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
