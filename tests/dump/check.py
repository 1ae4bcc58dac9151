#!/usr/bin/env python3
"""Seeing inside tests/dump/parked, run under the shim: every thread is
found with its name, the state its wait gives and a frame in the
program's park_<wait> function.

  check.py dump SPROUT-DUMP LIBSPROUT PARKED
      `sprout dump PID`; then the program must go on (it lets its threads
      go on SIGUSR1 and must end with "released");
  check.py dumpsig SPROUT-DUMP LIBSPROUT PARKED
      the same dump, printed on stderr by the program itself on SIGQUIT
      under SPROUT_DEBUG=dumpsig=QUIT, after which it goes on: once sent
      to the kernel thread blocked for the 'syscall' thread, once to the
      process; the thread the handler runs on shows its G, not the
      handler;
  check.py gdb SPROUT-GDB.PY LIBSPROUT PARKED
      gdb -batch with sprout's commands, `info gthreads` and `gthread
      apply all bt`, attached to the live program, then on a core file
      the kernel wrote of it (skipped, saying so, where the kernel hands
      cores to a program: /proc/sys/kernel/core_pattern "|...").
"""
import ctypes
import glob
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

mode = sys.argv[1]
tool, lib, prog = (os.path.abspath(a) for a in sys.argv[2:5])

# name -> what the thread's state must begin with
WANT = {
    "mutex": r"waiting: mutex 0x[0-9a-f]+",
    "cond": r"waiting: condvar 0x[0-9a-f]+",
    "sem": r"waiting: semaphore 0x[0-9a-f]+",
    "rwlock": r"waiting: rwlock 0x[0-9a-f]+",
    "barrier": r"waiting: barrier 0x[0-9a-f]+",
    "sleep": r"waiting: sleep",
    "read": r"waiting: read fd 3",
    "syscall": r"in a system call (\(wait4\) )?on M[0-9]+, "
               r"kernel thread [0-9]+",
    "join": r"waiting: join of thread [0-9]+",
    "spin": r"running on M[0-9]+, kernel thread [0-9]+|runnable",
}

failed = []


def fail(msg):
    failed.append(msg)
    print("FAIL: " + msg)


def start(cwd=None, core=False, debug=None):
    """The program, under the shim, once all its threads wait."""
    def limits():
        if core:
            resource.setrlimit(resource.RLIMIT_CORE,
                               (resource.RLIM_INFINITY,
                                resource.RLIM_INFINITY))
    env = dict(os.environ, LD_PRELOAD=lib, SPROUT_PROCS="2")
    if debug:
        env["SPROUT_DEBUG"] = debug
    p = subprocess.Popen([prog], env=env, stdout=subprocess.PIPE, text=True,
                         cwd=cwd, preexec_fn=limits,
                         stderr=subprocess.PIPE if debug else None)
    line = p.stdout.readline()
    m = re.match(r"ready (\d+)", line)
    if not m:
        p.kill()
        sys.exit("FAIL: the program did not start: %r" % line)
    return p, int(m.group(1))


def release(p, pid):
    """The process was left as it was: its threads still work."""
    os.kill(pid, signal.SIGUSR1)
    out, err = p.communicate(timeout=60)
    if p.returncode != 0 or "released" not in out:
        fail("afterwards the program ended %d, saying %r"
             % (p.returncode, out))
    return err


def check_threads(found, where):
    """found: name -> (state, text naming its frames)."""
    for name, state in WANT.items():
        if name not in found:
            fail("%s: no thread named %r" % (where, name))
            continue
        got, frames = found[name]
        if not re.match(state, got):
            fail("%s: thread %r: state %r, want /%s/"
                 % (where, name, got, state))
        if not re.search(r"\bpark_%s\b" % name, frames):
            fail("%s: thread %r: no frame in park_%s" % (where, name, name))


def blocks(text):
    """thread ID "NAME" [STATE]: then frames, up to the next thread."""
    found = {}
    parts = re.split(r'^(thread \d+(?: "[^"]*")? \[.*\]:)$', text,
                     flags=re.M)
    for head, body in zip(parts[1::2], parts[2::2]):
        m = re.match(r'thread (\d+)(?: "([^"]*)")? \[(.*)\]:', head)
        found[m.group(2)] = (m.group(3), body)
    return found


