#!/usr/bin/env python3
"""`sprout compare`: run programs natively and with libsprout.so, side by side.

    sprout compare [--runs 5] [--procs N] [--threads N] [--env K=V ...]
                   [--label NAME] [--json FILE] -- PROG ARGS...
    sprout compare [--runs 5] --suite FILE
    sprout compare [--runs 3] --sweep 1000,10000 [--plot FILE.svg] -- PROG ARGS

(the sprout command passes --lib, the library it would preload). Each
command is run --runs times natively and --runs times preloaded,
alternating (native, preloaded, native, ...). Preloaded means LD_PRELOAD
with the library prepended, plus SPROUT_PROCS=N and the --env settings.
Per run it records:
  wall          time from start to exit
  CPU           user + system time of the process (wait4 rusage)
  OS threads    the most kernel threads seen (/proc/PID/task, every 2 ms)
  RSS           peak resident memory (wait4 ru_maxrss, or VmHWM polled
                from /proc/PID/status where ru_maxrss is the runner's own)
  page tables   the most VmPTE seen (/proc/PID/status)
  kernel tasks  the most OS threads times the kernel's memory for each: its
                kernel stack (16 KiB on x86_64) and its task_struct (the
                object size in /proc/slabinfo, if readable); smaller
                per-task objects are left out
  total         RSS + page tables + kernel tasks
  per thread    total / the program's threads: --threads N, else the value
                of a "metric NAME N threads" line the program prints
and every "metric NAME VALUE UNIT" line the program prints on stdout,
then prints a table of medians per command.

--sweep A,B,C runs the command once per thread count: "{}" in ARGS
becomes the count, else the count is the last argument; the program's
threads are the count unless it says. A last table gives total memory and
memory per thread against the count, and --plot FILE.svg draws both,
native against sprout.

A suite file lists one command per line as "name: prog args"; "#" starts a
comment line; a relative prog is taken from the suite file's directory.

Exit status is 1 if any run failed (non-zero exit or signal), else 0.
"""

import argparse
import json
import math
import os
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

POLL_S = 0.002
METRIC_RE = re.compile(r"^metric\s+(\S+)\s+(\S+)\s+(\S+)\s*$")
STDERR_TAIL_LINES = 15


def parse_suite(path):
    """Return [(name, argv)] from a suite file."""
    base = os.path.dirname(os.path.abspath(path))
    commands = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, rest = line.partition(":")
            argv = shlex.split(rest)
            if not sep or not name.strip() or not argv:
                sys.exit(f"{path}:{lineno}: expected 'name: prog args'")
            argv[0] = os.path.normpath(os.path.join(base, argv[0]))
            commands.append((name.strip(), argv))
    if not commands:
        sys.exit(f"{path}: no commands")
    return commands


KSTACK_KIB = 16  # x86_64's THREAD_SIZE


