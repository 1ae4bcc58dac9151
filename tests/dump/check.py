#!/usr/bin/env python3
"""sprout dump of tests/dump/parked, under the shim: every thread is found
with its name, the state its wait gives and a backtrace through the
program's park_<wait> function; the process goes on afterwards (it lets
its threads go on SIGUSR1 and must end with "released").

usage: check.py SPROUT-DUMP LIBSPROUT PARKED
"""
import os
import re
import signal
import subprocess
import sys

dump, lib, prog = sys.argv[1:4]

# name -> what the thread's state must match
WANT = {
    "mutex": r"waiting: mutex 0x[0-9a-f]+, for [0-9.]+ s",
    "cond": r"waiting: condvar 0x[0-9a-f]+, for",
    "sem": r"waiting: semaphore 0x[0-9a-f]+, for",
    "rwlock": r"waiting: rwlock 0x[0-9a-f]+, for",
    "barrier": r"waiting: barrier 0x[0-9a-f]+, for",
    "sleep": r"waiting: sleep, 3[0-9]{3}\.[0-9]+ s to go, for",
    "read": r"waiting: read fd 3, for",
    "syscall": r"in a system call on M[0-9]+, kernel thread [0-9]+",
    "join": r"waiting: join of thread [0-9]+, for",
    "spin": r"running on M[0-9]+, kernel thread [0-9]+|runnable",
}

failed = []


def fail(msg):
    failed.append(msg)
    print("FAIL: " + msg)


env = dict(os.environ, LD_PRELOAD=lib, SPROUT_PROCS="2")
p = subprocess.Popen([prog], env=env, stdout=subprocess.PIPE, text=True)
try:
    line = p.stdout.readline()
    m = re.match(r"ready (\d+)", line)
    if not m:
        sys.exit("FAIL: the program did not start: %r" % line)
    pid = int(m.group(1))
    r = subprocess.run([dump, str(pid)], capture_output=True, text=True,
                       timeout=60)
    print(r.stdout, end="")
    if r.returncode != 0:
        fail("sprout dump exited %d: %s" % (r.returncode, r.stderr))

    # thread ID "NAME" [STATE]:  then frames, then a blank line
    blocks = {}
    for block in r.stdout.split("\n\n")[1:]:
        head = re.match(r'thread (\d+)(?: "([^"]*)")? \[(.*)\]:\n', block)
        if head:
            blocks[head.group(2)] = (head.group(3), block)
    for name, state in WANT.items():
        if name not in blocks:
            fail("no thread named %r in the dump" % name)
            continue
        got, block = blocks[name]
        if not re.fullmatch(state, got) and not re.match(state, got):
            fail("thread %r: state %r, want /%s/" % (name, got, state))
        if not re.search(r" park_%s\+0x" % name, block):
            fail("thread %r: no frame in park_%s" % (name, name))
    if "main" not in r.stdout.split("\n\n")[1]:
        fail("the first thread (the initial one) has no frame in main")
    # The process was let go as it was: its threads still work.
    os.kill(pid, signal.SIGUSR1)
    out, _ = p.communicate(timeout=60)
    if p.returncode != 0 or "released" not in out:
        fail("after the dump the program ended %d, saying %r"
             % (p.returncode, out))
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
if failed:
    sys.exit(1)
print("ok: %d threads found, each in its wait; the program went on"
      % len(WANT))
