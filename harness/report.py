#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn what a test guest printed into one line per test.

  report.py console CONSOLE
      print every kernel splat (panic, oops, BUG, WARNING, lockdep, KASAN,
      stalls) found in a console log, one line each.
  report.py collect PREFIX RESULTS CONSOLE BOOT_RC
      read the kselftest TAP framed in RESULTS and the KUnit KTAP and splats
      in CONSOLE; print a line per test and append them to $CD_RESULTS,
      and each suite's duration to $CD_TIMES.
  report.py time NAME SECONDS / report.py slowest FILE
      append a duration to $CD_TIMES / print a timing table's longest steps.
  report.py total FILE
      print the upstream KUnit suites' results on a line of their own, then
      the closing 'N passed, N failed[, N skipped]' line of FILE, which
      counts our tests only; exit 1 if anything failed (upstream KUnit
      included) or none of our tests ran.

The guest's console also carries upstream KUnit suites (list, hlist, klist,
...): they are there to keep the KUnit parser exercised on a second,
independent producer, not to test the series, so they are not in the total.
"""
import os
import re
import sys

SPLAT = re.compile(
    r"(Kernel panic|Oops[:\s]|BUG:|WARNING:|general protection fault|"
    r"possible recursive locking|possible circular locking|"
    r"inconsistent lock state|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|"
    r"KASAN:|KCSAN:|UBSAN:|rcu_.*detected stalls|watchdog: BUG|"
    r"sleeping function called from invalid context|"
    r"core_domain: isolation violated)")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
TAP = re.compile(r"^(not ok|ok)\s+\d+\s*-?\s*(.*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$")


def strip(line):
    return STAMP.sub("", line.rstrip("\r\n"))


def splats(path):
    found = []
    if not os.path.exists(path):
        return found
    with open(path, errors="replace") as f:
        for n, raw in enumerate(f, 1):
            line = strip(raw)
            if SPLAT.search(line):
                found.append(f"console line {n}: {line.strip()}")
    return found


def kunit(path):
    """Leaf KUnit results: (status, suite.test, detail)."""
    out, suite = [], None
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for raw in f:
            line = strip(raw)
            m = re.match(r"^    # Subtest: (\S+)", line)
            if m:
                suite = m.group(1)
                continue
            if suite and line.startswith("    ") and not line.startswith("     "):
                t = TAP.match(line[4:])
                if t:
                    status = "FAIL" if t.group(1) == "not ok" else "PASS"
                    if t.group(3) == "SKIP":
                        status = "SKIP"
                    out.append((status, f"kunit:{suite}.{t.group(2)}", t.group(4) or ""))
            elif suite and re.match(r"^(not ok|ok) ", line):
                suite = None
    return out


# What a kselftest printed before 'not ok' that says why: the failed
# EXPECT/ASSERT, a timeout, or else its last diagnostic line.
CAUSE = re.compile(r":Expected |terminated by|timed out|timeout|did not")


def failure_cause(diag):
    lines = [d.lstrip("# ").strip() for d in diag if d.strip("# ")]
    lines = [d for d in lines if not re.match(r"^(RUN|OK|FAIL)\b", d)]
    pick = [d for d in lines if CAUSE.search(d)] or lines[-1:]
    return "; ".join(pick[:2])[:300]


def selftests(path):
    out = []
    if not os.path.exists(path):
        return out, False, []
    cur, results, plan, exited, leaks = None, [], None, False, []
    times, diag = [], []
    with open(path, errors="replace") as f:
        lines = [l.rstrip("\r\n") for l in f]
    for line in lines:
        if line.startswith("@@CD-EXIT"):
            exited = True
        m = re.match(r"^@@CD-SUITE (\S+)", line)
        if m:
            cur, results, plan, leaks = m.group(1), [], None, []
            continue
        # The runner found processes the suite left running (and killed them).
        m = re.match(r"^@@CD-LEAK (\S+?): (.*)", line)
        if m:
            leaks.append(("FAIL", f"{m.group(1)}:leftover-processes", m.group(2)))
            continue
        m = re.match(r"^@@CD-SUITE-END (\S+) rc=(\d+)(?: secs=(\d+))?", line)
        if m and cur:
            rc = int(m.group(2))
            if m.group(3):
                times.append((cur, int(m.group(3))))
            out.extend(results)
            out.extend(leaks)
            if not results:
                out.append(("FAIL", cur, f"exited {rc} without reporting a test"))
            elif plan is not None and plan != len(results):
                out.append(("FAIL", cur, f"planned {plan} tests, reported {len(results)}"))
            elif rc not in (0, 4) and not any(r[0] == "FAIL" for r in results):
                out.append(("FAIL", cur, f"exited {rc}"))
            cur = None
            continue
        if cur is None:
            continue
        m = re.match(r"^1\.\.(\d+)", line)
        if m:
            plan = int(m.group(1))
            continue
        t = TAP.match(line)
        if t:
            status = "FAIL" if t.group(1) == "not ok" else "PASS"
            if t.group(3) == "SKIP":
                status = "SKIP"
            why = t.group(4) or ""
            if status == "FAIL" and not why:
                why = failure_cause(diag)
            results.append((status, f"{cur}:{t.group(2)}", why))
            diag = []
            continue
        if line.startswith("#"):
            diag.append(line)
    if cur is not None:
        out.extend(results)
        out.extend(leaks)
        out.append(("FAIL", cur, "did not finish (guest stopped or timed out)"))
    return out, exited, times


def collect(prefix, results, console, boot_rc):
    recs = [(s, f"{prefix}/{n}", d) for s, n, d in kunit(console)]
    tests, exited, times = selftests(results)
    recs += [(s, f"{prefix}/{n}", d) for s, n, d in tests]
    record_times([(f"{prefix}/{n}", t) for n, t in times])
    for s in splats(console):
        recs.append(("FAIL", f"{prefix}/kernel-log", s))
    if boot_rc == 124:
        recs.append(("FAIL", f"{prefix}/guest", "exceeded its time limit"))
    elif not exited:
        recs.append(("FAIL", f"{prefix}/guest", f"stopped without reporting (status {boot_rc})"))
    if not recs:
        recs.append(("FAIL", f"{prefix}/guest", "ran no test"))
    emit(recs)


def record_times(times):
    """Append (NAME, SECONDS) pairs to $CD_TIMES, the run's timing table."""
    dest = os.environ.get("CD_TIMES")
    if not dest or not times:
        return
    with open(dest, "a") as fh:
        for n, t in times:
            fh.write(f"{n}\t{t}\n")


