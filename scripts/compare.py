#!/usr/bin/env python3
"""Run programs natively and with an LD_PRELOAD library, side by side.

    compare.py --lib PATH/libsprout.so [--runs 5] [--env K=V ...]
               [--label NAME] [--json FILE] -- PROG ARGS...
    compare.py --lib PATH/libsprout.so [--runs 5] --suite FILE

Each command is run --runs times natively and --runs times preloaded,
alternating (native, preloaded, native, ...). Preloaded means LD_PRELOAD
with the library prepended, plus the --env settings. Per run it records the
wall time, the child's peak RSS (wait4 ru_maxrss, or VmHWM polled from
/proc/PID/status where ru_maxrss only shows the runner's own RSS), the peak
number of OS threads (polled from /proc/PID/task every 2 ms), the exit
status and every "metric NAME VALUE UNIT" line the program prints on
stdout, then prints a table of medians per command.

A suite file lists one command per line as "name: prog args"; "#" starts a
comment line; a relative prog is taken from the suite file's directory.

Exit status is 1 if any run failed (non-zero exit or signal), else 0.
"""

import argparse
import json
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


def read_hwm_kib(pid):
    """VmHWM (peak RSS) of a live process in KiB, or 0."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def poll_child(pid, done, peak):
    """Track in peak the largest OS thread count and VmHWM seen."""
    while True:
        try:
            peak["threads"] = max(peak["threads"],
                                  len(os.listdir(f"/proc/{pid}/task")))
            peak["hwm_kib"] = max(peak["hwm_kib"], read_hwm_kib(pid))
        except (OSError, ValueError):
            pass
        if done.wait(POLL_S):
            return


def run_once(argv, env, timeout):
    """Run argv once and return a dict of what was measured."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
        except OSError as e:
            return {"ok": False, "wall_s": None, "maxrss_kib": None,
                    "hwm_kib": None, "peak_rss_kib": None,
                    "peak_threads": None, "exit": None, "metrics": {},
                    "error": str(e), "stderr_tail": ""}
        peak = {"threads": 0, "hwm_kib": 0}
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
    return {"ok": proc.returncode == 0, "wall_s": wall,
            "maxrss_kib": usage.ru_maxrss, "hwm_kib": peak["hwm_kib"] or None,
            "peak_rss_kib": peak_rss or None,
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
    rows = [
        ("wall", "s", lambda r: r["wall_s"]),
        ("peak RSS", "MiB",
         lambda r: r["peak_rss_kib"] / 1024 if r["peak_rss_kib"] else None),
        ("peak OS threads", "threads", lambda r: r["peak_threads"]),
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


def main():
    ap = argparse.ArgumentParser(
        description="Compare programs run natively and with LD_PRELOAD.")
    ap.add_argument("--lib", required=True,
                    help="shared library to LD_PRELOAD")
    ap.add_argument("--runs", type=int, default=5,
                    help="runs per mode (default 5)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="extra environment for preloaded runs (repeatable)")
    ap.add_argument("--label", help="name of the command in the output")
    ap.add_argument("--suite", help="file with one 'name: prog args' a line")
    ap.add_argument("--json", help="write all raw numbers to this file")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds a run may take before it is killed "
                    "(default 600)")
    ap.add_argument("command", nargs="*", help="PROG ARGS... (after --)")
    args = ap.parse_args()

    if args.runs < 1:
        ap.error("--runs must be at least 1")
    lib = os.path.abspath(args.lib)
    if not os.path.isfile(lib):
        ap.error(f"--lib {args.lib}: no such file")
    if bool(args.suite) == bool(args.command):
        ap.error("give either --suite FILE or -- PROG ARGS...")
    if args.suite:
        commands = parse_suite(args.suite)
    else:
        commands = [(args.label or os.path.basename(args.command[0]),
                     args.command)]

    extra = {}
    for kv in args.env:
        key, sep, value = kv.partition("=")
        if not sep or not key:
            ap.error(f"--env {kv}: expected K=V")
        extra[key] = value
    native_env = dict(os.environ)
    preload_env = dict(native_env, **extra)
    old = native_env.get("LD_PRELOAD")
    preload_env["LD_PRELOAD"] = f"{lib}:{old}" if old else lib

    failed = False
    results = []
    for name, argv in commands:
        runs = {"native": [], "preloaded": []}
        for i in range(args.runs):
            for mode, env in (("native", native_env),
                              ("preloaded", preload_env)):
                r = run_once(argv, env, args.timeout)
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

    print()
    for res in results:
        print_table(res["name"], res["argv"], res["native"],
                    res["preloaded"])
    print(f"Runs per mode: {args.runs}. Medians [min–max] of alternating "
          f"native/preloaded runs on one machine.")
    print("ratio = preloaded/native; for s, MiB and ns/op lower is better, "
          "for ops/s higher is better.")
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
