# SPDX-License-Identifier: MIT
"""gdb commands for programs running under sprout: their green threads.

gdb sees only the runtime's kernel threads (Ms); the program's threads
are Gs, most of them parked, their registers saved on their own stacks.
These commands find the Gs through sprout_debug, the root libsprout.so
exports (sched/stack.h), read with the library's debug information, in
a live process or a core file alike:

  info gthreads          id, name, state or wait, and the first frame
                         outside sprout and libc, of every G
  gthread ID             select G ID: bt, frame N, info locals, up and
                         down then show its frames
  gthread                the G selected, if any; `gthread none` ends it
  gthread apply all CMD  run CMD (bt, say) in every G in turn

A G on an M (running, or in a system call) is shown through the kernel
thread of its M, which `gthread ID` selects. A parked G is shown through
the kernel thread selected when it was chosen: a frame unwinder gives
that thread's innermost frame the G's saved registers as its caller, so
frame #0 is the kernel thread's own and the G's frames begin at #1 (#2
if the kernel thread stopped in an inlined function).
Nothing is written to the process.

Loaded by gdb's auto-load beside the library (libsprout.so-gdb.py), or
with the line `sprout --gdb` prints.
"""
import re

import gdb
import gdb.unwinder

# What each kind of wait (enum gwaitwhat, types.h) is called, as
# sprout dump calls it.
WAITS = {"GW_MUTEX": "mutex", "GW_RWLOCK": "rwlock", "GW_COND": "condvar",
         "GW_SEM": "semaphore", "GW_BARRIER": "barrier",
         "GW_ONCE": "pthread_once", "GW_JOIN": "join", "GW_FUTEX": "futex",
         "GW_SLEEP": "sleep", "GW_READ": "read", "GW_WRITE": "write",
         "GW_POLL": "poll"}
# Where ctx_switch() saves a parked G's registers (sched/arch/x86_64/
# switch.S), in words from its saved stack pointer; the return address
# is word 7 and its stack pointer after the return, sp + 64.
SAVED = [("r15", 1), ("r14", 2), ("r13", 3), ("r12", 4), ("rbx", 5),
         ("rbp", 6)]
MAX_TOP_FRAMES = 32


def enum(name):
    """A constant of the runtime's, from the library's debug information."""
    return int(gdb.parse_and_eval(name))


def root():
    try:
        r = gdb.parse_and_eval("sprout_debug")
    except gdb.error:
        raise gdb.GdbError("no sprout_debug: is libsprout.so loaded, "
                           "with its debug information?")
    if int(r["magic"]) != 0x31706d7564727073:
        raise gdb.GdbError("sprout_debug is not a sprout runtime's root")
    return r


def all_gs():
    """Every live G, the initial one first, as gdb.Values of struct g."""
    r = root()
    gtype = gdb.lookup_type("struct g")
    gptr = gtype.pointer()
    g_off = int(r["g_off"])
    found = [r["gmain"].dereference()]
    a = r["arenas"].dereference()
    while int(a):
        ar = a.dereference()
        base, end = int(ar["base"]), int(ar["end"])
        size = int(ar["slot_size"])
        carved = int(ar["pool"]["next"])
        if base <= carved <= end:
            end = carved
        for slot in range(base, end, size):
            at = slot + size - g_off
            found.append(gdb.Value(at).cast(gptr).dereference())
        a = ar["next"]
    live_states = [enum(s) for s in ("G_RUNNABLE", "G_RUNNING",
                                     "G_WAITING", "G_SYSCALL")]
    g0 = enum("G_G0")
    live = []
    for g in found:
        try:
            if (int(g["tcb"]) and int(g["flags"]) & g0 == 0 and
                    int(g["status"]) in live_states):
                live.append(g)
        except gdb.MemoryError:
            pass  # a slot the core file does not hold
    return sorted(live, key=lambda g: int(g["id"]))


def find_g(gid):
    for g in all_gs():
        if int(g["id"]) == gid:
            return g
    raise gdb.GdbError("no thread %d (info gthreads lists them)" % gid)