def slowest(path, n=12):
    """Print the N longest entries of a timing table and its boot total."""
    if not os.path.exists(path):
        return
    rows = []
    with open(path) as f:
        for line in f:
            name, _, secs = line.rstrip("\n").partition("\t")
            if secs.isdigit():
                rows.append((int(secs), name))
    boots = sum(s for s, name in rows if name.endswith("/boot"))
    print(f"guest boots: {boots} s in all; the longest steps:")
    for secs, name in sorted(rows, reverse=True)[:n]:
        print(f"  {secs:5d} s  {name}")


def emit(recs):
    dest = os.environ.get("CD_RESULTS")
    fh = open(dest, "a") if dest else None
    for s, n, d in recs:
        print(f"{s:4} {n}" + (f"  ({d})" if d else ""))
        if fh:
            fh.write(f"{s}\t{n}\t{d}\n")
    if fh:
        fh.close()


# KUnit suites of the series; every other KUnit suite is upstream's.
OUR_KUNIT = re.compile(r"^core_domain")


def upstream_kunit(name):
    """Is the record NAME (VARIANT/GUEST/kunit:SUITE.TEST) an upstream suite's?"""
    m = re.search(r"(?:^|/)kunit:([^.]+)\.", name)
    return bool(m) and not OUR_KUNIT.match(m.group(1))


def counted(counts):
    line = f"{counts['PASS']} passed, {counts['FAIL']} failed"
    if counts["SKIP"]:
        line += f", {counts['SKIP']} skipped"
    return line


def total(path):
    ours = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    upstream = dict(ours)
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                s = fields[0]
                if s not in ours:
                    continue
                if len(fields) > 1 and upstream_kunit(fields[1]):
                    upstream[s] += 1
                else:
                    ours[s] += 1
    print(f"upstream KUnit (harness parser check): {counted(upstream)}")
    print(counted(ours))
    return 1 if ours["FAIL"] or upstream["FAIL"] or not ours["PASS"] else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "console":
        for s in splats(argv[2]):
            print(s)
        return 0
    if len(argv) == 6 and argv[1] == "collect":
        collect(argv[2], argv[3], argv[4], int(argv[5]))
        return 0
    if len(argv) == 3 and argv[1] == "total":
        return total(argv[2])
    if len(argv) == 4 and argv[1] == "time":
        record_times([(argv[2], int(argv[3]))])
        return 0
    if len(argv) == 3 and argv[1] == "slowest":
        slowest(argv[2])
        return 0
    if len(argv) == 5 and argv[1] == "record":
        emit([(argv[2], argv[3], argv[4])])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
