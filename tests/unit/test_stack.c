// SPDX-License-Identifier: MIT
/*
 * Stack slots: layout (G and TCB at the top, stack below, guard at the
 * bottom), the guard faulting, reuse of a dead G's slot with its stack pages
 * given back, size checks, and finding the G of a faulting address.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "compat/glibc_pthread.h"
#include "compat/tcb.h"
#include "sched/runtime.h"

#define STACK (256 * 1024)
#define GUARD (16 * 1024)

static int setup(void **state)
{
	const char *why = NULL;

	(void)state;
	if (tcb_setup(&why)) {
		print_error("tcb_setup: %s\n", why);
		return -1;
	}
	return stack_setup(STACK, GUARD);
}

static void test_layout(void **state)
{
	int err = 0;
	struct g *gp = stack_gget(NULL, STACK, GUARD, &err);
	char *top;

	(void)state;
	assert_non_null(gp);
	top = gp->slot + STACK + GUARD;
	assert_ptr_equal(gp->stack_lo, gp->slot + GUARD);
	assert_true((uintptr_t)gp % 64 == 0);
	assert_true((uintptr_t)gp->stack_hi % 16 == 0);
	/* TCB and static TLS at the top of the slot, the stack below. */
	assert_true((char *)gp->tcb < top);
	assert_true(gp->stack_hi <= top - tcb_reserve());
	/* The G in the TCB's unused bytes, or else below the TLS. */
	if ((char *)gp > (char *)gp->tcb)
		assert_true((char *)gp + sizeof(*gp) <=
			    (char *)gp->tcb + sizeof(struct glibc_tcbhead));
	else
		assert_true((char *)gp + sizeof(*gp) <= top - tcb_reserve() &&
			    gp->stack_hi == (char *)gp);
	assert_true(top - gp->stack_hi <= (ptrdiff_t)(2 * 4096));
#ifndef __SANITIZE_ADDRESS__ /* whose own static TLS takes the room */
	/*
	 * Trimmed surplus: TCB, TLS (cmocka's 392 B too) and G leave room
	 * in the top page for first frames; glibc's surplus leaves none.
	 */
	if (getenv("TEST_ONE_PAGE"))
		assert_true(top - gp->stack_hi <= 4096 - 512);
#endif
	/* The whole stack is usable. */
	memset(gp->stack_lo, 0xab, (size_t)(gp->stack_hi - gp->stack_lo));
	stack_gput(NULL, gp);
}

/*
 * A dead G is reused with the stack pages it used; once its pool has not
 * needed it for one aging of sysmon's scavenger, the next look gives
 * them back, and a create still finds it.
 */
static void test_reuse_then_scavenge(void **state)
{
	int err = 0;
	struct g *gp = stack_gget(NULL, STACK, GUARD, &err), *again;
	uint32_t id;
	int64_t t = 1000000000000;

	(void)state;
	assert_non_null(gp);
	id = gp->id;
	gp->stack_lo[0] = 1;
	gp->stack_lo[STACK / 2] = 2;
	stack_gput(NULL, gp);
	assert_int_equal(atomic_load(&gp->status), G_IDLE);
	again = stack_gget(NULL, STACK, GUARD, &err);
	/* LIFO: the same slot, a new id, its pages as they were. */
	assert_ptr_equal(again, gp);
	assert_int_not_equal(again->id, id);
	assert_int_equal(again->stack_lo[0], 1);
	stack_gput(NULL, again);

	stack_scavenge(t); /* ages the free list: nothing given back yet */
	assert_int_equal(gp->stack_lo[0], 1);
	assert_int_equal(gp->stack_lo[STACK / 2], 2);
	stack_scavenge(t); /* too soon: sysmon looks every 10 ms */
	assert_int_equal(gp->stack_lo[0], 1);
	stack_scavenge(t + 10000000); /* the aged Gs lose their pages */
	assert_int_equal(gp->stack_lo[0], 0);
	assert_int_equal(gp->stack_lo[STACK / 2], 0);
	again = stack_gget(NULL, STACK, GUARD, &err);
	assert_ptr_equal(again, gp);
	stack_gput(NULL, again);
}

/*
 * A P caches dead Gs: past GFREE_LOCAL_MAX (64) it spills all but the
 * warmest 32 to the pool, and it refills from the pool, so that as many
 * creates again carve no new slot.
 */
static void test_p_cache(void **state)
{
	struct p *pp = calloc(1, sizeof(*pp));
	struct g *gs[100], *gp;
	int err = 0, i, j, n;

	(void)state;
	assert_non_null(pp);
	for (i = 0; i < 100; i++) {
		gs[i] = stack_gget(pp, STACK, GUARD, &err);
		assert_non_null(gs[i]);
	}
	for (i = 0; i < 100; i++) {
		stack_gput(pp, gs[i]);
		assert_true(pp->ngfree >= 1 && pp->ngfree <= 64);
	}
	for (n = 0, gp = pp->gfree; gp; gp = gp->schedlink)
		n++;
	assert_int_equal(n, pp->ngfree);
	assert_int_equal(n, 34); /* spilt at the 65th and the 98th */
	/* The warmest stayed: the last 2, then the 32 kept at the 98th. */
	for (i = 99, gp = pp->gfree; gp; gp = gp->schedlink, i--)
		assert_ptr_equal(gp, gs[i]);
	for (i = 0; i < 100; i++) {
		gp = stack_gget(pp, STACK, GUARD, &err);
		for (j = 0; j < 100 && gs[j] != gp; j++)
			;
		assert_true(j < 100); /* one of the dead, not a new slot */
		gs[j] = NULL;
	}
	free(pp);
}

static void test_guard_faults(void **state)
{
	int err = 0, status;
	struct g *gp = stack_gget(NULL, STACK, GUARD, &err), *found;
	bool in_guard;
	pid_t pid;

	(void)state;
	assert_non_null(gp);
	found = stack_find_g(gp->stack_lo - 1, &in_guard);
	assert_ptr_equal(found, gp);
	assert_true(in_guard);
	found = stack_find_g(gp->stack_lo + 100, &in_guard);
	assert_ptr_equal(found, gp);
	assert_false(in_guard);
	assert_null(stack_find_g(&err, &in_guard));

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		((volatile char *)gp->stack_lo)[-1] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	stack_gput(NULL, gp);
}

static void test_sizes(void **state)
{
	int err = 0;
	struct g *gp;

	(void)state;
	assert_null(stack_gget(NULL, 4096, GUARD, &err));
	assert_int_equal(err, EINVAL);
	/* Another size gets another pool; sizes round up to pages. */
	gp = stack_gget(NULL, 100000, 1, &err);
	assert_non_null(gp);
	assert_int_equal(gp->guard, 4096);
	assert_int_equal(gp->slot + 4096 + 102400 - (char *)gp->stack_lo,
			 102400);
	stack_gput(NULL, gp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_reuse_then_scavenge),
		cmocka_unit_test(test_p_cache),
		cmocka_unit_test(test_guard_faults),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