def on_m(g):
    return (int(g["status"]) in (enum("G_RUNNING"), enum("G_SYSCALL")) and
            int(g["m"]))


def state(g):
    if int(g["status"]) == enum("G_RUNNABLE"):
        return "runnable"
    if on_m(g):
        m = g["m"].dereference()
        what = "in a system call" if int(g["sysdepth"]) else "running"
        return "%s on M%d, kernel thread %d" % (what, int(m["id"]),
                                                int(m["tid"]))
    w = g["wait"]
    what = str(w["what"].cast(gdb.lookup_type("enum gwaitwhat")))
    if what not in WAITS:
        return "waiting"
    if what in ("GW_READ", "GW_WRITE"):
        return "waiting: %s fd %d" % (WAITS[what], int(w["fd"]))
    if what == "GW_JOIN":
        return "waiting: join of thread %d" % int(
            w["obj"].cast(g.type.pointer()).dereference()["id"])
    if int(w["obj"]):
        return "waiting: %s 0x%x" % (WAITS[what], int(w["obj"]))
    return "waiting: " + WAITS[what]


def gname(g):
    try:
        return g["name"].string()
    except (gdb.error, UnicodeDecodeError):
        return ""


class GUnwinder(gdb.unwinder.Unwinder):
    """Gives the host thread's innermost real frame a parked G's
    registers as its caller's, while a G is selected (select()). That
    frame is #0, or the first below the inlined ones, which gdb's own
    unwinder for inlined frames takes before any other (level)."""

    def __init__(self):
        super().__init__("sprout-gthread")
        self.regs = None  # {name: value} of the selected G, or None
        self.host = None  # the gdb thread it is shown through
        self.skip = 0  # the host's frames, shown before the G's
        self.level = 0  # of the host's innermost frame not inlined

    def __call__(self, pending):
        if (self.regs is None or pending.level() != self.level or
                gdb.selected_thread() != self.host):
            return None
        if int(pending.read_register("rsp")) == int(self.regs["rsp"]):
            return None  # the G's own first frame
        # The G's stack may lie below the host's: an id at the bottom
        # of the address space keeps gdb from taking the G's frames for
        # inner ones and stopping ("previous frame inner to this frame").
        sp = gdb.Value(0x1000).cast(pending.read_register("rsp").type)
        pc = pending.read_register("rip")
        info = pending.create_unwind_info(FrameId(sp, pc))
        for reg, val in self.regs.items():
            info.add_saved_register(reg, val)
        return info


class FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


unwinder = GUnwinder()
gdb.unwinder.register_unwinder(None, unwinder, replace=True)
selected_id = None


def saved_regs(g):
    u64 = gdb.lookup_type("unsigned long")
    sp = int(g["sp"])
    word = [int(gdb.Value(sp + 8 * i).cast(u64.pointer()).dereference())
            for i in range(8)]
    regs = {r: gdb.Value(word[i]).cast(u64) for r, i in SAVED}
    regs["rip"] = gdb.Value(word[7]).cast(u64)
    regs["rsp"] = gdb.Value(sp + 64).cast(u64)
    return regs


def lwp_thread(lwp):
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == lwp:
            return t
    return None


def select(g):
    """Show G's frames in the selected thread; False if it has none."""
    global selected_id
    unwinder.regs = None
    selected_id = None
    if on_m(g):
        t = lwp_thread(int(g["m"].dereference()["tid"]))
        if t is None:
            return False
        t.switch()
    else:
        gdb.invalidate_cached_frames()
        unwinder.level = 0
        f = gdb.newest_frame()
        while f is not None and f.type() == gdb.INLINE_FRAME:
            unwinder.level += 1
            f = f.older()
        unwinder.regs = saved_regs(g)
        unwinder.host = gdb.selected_thread()
    selected_id = int(g["id"])
    gdb.invalidate_cached_frames()
    unwinder.skip = 0
    if unwinder.regs is not None:
        f, pc = gdb.newest_frame(), int(unwinder.regs["rip"])
        while (f is not None and f.pc() != pc and
               unwinder.skip < unwinder.level + 3):
            unwinder.skip += 1
            f = f.older()
    return True