def check_dump(text):
    found = blocks(text)
    check_threads(found, "dump")
    for name, (state, _) in found.items():
        if state.startswith("waiting") and not re.search(
                r", for [0-9.]+ s$", state):
            fail("dump: thread %r: %r says not for how long"
                 % (name, state))
    if "syscall" in found and "(wait4)" not in found["syscall"][0]:
        fail("dump: thread 'syscall' does not name its system call")
    first = text.split("\n\n")[1] if "\n\n" in text else ""
    if " main+0x" not in first:
        fail("dump: the first thread (the initial one) has no frame "
             "in main")


def dump():
    p, pid = start()
    try:
        r = subprocess.run([tool, str(pid)], capture_output=True, text=True,
                           timeout=60)
        print(r.stdout, end="")
        if r.returncode != 0:
            fail("sprout dump exited %d: %s" % (r.returncode, r.stderr))
        check_dump(r.stdout)
        release(p, pid)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def tgkill(pid, tid, sig):
    """Send sig to one thread of process pid."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(234, pid, tid, sig) != 0:  # SYS_tgkill on x86_64
        sys.exit("FAIL: tgkill: %s" % os.strerror(ctypes.get_errno()))


def dumpsig():
    """
    Twice: SIGQUIT to the kernel thread blocked in the 'syscall' thread's
    wait4() (found by a `sprout dump` first), where the handler interrupts
    a G's call; then to the process, which the kernel gives a thread of
    its choosing.
    """
    p, pid = start(debug="dumpsig=QUIT")
    try:
        r = subprocess.run([tool, str(pid)], capture_output=True, text=True,
                           timeout=60)
        m = re.search(r'^thread \d+ "syscall" \[.*kernel thread (\d+)\]:$',
                      r.stdout, re.M)
        if not m:
            sys.exit("FAIL: no kernel thread for 'syscall' in:\n"
                     + r.stdout)
        tgkill(pid, int(m.group(1)), signal.SIGQUIT)
        time.sleep(2)  # the handler waits for the dump to end
        os.kill(pid, signal.SIGQUIT)
        time.sleep(2)
        err = release(p, pid)
        print(err, end="")
        dumps = err.split("sprout dump of")[1:]
        if len(dumps) != 2:
            fail("dump: %d dumps printed, not 2" % len(dumps))
        for text in dumps:
            check_dump(text)
            # The thread the handler ran on shows what its G was doing.
            if re.search(r"\bdump_(all|run|on_signal)\+", text):
                fail("dump: a thread's frames are the dump's own handler")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def gdb(target):
    cmd = ["gdb", "-nx", "-batch", "-ex", "source " + tool,
           "-ex", "info gthreads", "-ex", "gthread apply all bt"] + target
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    print(r.stdout, end="")
    if "Python Exception" in r.stdout + r.stderr or "Error" in r.stderr:
        fail("gdb %s: %s" % (target, r.stderr))
    return r.stdout


def check_gdb(out, where):
    listed = {}
    for line in out.splitlines():
        m = re.match(r"[ *](\d+) +(\S+) +(\S.*?) {2}(\S.*)$", line)
        if m:
            listed[m.group(2)] = (m.group(3), m.group(4))
    check_threads(listed, where + " info gthreads")
    check_threads(blocks(out), where + " gthread apply all bt")


def gdb_live():
    p, pid = start()
    try:
        check_gdb(gdb(["-p", str(pid)]), "live")
        release(p, pid)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def gdb_core():
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|"):
        print("core file part skipped: the kernel hands cores to %r"
              % pattern)
        return
    with tempfile.TemporaryDirectory() as d:
        p, pid = start(cwd=d, core=True)
        os.kill(pid, signal.SIGABRT)
        p.communicate(timeout=60)
        cores = glob.glob(os.path.join(d, "core*")) or glob.glob(
            os.path.join(os.path.dirname(pattern) or d, "*%d*" % pid))
        if not cores:
            print("core file part skipped: no core written (pattern %r)"
                  % pattern)
            return
        check_gdb(gdb([prog, cores[0]]), "core")
        for c in cores:
            if c.startswith(d):
                os.unlink(c)


if mode == "dump":
    dump()
elif mode == "dumpsig":
    dumpsig()
else:
    gdb_live()
    gdb_core()
if failed:
    sys.exit(1)
print("ok: %d threads found, each in its wait" % len(WANT))
