// SPDX-License-Identifier: MIT
/*
 * A G's own CPU time: what the kernel threads that ran it spent while they
 * did, added up across them (pthread_getcpuclockid(), and
 * CLOCK_THREAD_CPUTIME_ID in the G itself; shim/cpuclock.c).
 *
 * The kernel tells a thread's CPU time only through a system call (about
 * 0.4 us here, where a switch between Gs costs a fraction of that), so the
 * count is off until the program first asks for a thread's CPU clock
 * (cputime_start()). From then on every switch reads the M's clock twice:
 * as a G starts to run on it (cputime_in(), from execute()) and as the G
 * leaves it for g0 (cputime_out(), from g0_loop()). Whatever the M spends
 * between the two is the G's: its code, its system calls (the G stays on
 * its M through them, with or without its P) and its handlers. What a G
 * ran before the count began is not in its clock; a G started after it
 * has all of its time.
 *
 * Readers in other Gs take a sequence count (a seqlock): the M running gp
 * makes gp->cpu_seq odd while it changes gp's record and even again after.
 * While the record says gp runs on an M, its time is cpu_ns plus what
 * that M's clock gained since cpu_mark; the reader reads that clock and
 * checks the count again, so the M cannot have left gp in between.
 */
#include <time.h>

#include "runtime.h"
#include "../arch/x86_64/sys.h"

_Atomic bool cputime_on;

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int64_t thread_cputime(pid_t tid)
{
	struct timespec ts;

	if (sys2(SYS_clock_gettime, thread_cpuclock(tid), (long)&ts) < 0)
		return -1;
	return ts_ns(&ts);
}

/* The calling kernel thread's CPU time. */
static int64_t own_cputime(void)
{
	struct timespec ts;

	sys2(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, (long)&ts);
	return ts_ns(&ts);
}

/* The M's owner opens and closes a change of gp's record. */
static void seq_open(struct g *gp)
{
	uint32_t seq = atomic_load_explicit(&gp->cpu_seq, memory_order_relaxed);

	atomic_store_explicit(&gp->cpu_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void seq_close(struct g *gp)
{
	uint32_t seq = atomic_load_explicit(&gp->cpu_seq, memory_order_relaxed);

	atomic_store_explicit(&gp->cpu_seq, seq + 1, memory_order_release);
}

/* gp starts to run on mp, the calling kernel thread. */
void cputime_in(struct m *mp, struct g *gp)
{
	seq_open(gp);
	atomic_store_explicit(&mp->cpu_mark, own_cputime(),
			      memory_order_relaxed);
	atomic_store_explicit(&gp->cpu_m, mp, memory_order_relaxed);
	seq_close(gp);
}

/* gp, counted on mp (gp->cpu_m), leaves it. */
void cputime_out(struct m *mp, struct g *gp)
{
	int64_t used =
		own_cputime() -
		atomic_load_explicit(&mp->cpu_mark, memory_order_relaxed);

	seq_open(gp);
	atomic_store_explicit(
		&gp->cpu_ns,
		atomic_load_explicit(&gp->cpu_ns, memory_order_relaxed) + used,
		memory_order_relaxed);
	atomic_store_explicit(&gp->cpu_m, NULL, memory_order_relaxed);
	seq_close(gp);
}

/*
 * Count from now on; self, the calling G (or NULL), from now if it is not
 * counted yet. Called inside the runtime (rt_enter()), so that self stays
 * on its M.
 */
void cputime_start(struct g *self)
{
	atomic_store(&cputime_on, true);
	if (self && !atomic_load_explicit(&self->cpu_m, memory_order_relaxed))
		cputime_in(self->m, self);
}

/*
 * gp's CPU time in ns, or -1 if it cannot be read (the kernel thread
 * running it ended under the reader, which then looks again). The calling
 * G's own: call inside the runtime.
 */
int64_t g_cputime(struct g *gp)
{
	for (;;) {
		uint32_t seq = atomic_load_explicit(&gp->cpu_seq,
						    memory_order_acquire);
		int64_t ns =
			atomic_load_explicit(&gp->cpu_ns, memory_order_relaxed);
		struct m *mp =
			atomic_load_explicit(&gp->cpu_m, memory_order_relaxed);
		int64_t now = 0, mark = 0;

		if (seq & 1)
			continue;
		if (mp) {
			mark = atomic_load_explicit(&mp->cpu_mark,
						    memory_order_relaxed);
			now = gp == getg() ? own_cputime()
					   : thread_cputime(mp->tid);
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&gp->cpu_seq, memory_order_relaxed) !=
		    seq)
			continue;
		if (now < 0)
			return -1;
		return ns + (now - mark);
	}
}

/* A new thread's clock: gp starts from 0 in gostart(). */
void cputime_reset(struct g *gp)
{
	seq_open(gp);
	atomic_store_explicit(&gp->cpu_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&gp->cpu_m, NULL, memory_order_relaxed);
	seq_close(gp);
}

/*
 * In the child of fork(), gp (the forking G, on mp) is the only thread,
 * with a kernel thread new and its CPU time since: as natively, its clock
 * starts again from there.
 */
void cputime_afterfork_child(struct m *mp, struct g *gp)
{
	atomic_store(&gp->cpu_seq, 0);
	atomic_store(&gp->cpu_ns, 0);
	atomic_store(&gp->cpu_m, NULL);
	if (atomic_load(&cputime_on))
		cputime_in(mp, gp);
}