def unselect():
    global selected_id
    unwinder.regs = None
    selected_id = None
    gdb.invalidate_cached_frames()


RUNTIME_OBJECTS = re.compile(r"/(libsprout[^/]*|libc\.so[^/]*|ld-linux[^/]*)$")


def top_frame(g):
    """The first frame of G outside sprout and libc, 'fn (file:line)'."""
    f = gdb.newest_frame()
    for _ in range(unwinder.skip):
        f = f.older()
    for _ in range(MAX_TOP_FRAMES):
        if f is None:
            break
        if not RUNTIME_OBJECTS.search(gdb.solib_name(f.pc()) or ""):
            sal = f.find_sal()
            where = f.name() or "0x%x" % f.pc()
            if sal.symtab:
                where += " (%s:%d)" % (sal.symtab.filename, sal.line)
            return where
        f = f.older()
    return "?"


def own_frames(bt):
    """bt's lines less those of the host's frames."""
    keep, level = [], 0
    for line in bt.splitlines(True):
        m = re.match(r"#(\d+) ", line)
        if m:
            level = int(m.group(1))
        if level >= unwinder.skip:
            keep.append(line)
    return "".join(keep)


class InfoGthreads(gdb.Command):
    """List the program's threads: id, name, state or what it waits on,
and the first frame outside sprout and libc."""

    def __init__(self):
        super().__init__("info gthreads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        thread = gdb.selected_thread()
        before = selected_id
        rows = [("Id", "Name", "State", "Where")]
        try:
            for g in all_gs():
                top = top_frame(g) if select(g) else "?"
                mark = "*" if int(g["id"]) == before else " "
                rows.append((mark + str(int(g["id"])), gname(g), state(g),
                             top))
        finally:
            unselect()
            thread.switch()
            if before is not None:
                select(find_g(before))
        width = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            print("%-*s  %-*s  %-*s  %s" % (width[0], r[0], width[1], r[1],
                                            width[2], r[2], r[3]))
        print("%d threads" % (len(rows) - 1))


class Gthread(gdb.Command):
    """Select a green thread: gthread ID; gthread none; gthread apply all CMD.
With a G selected, bt, frame, up, down and info locals show its frames
(frame #0 is the kernel thread's it is shown through, from #1 the G's,
as `gthread ID` says)."""

    def __init__(self):
        super().__init__("gthread", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        args = arg.split()
        if not args:
            if selected_id is None:
                print("no thread selected (gthread ID)")
            else:
                print("thread %d selected" % selected_id)
            return
        if args[0] == "none":
            unselect()
            return
        if args[0] == "apply":
            if len(args) < 3 or args[1] != "all":
                raise gdb.GdbError("usage: gthread apply all COMMAND")
            self.apply_all(" ".join(args[2:]))
            return
        try:
            gid = int(args[0])
        except ValueError:
            raise gdb.GdbError("usage: gthread ID | none | apply all CMD")
        g = find_g(gid)
        if not select(g):
            raise gdb.GdbError("thread %d: its kernel thread is not "
                               "known to gdb" % gid)
        print('[thread %d "%s" %s]' % (gid, gname(g), state(g)))
        if unwinder.skip:
            print("frame%s #0%s: the kernel thread's it is shown through; "
                  "the thread's own begin at #%d"
                  % ("s" if unwinder.skip > 1 else "",
                     "-#%d" % (unwinder.skip - 1) if unwinder.skip > 1
                     else "", unwinder.skip))

    def apply_all(self, cmd):
        thread = gdb.selected_thread()
        before = selected_id
        try:
            for g in all_gs():
                print('\nthread %d "%s" [%s]:' % (int(g["id"]), gname(g),
                                                  state(g)))
                if not select(g):
                    print("(its kernel thread is not known to gdb)")
                    continue
                out = gdb.execute(cmd, to_string=True)
                if cmd.split()[0] in ("bt", "backtrace", "where"):
                    out = own_frames(out)
                print(out, end="")
        finally:
            unselect()
            thread.switch()
            if before is not None:
                select(find_g(before))


InfoGthreads()
Gthread()
