#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py OUTDIR: turn OUTDIR/raw.csv (written by bench/bench.sh) into
OUTDIR/results.md (median, spread, ratio to vanilla, targets met or not) and
PNG plots drawn with gnuplot.  Standard library only."""

import csv
import os
import statistics
import subprocess
import sys

OUT = sys.argv[1]
RAW = os.path.join(OUT, "raw.csv")
SMT_YIELD = 0.25

# Columns, in this order, where they exist.
MAIN = ["vanilla", "nosmt", "upstream", "coredomain", "coredomain-kernel"]
VMCOLS = MAIN + ["coredomain-nofast"]
UNUSED = ["coredomain-unused", "upstream-unused"]
ONEDOM = ["coredomain-1dom", "upstream-1dom"]
FEAT = ("upstream", "coredomain")


def label(kernel, tag):
    """Column label of a result: the kernel, or how its feature was used."""
    if tag in ("none", "unused"):
        return kernel + "-unused" if kernel in FEAT else kernel
    if tag == "onedom":
        return kernel + "-1dom"
    return kernel


data = {}   # (timing, topo, scenario, param, metric) -> {label: [values]}
with open(RAW) as f:
    for r in csv.DictReader(f):
        try:
            v = float(r["value"])
        except ValueError:
            continue
        key = (r["timing"], r["topo"], r["scenario"], r["param"], r["metric"])
        data.setdefault(key, {}).setdefault(label(r["kernel"], r["tag"]), []).append(v)

meta = {}
if os.path.exists(os.path.join(OUT, "meta.txt")):
    for line in open(os.path.join(OUT, "meta.txt")):
        k, _, v = line.rstrip("\n").partition("=")
        meta[k] = v


def vals(timing, topo, scen, param, metric, col):
    return data.get((timing, topo, scen, param, metric), {}).get(col, [])


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(x, digits=3):
    if x is None:
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def cell(xs, ref=None, digits=3):
    """median (min–max, n) and the ratio to the reference median."""
    if not xs:
        return "–"
    m = med(xs)
    s = fmt(m, digits)
    if len(xs) > 1:
        s += f" ({fmt(min(xs), digits)}–{fmt(max(xs), digits)})"
    if ref and m is not None and med(ref):
        s += f" **{m / med(ref):.2f}×**"
    return s


def params(timing, topo, scen, metric):
    ps = [k[3] for k in data if k[:3] == (timing, topo, scen) and k[4] == metric]
    def order(p):
        try:
            d, t = p.split("x")
            return (int(d) * int(t), int(d), p)
        except ValueError:
            return (0, 0, p)
    return sorted(set(ps), key=order)


targets = []   # (target, measured, met)
md = []
w = md.append

w("# make bench: vanilla 6.12, upstream core scheduling and coredomain")
w("")
w(f"- date: {meta.get('date', '?')}; wall time of the run: {meta.get('wall', '?')}")
w(f"- machine: {meta.get('host', '?')}; {meta.get('qemu', '?')}")
w(f"- command: `{meta.get('command', '?')}`")
hl = os.path.join(OUT, "hostload.txt")
if os.path.exists(hl):
    loads = [float(l.split()[3]) for l in open(hl) if len(l.split()) == 4]
    if loads:
        w(f"- host load (1-min load average at the end of each boot, {len(loads)} boots): "
          f"median {statistics.median(loads):.1f}, max {max(loads):.1f}; the guests' vCPUs "
          f"compete with whatever else the host runs")
kr = "; ".join(f"{k[7:]}: {v}" for k, v in meta.items() if k.startswith("kernel_"))
w(f"- kernels (same base, same config fragments + one variant fragment): {kr}")
if meta.get("series"):
    w(f"- coredomain series: {meta.get('series_note', '')}{meta['series']}")
gl = os.path.join(OUT, "guests.txt")
if os.path.exists(gl):
    seen = sorted({l.split(": ", 1)[1].split(" mode=")[0] for l in open(gl) if ": kernel=" in l})
    if seen:
        w("- kernels as the guests reported them: " + "; ".join(f"`{x[7:]}`" for x in seen))
w("- guests: QEMU TCG, q35, 1 GiB, `-cpu max,vendor=GenuineIntel`; kernels: "
  "vanilla; vanilla booted with `nosmt` (SMT-off reference); upstream "
  "CONFIG_SCHED_CORE driven through PR_SCHED_CORE; coredomain with `core_domain=on`; "
  "coredomain-kernel the same with `core_domain_level=kernel` (every domain protects "
  "kernel entry); coredomain-nofast the same with KVM's safe-exit fast path "
  "turned off (debugfs `core_domain/kernel_fastpath` 0), the stand-in for "
  "protecting every exit. "
  "Every guest runs the same static program (`bench/guest/cdbench.c`); only "
  "`--mode` says how it makes a domain.")
w("- cells: median (min–max over repetitions) and **ratio to vanilla's median**; "
  "`-unused`: the kernel with the feature compiled in and no domain made; "
  "`-1dom`: every process of the run in one domain.")
w("")
hdr_end = len(md)

# ---------------------------------------------------------------- packing
pack_rows = {}   # topo -> list of (param, {col: util list}, oracle)
for topo in ("4x2", "2x2"):
    ps = params("mttcg", topo, "pack", "util")
    if not ps:
        continue
    ncpu = int(topo[0]) * int(topo[2])
    w(f"## Packing, {topo} ({ncpu} CPUs), multi-threaded TCG")
    w("")
    w("D domains × T spinning threads. Utilization = the workers' CPU time "
      "(guest schedstat) / (online CPUs × wall). Oracle = the best utilization "
      "any scheduler can reach while no core runs two domains at once (for "
      "nosmt every CPU is a core of its own, so its oracle is 1). Target: "
      "coredomain ≥ oracle − 3 pp and ≥ upstream (medians).")
    w("")
    w("| D×T | oracle | " + " | ".join(MAIN) + " | coredomain − oracle | target |")
    w("|---|---|" + "---|" * len(MAIN) + "---|---|")
    rows = []
    for p in ps:
        orc = med(vals("mttcg", topo, "pack", p, "oracle", "coredomain")) or \
            med(vals("mttcg", topo, "pack", p, "oracle", "vanilla"))
        cols = {c: vals("mttcg", topo, "pack", p, "util", c) for c in MAIN}
        ref = cols["vanilla"]
        cd, up = med(cols["coredomain"]), med(cols["upstream"])
        met = gap = "–"
        if cd is not None and orc is not None:
            gap = f"{(cd - orc) * 100:+.1f} pp"
            ok = cd >= orc - 0.03 and (up is None or cd >= up)
            met = "met" if ok else "**not met**"
            why = []
            if cd < orc - 0.03:
                why.append(f"{(orc - cd) * 100:.1f} pp below oracle")
            if up is not None and cd < up:
                why.append(f"below upstream {up:.3f}")
            targets.append((f"packing {topo} {p}: util ≥ oracle − 3 pp and ≥ upstream",
                            f"{cd:.3f} (oracle {orc:.3f}, upstream {fmt(up)})"
                            + (": " + ", ".join(why) if why else ""), ok))
        w(f"| {p} | {fmt(orc)} | " + " | ".join(cell(cols[c], ref if c != "vanilla" else None)
                                              for c in MAIN) + f" | {gap} | {met} |")
        rows.append((p, cols, orc))
    pack_rows[topo] = rows
    w("")

    # throughput against SMT off
    ps2 = params("mttcg", topo, "pack", "core_eq")
    if ps2:
        w(f"### Packing {topo}: throughput against SMT off")
        w("")
        w(f"QEMU's vCPUs are not SMT siblings sharing a core (and 8 vCPUs share the "
          f"host's CPUs), so raw work rates say nothing about SMT. Throughput is "
          f"modelled from a sched_switch trace of each run instead: per core, the "
          f"time with 1 and with 2 siblings busy, counted as 1 and {1 + SMT_YIELD:g} "
          f"core-equivalents (an SMT yield of {SMT_YIELD:.0%}); nosmt's cores count 1 "
          f"each. Also shown: the share of core-time with the whole core idle. "
          f"Target: coredomain never below nosmt (every scenario here fills the machine).")
        w("")
        w("| D×T | " + " | ".join(f"{c} core-eq" for c in MAIN) +
          " | " + " | ".join(f"{c} idle cores" for c in ("upstream", "coredomain")) + " | target |")
        w("|---|" + "---|" * len(MAIN) + "---|---|---|")
        for p in ps2:
            cols = {c: vals("mttcg", topo, "pack", p, "core_eq", c) for c in MAIN}
            idle = {c: [x * 100 for x in vals("mttcg", topo, "pack", p, "core_busy0", c)]
                    for c in ("upstream", "coredomain")}
            cd, ns = med(cols["coredomain"]), med(cols["nosmt"])
            met = "–"
            if cd is not None and ns is not None:
                ok = cd >= ns * 0.98
                met = "met" if ok else "**not met**"
                targets.append((f"packing {topo} {p}: core-eq throughput ≥ nosmt (2% noise floor)",
                                f"{cd:.2f} vs nosmt {ns:.2f}", ok))
            w(f"| {p} | " + " | ".join(cell(cols[c], cols["vanilla"] if c != "vanilla" else None, 2)
                                    for c in MAIN) + " | " +
              " | ".join(cell(idle[c], None, 1) + " %" if idle[c] else "–"
                         for c in ("upstream", "coredomain")) + f" | {met} |")
        w("")

# ---------------------------------------------------------------- latency etc.
rows = [
    # (scenario, param, metric, title, lower_is_better, target)
    ("pipe", "alone", "us_per_rt", "pipe ping-pong, µs/round trip", True, None),
    ("pipe", "bg2x3", "us_per_rt", "pipe ping-pong beside 2 busy domains × 3 threads, µs/rt",
     True, ("≤ 1.10× vanilla", 1.10)),
    ("msg", "4x4", "kmsg_per_s", "messaging 4 groups (a domain each) × 4+4, kmsg/s", False,
     ("≥ nosmt", "nosmt")),
    ("fork", "P8", "per_s", "fork+exec+exit, 8 processes in one domain, /s", False,
     ("≥ nosmt", "nosmt")),
    ("cyclic", "rt-bg2x4", "p50_us", "cyclictest SCHED_FIFO beside 2×4 busy, p50 µs", True, None),
    ("cyclic", "rt-bg2x4", "p99_us", "cyclictest SCHED_FIFO beside 2×4 busy, p99 µs", True,
     ("≤ 1.5× vanilla", 1.5)),
    ("cyclic", "rt-bg2x4", "max_us", "cyclictest SCHED_FIFO beside 2×4 busy, max µs", True, None),
    ("cyclic", "fair-bg2x4", "p50_us", "cyclictest SCHED_OTHER beside 2×4 busy, p50 µs", True, None),
    ("cyclic", "fair-bg2x4", "p99_us", "cyclictest SCHED_OTHER beside 2×4 busy, p99 µs", True,
     ("(≤ 1.5× vanilla)", 1.5)),
    ("cyclic", "fair-bg2x4", "max_us", "cyclictest SCHED_OTHER beside 2×4 busy, max µs", True, None),
    ("tool", "perf-pipe-alone", "us_per_op", "perf bench sched pipe, µs/op", True, None),
    ("tool", "perf-pipe-bg2x3", "us_per_op", "perf bench sched pipe beside 2×3 busy, µs/op",
     True, None),
    ("tool", "perf-msg-alone", "total_s", "perf bench sched messaging, s", True, None),
    ("tool", "perf-msg-bg2x3", "total_s", "perf bench sched messaging beside 2×3 busy, s",
     True, None),
    ("tool", "hackbench-alone", "time_s", "hackbench (rt-tests), s", True, None),
    ("tool", "hackbench-bg2x3", "time_s", "hackbench (rt-tests) beside 2×3 busy, s", True, None),
    ("kwork", "bg3x2", "bg_kept", "3×2 busy domains beside a kworker tenant: work kept "
     "(vs. the tenant without seals)", False, None),
    ("kwork", "bg3x2", "bg_mloops_per_s", "3×2 busy domains beside a kworker tenant, M loops/s",
     False, None),
    ("kwork", "bg3x2", "ctl_bg_mloops_per_s", "the same beside the tenant without seals, "
     "M loops/s", False, None),
    ("kwork", "bg3x2", "seals_per_s", "the tenant's memfd seals/s (each a lru_add_drain_all())",
     False, None),
    ("kwork", "bg3x2", "kworker_ms_per_s", "kworkers' CPU time beside the sealing tenant, ms/s",
     True, None),
    ("kwork", "bg3x2", "ctl_kworker_ms_per_s", "kworkers' CPU time, control, ms/s", True, None),
    ("kwork", "bg3x2", "kworker_runs_per_s", "kworker runs/s beside the sealing tenant", True,
     None),
    ("kwork", "bg3x2", "ctl_kworker_runs_per_s", "kworker runs/s, control", True, None),
]
cols = MAIN + UNUSED
present = [r for r in rows if data.get(("mttcg", "4x2") + r[:3])]
if present:
    w("## Latency and throughput, 4x2, multi-threaded TCG")
    w("")
    w("Each workload in a domain of its own (busy background: other domains of "
      "spinning threads). `-unused`: the same workload with no domain made on that "
      "kernel. The nosmt rows compare 8 vCPUs with 4 on the same 2 host CPUs, so "
      "nosmt's fewer vCPUs get more host time each: read those ratios with that in mind.")
    w("")
    w("| workload | " + " | ".join(cols) + " | target (coredomain) |")
    w("|---|" + "---|" * len(cols) + "---|")
    for scen, param, metric, title, lower, tgt in present:
        byc = data[("mttcg", "4x2", scen, param, metric)]
        ref = byc.get("vanilla", [])
        tcell = "–"
        cd = med(byc.get("coredomain", []))
        if tgt and cd is not None:
            text, lim = tgt
            if lim == "nosmt":
                ns = med(byc.get("nosmt", []))
                if ns is not None:
                    ok = cd >= ns * 0.98
                    tcell = f"{text}: {'met' if ok else '**not met**'}"
                    targets.append((f"{title} ≥ nosmt", f"{fmt(cd)} vs nosmt {fmt(ns)}", ok))
            elif med(ref):
                ratio = cd / med(ref)
                ok = ratio <= lim if lower else ratio >= 1 / lim
                tcell = f"{text}: {'met' if ok else '**not met**'} ({ratio:.2f}×)"
                if not text.startswith("("):
                    targets.append((f"{title} {text}", f"{ratio:.2f}×", ok))
        w(f"| {title} | " + " | ".join(cell(byc.get(c, []), ref if c != "vanilla" else None)
                                       for c in cols) + f" | {tcell} |")
    w("")
    tools = os.path.join(OUT, "tools.txt")
    if any(r[0] == "tool" for r in present) and os.path.exists(tools):
        w("The standard tools run unchanged, each run in a new domain (their children "
          "inherit it), again and again for the step's seconds and at least 3 times; "
          "the figure is the median run's. Their command lines (`perf` is Debian's "
          "linux-perf, `hackbench` rt-tests'):")
        w("")
        w("```")
        for line in open(tools):
            w(line.rstrip())
        w("```")
        w("")

# ---------------------------------------------------------------- VMs
vmrows = sorted({k[2:] for k in data if k[:2] == ("single", "4x2")},
                key=lambda r: (r[0] != "vm", r))
if vmrows:
    w("## Virtual machines, 4x2, one TCG thread, KVM inside the guest")
    w("")
    w("`-cpu max,vendor=AuthenticAMD,+svm`, `-accel tcg,thread=single` (QEMU 7.2's "
      "nested SVM is not reliable with a thread per vCPU). `vm KIND N×V`: N VMs, "
      "each a VMM process in a domain of its own, of V vCPU threads on the KVM "
      "API; the real-mode guests exit to the VMM every 200 loops (io), make an "
      "x2APIC ICR write every 200 loops that KVM handles in the kernel (fast: "
      "the exit KVM's fast path takes on CPUs that save the next RIP), or exit "
      "every 2 M loops (compute); `mixed`: one VM of each kind. `-bg1x4`: beside "
      "a busy domain of 4 spinning threads. Metrics: guest loops (M/s) and VM "
      "exits (k/s) per kind, and the kicks and waits of the kernel level "
      "(debugfs `core_domain/kernel`). Under this emulation KVM takes no "
      "fast-path exit at all (TCG has no NRIP save: `kvm_amd.nrips=0`), so "
      "coredomain-nofast runs the same code as coredomain-kernel here and any "
      "difference between those two columns is noise. With one host thread "
      "running the vCPUs in turn, SMT siblings never execute at the same "
      "instant and nosmt's 4 vCPUs get the same host time as vanilla's 8.")
    w("")
    w("| workload | metric | " + " | ".join(VMCOLS) + " | SMT gain kept |")
    w("|---|---|" + "---|" * len(VMCOLS) + "---|")
    for scen, param, metric in vmrows:
        byc = data[("single", "4x2", scen, param, metric)]
        ref = byc.get("vanilla", [])
        kept = "–"
        # One TCG thread runs every vCPU in turn: siblings never execute
        # at once, so SMT has no gain here to keep, whatever the medians
        # say; the half-of-the-gain target needs a host thread per vCPU.
        if metric.endswith("_per_s") and not metric.startswith(("kkicks", "kwaits")) \
                or metric == "us_per_rt":
            kept = "not measurable (one TCG thread)"
        w(f"| {scen} {param} | {metric} | " +
          " | ".join(cell(byc.get(c, []), ref if c != "vanilla" else None) for c in VMCOLS) +
          f" | {kept} |")
    w("")

# ---------------------------------------------------------------- icount
ic = [("pipe", "alone", "us_per_rt", "pipe ping-pong, µs/round trip", True),
      ("msg", "4x4", "kmsg_per_s", "messaging 4×(4+4), kmsg/s", False)]
icols = ["vanilla"] + UNUSED + ONEDOM + ["coredomain", "upstream"]
if any(data.get(("icount", "4x2") + r[:3]) for r in ic):
    w("## Instruction-path overhead, 4x2, icount (deterministic virtual time)")
    w("")
    w(f"`-accel tcg,thread=single -icount shift={meta.get('icount_shift', '?')},sleep=off`: "
      "guest time is instructions executed, so differences are code-path length "
      "and scheduling decisions, not host noise. `coredomain`/`upstream` without "
      "suffix: messaging with a domain per group. Target: compiled in but unused "
      "≤ 1% slower than vanilla on pipe and messaging.")
    w("")
    w("| workload | " + " | ".join(icols) + " | target |")
    w("|---|" + "---|" * len(icols) + "---|")
    for scen, param, metric, title, lower in ic:
        byc = data.get(("icount", "4x2", scen, param, metric), {})
        if not byc:
            continue
        ref = byc.get("vanilla", [])
        tcell = "–"
        u = med(byc.get("coredomain-unused", []))
        if u is not None and med(ref):
            slow = u / med(ref) if lower else med(ref) / u
            ok = slow <= 1.01
            tcell = f"unused ≤ 1% slower: {'met' if ok else '**not met**'} ({(slow - 1) * 100:+.2f}%)"
            targets.append((f"icount {title}: compiled in, unused ≤ 1% slower",
                            f"{(slow - 1) * 100:+.2f}%", ok))
        w(f"| {title} | " + " | ".join(cell(byc.get(c, []), ref if c != "vanilla" else None, 4)
                                       for c in icols) + f" | {tcell} |")
    w("")

# ---------------------------------------------------------------- summary
summary = ["## Targets", "",
           f"{sum(1 for t in targets if t[2])} met, {sum(1 for t in targets if not t[2])} not met.",
           "", "| target | coredomain measured | |", "|---|---|---|"]
for t, m, ok in targets:
    summary.append(f"| {t} | {m} | {'met' if ok else '**not met**'} |")
summary.append("")
fails = os.path.join(OUT, "failures.txt")
if os.path.exists(fails) and os.path.getsize(fails):
    summary += ["Failed boots (their results are missing above):", "", "```",
                open(fails).read().rstrip(), "```", ""]
md[hdr_end:hdr_end] = summary

# ---------------------------------------------------------------- plots
plots = []


def gnuplot(name, script):
    path = os.path.join(OUT, name)
    try:
        subprocess.run(["gnuplot"], input=f"set terminal pngcairo noenhanced size 1000,520 font ',10'\n"
                       f"set output '{path}'\n" + script, text=True, check=True,
                       capture_output=True)
        plots.append(name)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report.py: gnuplot {name}: {getattr(e, 'stderr', e)}", file=sys.stderr)


COLOR = {"vanilla": "#8c8c8c", "nosmt": "#9467bd", "upstream": "#1f77b4",
         "coredomain": "#ff7f0e", "coredomain-kernel": "#8c564b", "coredomain-nofast": "#e377c2", "coredomain-unused": "#ffbb78", "coredomain-1dom": "#d62728",
         "upstream-unused": "#aec7e8", "upstream-1dom": "#17becf"}


def bars(name, title, ylabel, xs, series, extra_line=None, yrange="[0:*]"):
    """Clustered bars with min-max error bars; series: [(label, [vals per x])]."""
    dat = os.path.join(OUT, name.replace(".png", ".dat"))
    with open(dat, "w") as f:
        for i, x in enumerate(xs):
            row = [f'"{x}"']
            for _, vs in series:
                v = vs[i]
                row += [str(med(v)), str(min(v)), str(max(v))] if v else ["NaN"] * 3
            if extra_line:
                row.append(str(extra_line[1][i]) if extra_line[1][i] is not None else "NaN")
            f.write(" ".join(row) + "\n")
    n = len(series)
    s = (f"set title '{title}'\nset ylabel '{ylabel}'\nset yrange {yrange}\nset grid ytics\n"
         "set style data histogram\nset style histogram errorbars gap 1.5 lw 1\n"
         "set style fill solid 0.8 border -1\nset key outside right top\nset xtics rotate by -30\n"
         "plot " + ", ".join(f"'{dat}' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}"
                             f"{':xtic(1)' if i == 0 else ''} title '{lbl}'"
                             f" lc rgb '{COLOR.get(lbl, '#444444')}'"
                             for i, (lbl, _) in enumerate(series)))
    if extra_line:
        s += f", '{dat}' using 0:{2 + 3 * n} with linespoints lw 2 pt 7 lc rgb 'black' title '{extra_line[0]}'"
    gnuplot(name, s + "\n")


for topo, rows in pack_rows.items():
    xs = [p for p, _, _ in rows]
    bars(f"pack-{topo}.png", f"Packing {topo}: utilization (median, min-max)", "utilization",
         xs, [(c, [cols[c] for _, cols, _ in rows]) for c in MAIN],
         ("oracle", [o for _, _, o in rows]), "[0:1.15]")

lat = [r for r in present if r[0] != "cyclic" or r[2] == "p99_us"]
if lat:
    xs, ser = [], {c: [] for c in ("nosmt", "upstream", "coredomain")}
    for scen, param, metric, title, lower, _ in lat:
        byc = data[("mttcg", "4x2", scen, param, metric)]
        ref = med(byc.get("vanilla", []))
        if not ref:
            continue
        xs.append(f"{scen} {param} {metric}")
        for c in ser:
            ser[c].append([v / ref for v in byc.get(c, [])])
    bars("ratios-4x2.png", "4x2 multi-threaded TCG: ratio to vanilla (pipe, cyclictest: lower is better)",
         "x vanilla", xs, list(ser.items()))

icrows = [(s, p, m) for s, p, m, _, _ in ic if data.get(("icount", "4x2", s, p, m))]
if icrows:
    xs, ser = [], {c: [] for c in UNUSED + ONEDOM}
    for s, p, m in icrows:
        byc = data[("icount", "4x2", s, p, m)]
        ref = med(byc.get("vanilla", []))
        if not ref:
            continue
        xs.append(f"{s} {p}")
        lower = m == "us_per_rt"
        for c in ser:
            ser[c].append([((v / ref) if lower else (ref / v)) * 100 - 100
                           for v in byc.get(c, [])])
    bars("icount-overhead.png", "icount: % slower than vanilla (target for coredomain-unused: <= 1%)",
         "% slower", xs, list(ser.items()), None, "[*:*]")

if plots:
    w("## Plots")
    w("")
    for p in plots:
        w(f"![{p}]({p})")
    w("")

w("## Raw data")
w("")
w("`raw.csv` (one line per measurement: timing, topology, kernel, repetition, tag, "
  "scenario, parameter, metric, value), the plans (`plan-*.txt`), each guest's "
  "console and output under `boots/`.")

with open(os.path.join(OUT, "results.md"), "w") as f:
    f.write("\n".join(md) + "\n")
