// SPDX-License-Identifier: MIT
/*
 * Signal masks are per thread, so per G (sched/signal.c keeps the M's in
 * step). Threads the shim did not create keep their own kernel thread's.
 */
#include <errno.h>

#include "shim.h"

static bool g_has_mask(void)
{
	struct g *gp;

	if (!shim_on())
		return false;
	gp = getg();
	return gp && !(gp->flags & (G_LOCKED | G_G0));
}

SPROUT_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!g_has_mask())
		return REAL(pthread_sigmask)(how, set, old);
	return g_sigmask(how, set, old);
}

SPROUT_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int err;

	if (!g_has_mask())
		return REAL(sigprocmask)(how, set, old);
	err = g_sigmask(how, set, old);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