def task_struct_kib():
    """The kernel's task_struct object size in KiB, or 0 if unreadable."""
    try:
        with open("/proc/slabinfo") as f:
            for line in f:
                if line.startswith("task_struct "):
                    return int(line.split()[3]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def read_status_kib(pid):
    """VmHWM (peak RSS) and VmPTE of a live process in KiB, or 0s."""
    hwm = pte = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmPTE:"):
                pte = int(line.split()[1])
    return hwm, pte


def poll_child(pid, done, peak):
    """Track in peak the largest OS thread count, VmHWM and VmPTE seen."""
    while True:
        try:
            peak["threads"] = max(peak["threads"],
                                  len(os.listdir(f"/proc/{pid}/task")))
            hwm, pte = read_status_kib(pid)
            peak["hwm_kib"] = max(peak["hwm_kib"], hwm)
            peak["pte_kib"] = max(peak["pte_kib"], pte)
        except (OSError, ValueError):
            pass
        if done.wait(POLL_S):
            return


def run_once(argv, env, timeout, task_kib, threads):
    """Run argv once and return a dict of what was measured."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
        except OSError as e:
            return {"ok": False, "wall_s": None, "error": str(e),
                    "exit": None, "metrics": {}, "stderr_tail": ""}
        peak = {"threads": 0, "hwm_kib": 0, "pte_kib": 0}
        done = threading.Event()
        poller = threading.Thread(target=poll_child,
                                  args=(proc.pid, done, peak))
        poller.start()
        killed = threading.Event()

        def kill():
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        # Wait without reaping, so the pid cannot be reused while polled.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        timer.cancel()
        done.set()
        poller.join()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)

        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        if killed.is_set():
            stderr += f"\nkilled after the time limit of {timeout:g} s"

    # A child's ru_maxrss also counts the memory image it had before exec,
    # which is this runner's, so it is exact only when above the runner's
    # own peak. Otherwise use the VmHWM polled from /proc (which misses only
    # growth in the child's last few ms).
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_rss = max(peak["hwm_kib"], usage.ru_maxrss if usage.ru_maxrss > own
                   else 0)

    metrics = {}
    for line in stdout.splitlines():
        m = METRIC_RE.match(line)
        if not m:
            continue
        try:
            metrics[m[1]] = {"value": float(m[2]), "unit": m[3]}
        except ValueError:
            pass
    tail = "\n".join(stderr.splitlines()[-STDERR_TAIL_LINES:])
    kernel = peak["threads"] * task_kib if peak["threads"] else None
    total = None
    if peak_rss and kernel is not None:
        total = peak_rss + peak["pte_kib"] + kernel
    if threads is None:
        threads = next((m["value"] for m in metrics.values()
                        if m["unit"] == "threads" and m["value"] > 0), None)
    return {"ok": proc.returncode == 0, "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kib": usage.ru_maxrss, "hwm_kib": peak["hwm_kib"] or None,
            "peak_rss_kib": peak_rss or None,
            "pte_kib": peak["pte_kib"] or None,
            "kernel_kib": kernel, "total_kib": total,
            "per_thread_kib": total / threads if total and threads
            else None,
            "peak_threads": peak["threads"] or None,
            "exit": proc.returncode, "metrics": metrics,
            "stderr_tail": tail}


def describe_exit(run):
    if run.get("error"):
        return run["error"]
    code = run["exit"]
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def fmt(v, integral):
    """Format a number to about four significant digits."""
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000 or (integral and v == int(v)):
        return f"{v:.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 10:
        return f"{v:.2f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:#.4g}"


def summary(values, integral):
    """(median, "[min–max]") of the values as text, or ("-", "")."""
    if not values:
        return "-", ""
    return (fmt(statistics.median(values), integral),
            f"[{fmt(min(values), integral)}–{fmt(max(values), integral)}]")


def quantities(runs):
    """Table rows as [(label, unit, getter)]; metrics in first-seen order."""
    def mib(key):
        return lambda r: r[key] / 1024 if r.get(key) is not None else None

    rows = [
        ("wall", "s", lambda r: r["wall_s"]),
        ("CPU", "s", lambda r: r["cpu_s"]),
        ("peak OS threads", "threads", lambda r: r["peak_threads"]),
        ("peak RSS", "MiB", mib("peak_rss_kib")),
        ("page tables", "MiB", mib("pte_kib")),
        ("kernel tasks", "MiB", mib("kernel_kib")),
        ("total memory", "MiB", mib("total_kib")),
        ("per thread", "KiB", lambda r: r["per_thread_kib"]),
    ]
    seen = {}
    for r in runs:
        for name, m in r["metrics"].items():
            seen.setdefault(name, m["unit"])
    for name, unit in seen.items():
        rows.append((name, unit, lambda r, n=name:
                     r["metrics"][n]["value"] if n in r["metrics"] else None))
    return rows


def print_table(name, argv, native, preloaded):
    ok_n = [r for r in native if r["ok"]]
    ok_p = [r for r in preloaded if r["ok"]]
    print(f"== {name}: {shlex.join(argv)}")
    print(f"   runs: native {len(ok_n)}/{len(native)} ok, "
          f"preloaded {len(ok_p)}/{len(preloaded)} ok")
    header = (f"{'quantity':<18} {'unit':<7} {'native':>10} {'':<19} "
              f"{'preloaded':>10} {'':<19} {'ratio':>7}")
    print(header)
    print("-" * len(header))
    for label, unit, get in quantities(ok_n + ok_p):
        vals_n = [v for v in map(get, ok_n) if v is not None]
        vals_p = [v for v in map(get, ok_p) if v is not None]
        integral = all(v == int(v) for v in vals_n + vals_p)
        med_n, rng_n = summary(vals_n, integral)
        med_p, rng_p = summary(vals_p, integral)
        ratio = "-"
        if vals_n and vals_p and statistics.median(vals_n):
            r = statistics.median(vals_p) / statistics.median(vals_n)
            ratio = f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"
        print(f"{label:<18.18} {unit:<7.7} {med_n:>10} {rng_n:<19} "
              f"{med_p:>10} {rng_p:<19} {ratio:>7}")
    print()


def median_of(runs, key):
    vals = [r[key] for r in runs if r["ok"] and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def sweep_rows(results):
    """[(count, native total, sprout total, native per, sprout per)]."""
    return [(res["count"],
             median_of(res["native"], "total_kib"),
             median_of(res["preloaded"], "total_kib"),
             median_of(res["native"], "per_thread_kib"),
             median_of(res["preloaded"], "per_thread_kib"))
            for res in results]


def print_sweep(rows):
    print("== sweep: memory against thread count (medians)")
    header = (f"{'threads':>9} {'total native':>13} {'total sprout':>13} "
              f"{'per thread native':>18} {'per thread sprout':>18}")
    print(header)
    print("-" * len(header))
    for n, tn, tp, pn, pp in rows:
        def mib(v):
            return "-" if v is None else f"{fmt(v / 1024, False)} MiB"

        def kib(v):
            return "-" if v is None else f"{fmt(v, False)} KiB"
        print(f"{n:>9} {mib(tn):>13} {mib(tp):>13} {kib(pn):>18} "
              f"{kib(pp):>18}")
    print()


def nice_ticks(hi, n=5):
    """Round tick values from 0 to at least hi."""
    if hi <= 0:
        return [0, 1]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(math.ceil(hi / step)) + 1)]


def svg_panel(x0, y0, w, h, title, unit, counts, native, sprout):
    """One chart: native and sprout against thread count, as SVG text."""
    out = []
    pts = [v for v in native + sprout if v is not None]
    yt = nice_ticks(max(pts) if pts else 1)
    xt = nice_ticks(max(counts))
    ymax, xmax = yt[-1], xt[-1]

    def px(x):
        return x0 + w * x / xmax

    def py(y):
        return y0 + h - h * y / ymax
    out.append(f'<text x="{x0 + w / 2}" y="{y0 - 12}" '
               f'text-anchor="middle" font-weight="bold">{title}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" '
               'fill="none" stroke="#888"/>')
    for t in yt:
        out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{py(t):.1f}" '
                   f'y2="{py(t):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{py(t) + 4:.1f}" '
                   f'text-anchor="end">{fmt(t, True)}</text>')
    for t in xt:
        out.append(f'<text x="{px(t):.1f}" y="{y0 + h + 16}" '
                   f'text-anchor="middle">{fmt(t, True)}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" '
               'text-anchor="middle">program threads</text>')
    out.append(f'<text transform="translate({x0 - 52},{y0 + h / 2}) '
               f'rotate(-90)" text-anchor="middle">{unit}</text>')
    for vals, color, name in ((native, "#c0392b", "native threads"),
                              (sprout, "#27ae60", "sprout")):
        xy = [(px(c), py(v)) for c, v in zip(counts, vals) if v is not None]
        if xy:
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            out.append(f'<polyline points="{line}" fill="none" '
                       f'stroke="{color}" stroke-width="2"/>')
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" '
                    f'fill="{color}"/>' for x, y in xy]
    for i, (color, name) in enumerate((("#c0392b", "native threads"),
                                       ("#27ae60", "sprout"))):
        ly = y0 + 14 + 18 * i
        out.append(f'<line x1="{x0 + 10}" x2="{x0 + 30}" y1="{ly - 4}" '
                   f'y2="{ly - 4}" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{x0 + 36}" y="{ly}">{name}</text>')
    return out


def write_svg(path, label, rows):
    counts = [r[0] for r in rows]
    total_n = [None if r[1] is None else r[1] / 1024 for r in rows]
    total_p = [None if r[2] is None else r[2] / 1024 for r in rows]
    per_n = [r[3] for r in rows]
    per_p = [r[4] for r in rows]
    body = svg_panel(80, 50, 380, 280, "Memory per thread", "KiB",
                     counts, per_n, per_p)
    body += svg_panel(580, 50, 380, 280, "Total memory", "MiB",
                      counts, total_n, total_p)
    text = ('<svg xmlns="http://www.w3.org/2000/svg" width="1000" '
            'height="400" font-family="sans-serif" font-size="12">\n'
            '<rect width="100%" height="100%" fill="white"/>\n'
            f'<text x="500" y="18" text-anchor="middle">{label}: RSS + page '
            'tables + kernel tasks, medians</text>\n' +
            "\n".join(body) + "\n</svg>\n")
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(
        prog="sprout compare",
        description="Run a program natively and under sprout, alternately,\n"
        "and print medians side by side: wall and CPU time, peak kernel\n"
        "threads, peak RSS, page tables, the kernel's memory for its tasks,\n"
        "their total, and memory per program thread.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__[__doc__.index("Per run"):__doc__.index("and every")])
    ap.add_argument("--lib", required=True,
                    help="the library to LD_PRELOAD (the sprout command "
                    "gives its own)")
    ap.add_argument("--runs", type=int, default=5,
                    help="runs per mode (default 5)")
    ap.add_argument("--procs", type=int,
                    help="SPROUT_PROCS for the preloaded runs")
    ap.add_argument("--threads", type=float,
                    help="the program's threads, for memory per thread "
                    "(default: from a 'metric NAME N threads' line)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="extra environment for preloaded runs (repeatable)")
    ap.add_argument("--tunables", metavar="T",
                    help="GLIBC_TUNABLES for preloaded runs (the sprout "
                    "command gives the ones `sprout run` sets)")
    ap.add_argument("--full-tls", action="store_true",
                    help="preloaded runs without --tunables: glibc's full "
                    "static TLS reserve, as `sprout run --full-tls`")
    ap.add_argument("--label", help="name of the command in the output")
    ap.add_argument("--suite", help="file with one 'name: prog args' a line")
    ap.add_argument("--json", help="write all raw numbers to this file")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds a run may take before it is killed "
                    "(default 600)")
    ap.add_argument("--sweep", metavar="A,B,C",
                    help="thread counts to run the command with")
    ap.add_argument("--plot", metavar="FILE.svg",
                    help="with --sweep: draw memory against thread count")
    ap.add_argument("command", nargs="*", help="PROG ARGS... (after --)")
    args = ap.parse_args()

    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.procs is not None and args.procs < 1:
        ap.error("--procs must be at least 1")
    if args.threads is not None and args.threads <= 0:
        ap.error("--threads must be above 0")
    lib = os.path.abspath(args.lib)
    if not os.path.isfile(lib):
        ap.error(f"--lib {args.lib}: no such file")
    if bool(args.suite) == bool(args.command):
        ap.error("give either --suite FILE or -- PROG ARGS...")
    counts = []
    if args.sweep:
        if args.suite:
            ap.error("--sweep runs one command, not a --suite")
        try:
            counts = [int(c) for c in args.sweep.split(",")]
        except ValueError:
            counts = [0]
        if not counts or min(counts) < 1:
            ap.error(f"--sweep {args.sweep}: expected counts like 1000,5000")
    if args.plot and (not counts or not args.plot.endswith(".svg")):
        ap.error("--plot FILE.svg goes with --sweep")
    if args.suite:
        commands = [(n, a, args.threads) for n, a in parse_suite(args.suite)]
    elif counts:
        label = args.label or os.path.basename(args.command[0])
        commands = []
        for c in counts:
            argv = [a.replace("{}", str(c)) for a in args.command]
            if argv == args.command:
                argv.append(str(c))
            commands.append((f"{label} {c}", argv, args.threads or c))
    else:
        commands = [(args.label or os.path.basename(args.command[0]),
                     args.command, args.threads)]

    extra = {}
    for kv in args.env:
        key, sep, value = kv.partition("=")
        if not sep or not key:
            ap.error(f"--env {kv}: expected K=V")
        extra[key] = value
    native_env = dict(os.environ)
    if args.procs:
        extra.setdefault("SPROUT_PROCS", str(args.procs))
    if args.tunables and not args.full_tls:
        extra.setdefault("GLIBC_TUNABLES", args.tunables)
    preload_env = dict(native_env, **extra)
    task_kib = KSTACK_KIB + task_struct_kib()
    old = native_env.get("LD_PRELOAD")
    preload_env["LD_PRELOAD"] = f"{lib}:{old}" if old else lib

    failed = False
    results = []
    for name, argv, threads in commands:
        runs = {"native": [], "preloaded": []}
        for i in range(args.runs):
            for mode, env in (("native", native_env),
                              ("preloaded", preload_env)):
                r = run_once(argv, env, args.timeout, task_kib, threads)
                runs[mode].append(r)
                wall = f"{r['wall_s']:.2f} s" if r["wall_s"] else "-"
                print(f"[{name}] {mode} {i + 1}/{args.runs}: {wall}"
                      f"{'' if r['ok'] else '  FAILED'}",
                      file=sys.stderr, flush=True)
                if not r["ok"]:
                    failed = True
                    print(f"FAIL {name} {mode} run {i + 1}: "
                          f"{describe_exit(r)}; stderr tail:", flush=True)
                    for line in r["stderr_tail"].splitlines():
                        print(f"    {line}")
        results.append({"name": name, "argv": argv, **runs})
    for res, c in zip(results, counts):
        res["count"] = c

    print()
    for res in results:
        print_table(res["name"], res["argv"], res["native"],
                    res["preloaded"])
    print(f"Runs per mode: {args.runs}. Medians [min–max] of alternating "
          f"native/preloaded runs on one machine.")
    print("ratio = preloaded/native; for s, MiB and ns/op lower is better, "
          "for ops/s higher is better.")
    print(f"kernel tasks = peak OS threads x {task_kib:.1f} KiB (kernel "
          f"stack {KSTACK_KIB} KiB" +
          (f", task_struct {task_kib - KSTACK_KIB:.1f} KiB)"
           if task_kib > KSTACK_KIB else "; task_struct size unreadable)") +
          "; total = peak RSS + page tables + kernel tasks.")
    if counts:
        print()
        print_sweep(sweep_rows(results))
    if args.plot:
        write_svg(args.plot, commands[0][0].rsplit(" ", 1)[0],
                  sweep_rows(results))
        print(f"Plot: {args.plot}")
    if failed:
        print("Some runs FAILED (see above); their numbers are left out.")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"lib": lib, "runs": args.runs, "env": extra,
                       "commands": results}, f, indent=2)
            f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
