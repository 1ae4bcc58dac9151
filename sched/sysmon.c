// SPDX-License-Identifier: MIT
/*
 * sysmon (Go's sysmon, proc.go): a kernel thread of the runtime's own that
 * holds no P and runs no G, waking every 5 ms (every 100 ms while all Ps
 * are idle).
 *
 * Today it asks for preemption: a P whose scheduler tick has not moved
 * for PREEMPT_NS while other Gs wait to run gets pp->preempt set, and its G
 * yields at the next safe point: preempt_check() after the shim releases a
 * lock, posts or signals. Without it, a G that takes and releases an
 * uncontended mutex in a loop would keep its P for good. A G that never
 * calls into the shim is not preempted; that needs a signal.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "runtime.h"
#include "arch/x86_64/sys.h"

#define SYSMON_PERIOD_NS 5000000
#define SYSMON_IDLE_NS	 100000000 /* when every P is idle */
#define PREEMPT_NS	 10000000
#define SYSMON_STACK	 (64 * 1024)

static struct sysmon_p {
	uint32_t tick;
	int64_t since;
} * seen;

static void *sysmon(void *arg)
{
	int i;

	(void)arg;
	for (;;) {
		/* An idle process need not wake 200 times a second. */
		struct timespec period = { 0,
					   atomic_load(&sched.npidle) == nprocs
						   ? SYSMON_IDLE_NS
						   : SYSMON_PERIOD_NS };
		int64_t now;

		sys2(SYS_nanosleep, (long)&period, 0);
		now = nanotime();
		for (i = 0; i < nprocs; i++) {
			struct p *pp = &allp[i];
			uint32_t tick = __atomic_load_n(&pp->schedtick,
							__ATOMIC_RELAXED);

			if (pp->status != P_RUNNING || tick != seen[i].tick) {
				seen[i].tick = tick;
				seen[i].since = now;
				continue;
			}
			if (now - seen[i].since >= PREEMPT_NS &&
			    (!runqempty(pp) || atomic_load(&sched.runqsize)))
				atomic_store(&pp->preempt, true);
		}
	}
	return NULL;
}

/* Start sysmon; again in the child of a fork. */
int sysmon_start(int (*thread_create)(pthread_t *, const pthread_attr_t *,
				      void *(*)(void *), void *))
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!seen) {
		seen = calloc((size_t)nprocs, sizeof(*seen));
		if (!seen)
			return ENOMEM;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SYSMON_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = thread_create(&t, &attr, sysmon, NULL);
	pthread_attr_destroy(&attr);
	return r;
}
