// SPDX-License-Identifier: MIT
/*
 * pthread_once() and C11 call_once(). The control word takes glibc's
 * values: 0 not run, 1 running, 2 done. A caller that finds the routine
 * running parks on the word until it is done; if the routine is cancelled
 * or calls pthread_exit(), the word goes back to 0, the waiters wake and
 * one of them runs it.
 */
#include <errno.h>
#include <limits.h>

#include "shim.h"
#include "../sched/sema.h"

enum { ONCE_INIT, ONCE_RUNNING, ONCE_DONE };

#ifdef __GLIBC__
/* glibc's cleanup buffers of old, exported but no longer declared. */
typedef struct _pthread_cleanup_buffer cleanup_buf;
void _pthread_cleanup_push(cleanup_buf *buf, void (*routine)(void *),
			   void *arg);
void _pthread_cleanup_pop(cleanup_buf *buf, int execute);
#else
typedef struct __ptcb cleanup_buf; /* musl's, which <pthread.h> declares */
#endif

/*
 * The routine is running: if it leaves by an exception or a cancellation,
 * the word goes back to ONCE_INIT. Registered twice, as glibc's own
 * pthread_once() does: as a cleanup attribute, which an exception runs,
 * and in glibc's old cleanup list, which a cancellation runs even where
 * the unwinder cannot step through the routine's frames (a program built
 * without unwind tables), landing past this one. Whichever runs first
 * does it.
 */
struct once_running {
	cleanup_buf buf;
	_Atomic uint32_t *st;
	bool armed;
};

static void once_reset(void *arg)
{
	struct once_running *r = arg;

	if (!r->armed)
		return;
	r->armed = false;
	atomic_store(r->st, ONCE_INIT);
	wt_futex_wake(r->st, INT_MAX);
}

static void once_unwound(struct once_running *r)
{
	if (r->armed) {
		once_reset(r);
		_pthread_cleanup_pop(&r->buf, 0);
	}
}

static void run_once(_Atomic uint32_t *st, void (*fn)(void))
{
	uint32_t v;

	self_g();
	for (;;) {
		v = ONCE_INIT;
		if (atomic_compare_exchange_strong(st, &v, ONCE_RUNNING)) {
			struct once_running r __attribute__((cleanup(
				once_unwound))) = { .st = st, .armed = true };

			_pthread_cleanup_push(&r.buf, once_reset, &r);
			fn();
			_pthread_cleanup_pop(&r.buf, 0);
			r.armed = false;
			atomic_store_explicit(st, ONCE_DONE,
					      memory_order_release);
			wt_futex_wake(st, INT_MAX);
			return;
		}
		if (v == ONCE_DONE)
			return;
		g_waitfor(GW_ONCE, st, -1);
		wt_futex_wait_intr(st, ONCE_RUNNING, -1); /* EINTR: again */
		if (atomic_load_explicit(st, memory_order_acquire) == ONCE_DONE)
			return;
	}
}

SPROUT_EXPORT int pthread_once(pthread_once_t *once, void (*fn)(void))
{
	_Atomic uint32_t *st = (_Atomic uint32_t *)once;

	if (atomic_load_explicit(st, memory_order_acquire) == ONCE_DONE)
		return 0;
	if (!shim_on())
		return REAL(pthread_once)(once, fn);
	run_once(st, fn);
	return 0;
}

_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag");

SPROUT_EXPORT void call_once(once_flag *flag, void (*fn)(void))
{
	pthread_once((pthread_once_t *)flag, fn);
}
