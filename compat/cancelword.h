/* SPDX-License-Identifier: MIT */
/*
 * A thread's cancellation state in one word, with glibc's bits
 * (nptl/descr.h): on glibc the word is its descriptor's cancelhandling,
 * which glibc's own functions read too; on musl it is the shim's, beside
 * the descriptor (musl_tcb.c). The tcb_cancel*() functions of compat/tcb.h
 * are these, on the word of each libc.
 */
#ifndef SPROUT_COMPAT_CANCELWORD_H
#define SPROUT_COMPAT_CANCELWORD_H

#include <stdbool.h>

#include "tcb.h"

#define CW_CANCELSTATE 0x01 /* PTHREAD_CANCEL_DISABLE */
#define CW_CANCELTYPE  0x02 /* PTHREAD_CANCEL_ASYNCHRONOUS */
#define CW_CANCELING   0x04
#define CW_CANCELED    0x08
#define CW_EXITING     0x10
#define CW_TERMINATED  0x20

/* Mark the word's thread cancelled; what it must now do (tcb_cancel()). */
static inline enum tcb_cancel cw_cancel(int *w)
{
	int old = __atomic_load_n(w, __ATOMIC_RELAXED), new;

	do {
		new = old | CW_CANCELING | CW_CANCELED;
		if (new == old)
			return TCB_CANCEL_NONE;
	} while (!__atomic_compare_exchange_n(
		w, &old, new, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	if (old & (CW_CANCELSTATE | CW_EXITING | CW_TERMINATED))
		return TCB_CANCEL_NONE;
	return old & CW_CANCELTYPE ? TCB_CANCEL_ASYNC : TCB_CANCEL_DEFERRED;
}

/* glibc's cancel_enabled_and_canceled(), and the type. */
static inline enum tcb_cancel cw_pending(const int *w)
{
	int ch = __atomic_load_n(w, __ATOMIC_RELAXED);

	if ((ch & (CW_CANCELSTATE | CW_CANCELED | CW_EXITING |
		   CW_TERMINATED)) != CW_CANCELED)
		return TCB_CANCEL_NONE;
	return ch & CW_CANCELTYPE ? TCB_CANCEL_ASYNC : TCB_CANCEL_DEFERRED;
}

static inline bool cw_async_begin(int *w, int *old)
{
	*old = __atomic_fetch_or(w, CW_CANCELTYPE, __ATOMIC_SEQ_CST);
	return cw_pending(w) != TCB_CANCEL_NONE;
}

static inline void cw_async_end(int *w, int old)
{
	/* The canceller sets CANCELING and CANCELED together: no wait. */
	if (!(old & CW_CANCELTYPE))
		__atomic_fetch_and(w, ~CW_CANCELTYPE, __ATOMIC_SEQ_CST);
}

static inline void cw_exiting(int *w)
{
	__atomic_fetch_or(w, CW_EXITING, __ATOMIC_SEQ_CST);
}

static inline bool cw_cancelled_or_exiting(const int *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED) &
	       (CW_CANCELING | CW_CANCELED | CW_EXITING | CW_TERMINATED);
}

#endif
