// SPDX-License-Identifier: MIT
/*
 * Per-G TCBs on this machine's glibc: the layout check passes, a new TCB
 * has the fields glibc needs, TLS variables start from their initial values
 * in it, recycling restores them but keeps libc's own block, and a context
 * switched to on its own TCB sees its own TLS.
 */
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "compat/glibc_pthread.h"
#include "compat/tcb.h"
#include "sched/runtime.h"

static __thread int tls_var = 42;
static __thread char tls_buf[32] = "initial";

static char *region;
static size_t region_len = 64 * 1024;

static int setup(void **state)
{
	const char *why = NULL;

	(void)state;
	if (tcb_setup(&why)) {
		print_error("tcb_setup: %s\n", why);
		return -1;
	}
	region = mmap(NULL, region_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return region == MAP_FAILED ? -1 : 0;
}

static void test_reserve(void **state)
{
	(void)state;
	/* glibc 2.36: 2368-byte descriptor plus static TLS, 64-aligned. */
	assert_true(tcb_reserve() > sizeof(struct glibc_pthread));
	assert_int_equal(tcb_reserve() % 64, 0);
}

static void test_fields(void **state)
{
	struct glibc_pthread *self = tcb_current(), *pd;
	char *top = region + region_len;

	(void)state;
	pd = tcb_create(top, 7, region, region_len / 2, 4096);
	assert_non_null(pd);
	assert_true((char *)pd + sizeof(*pd) <= top);
	assert_true((char *)pd + sizeof(*pd) - tcb_reserve() >= region);
	assert_ptr_equal(pd->header.tcb, pd);
	assert_ptr_equal(pd->header.self, pd);
	assert_int_equal(pd->header.multiple_threads, 1);
	assert_int_equal(pd->header.stack_guard, self->header.stack_guard);
	assert_int_equal(pd->header.pointer_guard, self->header.pointer_guard);
	assert_int_equal(pd->tid, 0x400000 + 7);
	assert_int_equal(pd->rseq_area.cpu_id, (uint32_t)-2);
	assert_ptr_equal(pd->specific[0], pd->specific_1stblock);
	assert_ptr_equal(pd->robust_head.list.next, &pd->robust_head);
	assert_ptr_equal(pd->stackblock, region - 4096);
	/* The TCB is on ld.so's list: its neighbours point back at it. */
	assert_ptr_equal(pd->list.next->prev, &pd->list);
	assert_ptr_equal(pd->list.prev->next, &pd->list);
}

struct dtv_check {
	struct glibc_pthread *pd;
	size_t max_modid;
	int modules;
};

static int check_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct dtv_check *c = data;
	union glibc_dtv *dtv = c->pd->header.dtv;

	(void)size;
	if (!info->dlpi_tls_modid)
		return 0;
	if (info->dlpi_tls_modid > c->max_modid)
		c->max_modid = info->dlpi_tls_modid;
	/* Every module here is in static TLS: its block is in the TCB's. */
	assert_ptr_equal(dtv[info->dlpi_tls_modid].pointer.val,
			 tcb_tls_addr(c->pd, info->dlpi_tls_data));
	c->modules++;
	return 0;
}

/*
 * The DTV has an entry for each loaded TLS module and none spare (glibc
 * would add 14): entry -1 is its length, the highest module id.
 */
static void test_dtv(void **state)
{
	struct dtv_check c = { (void *)(((uintptr_t)(region + region_len) -
					 sizeof(struct glibc_pthread)) &
					~(uintptr_t)63),
			       0, 0 };
	union glibc_dtv *dtv = c.pd->header.dtv;

	(void)state;
	dl_iterate_phdr(check_module, &c);
	assert_true(c.modules >= 2); /* this program's and libc's */
	assert_int_equal(dtv[-1].counter, c.max_modid);
}

static void test_tls_and_recycle(void **state)
{
	struct glibc_pthread *pd =
		(void *)(((uintptr_t)(region + region_len) - sizeof(*pd)) &
			 ~(uintptr_t)63);
	int *v = tcb_tls_addr(pd, &tls_var);
	char *buf = tcb_tls_addr(pd, tls_buf);
	int *err = tcb_tls_addr(pd, &errno);

	(void)state;
	tls_var = 1;
	assert_int_equal(*v, 42);
	assert_string_equal(buf, "initial");
	*v = 5;
	strcpy(buf, "changed");
	*err = 77; /* libc's block: must survive recycling */
	pd->cancelhandling = 8;
	tcb_recycle(pd);
	assert_int_equal(*v, 42);
	assert_string_equal(buf, "initial");
	assert_int_equal(*err, 77);
	assert_int_equal(pd->cancelhandling, 0);
	assert_int_equal(tls_var, 1);
}

/*
 * A G's descriptor goes in the TCB's unused bytes when it fits: inside the
 * descriptor, clear of every field glibc or the runtime sets, and left as
 * it was by recycling; the thread-specific data area is zero when new.
 * On the TCB test_fields() made.
 */
static void test_g_offset(void **state)
{
	char *top = region + region_len;
	struct glibc_pthread *pd =
		(void *)(((uintptr_t)top - sizeof(*pd)) & ~(uintptr_t)63);
	size_t off = tcb_g_offset(400);
	char *g = top - off, *tsd = tcb_tsd(pd);
	size_t i;

	(void)state;
	assert_int_equal(off % 64, 0);
	assert_ptr_equal(g, (char *)pd + 0x80);
	assert_true(g + 400 <= (char *)&pd->list);
	/* Too big for the spare bytes: below the static TLS. */
	off = tcb_g_offset(1000);
	assert_int_equal(off % 64, 0);
	assert_true(off >= tcb_reserve() + 1000);
	assert_true(off < tcb_reserve() + 1000 + 64);

	/* Keys 0..31 empty, no further block; specific[0] is glibc's. */
	assert_ptr_equal(tsd, pd->specific_1stblock);
	for (i = 0; i < sizeof(pd->specific_1stblock); i++)
		assert_int_equal(tsd[i], 0);
	assert_ptr_equal(pd->specific[0], pd->specific_1stblock);
	for (i = 1; i < 32; i++)
		assert_null(pd->specific[i]);
	memset(g, 0xa5, 400);
	tcb_recycle(pd);
	for (i = 0; i < 400; i++)
		assert_int_equal((unsigned char)g[i], 0xa5);
	assert_ptr_equal(pd->header.self, pd);
	memset(g, 0, 400);
}

static void *ctx_sp, *main_sp;
static int seen_var;
static void *seen_self;

static void on_other_tcb(void *arg)
{
	(void)arg;
	seen_var = tls_var;
	seen_self = tcb_current();
	tls_var = 99;
	ctx_switch(&ctx_sp, main_sp, arg);
}

static void test_switch(void **state)
{
	struct glibc_pthread *pd =
		(void *)(((uintptr_t)(region + region_len) - sizeof(*pd)) &
			 ~(uintptr_t)63);
	void *me = tcb_current();
	char *stack_top = (char *)pd + sizeof(*pd) - tcb_reserve();

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip(); /* ASan's per-thread state is in TLS, which the switch changes */
#endif
	ctx_use_wrfsbase(false);
	tls_var = 3;
	ctx_sp = ctx_init(stack_top, on_other_tcb, me);
	ctx_switch(&main_sp, ctx_sp, pd);
	assert_ptr_equal(tcb_current(), me);
	assert_int_equal(seen_var, 42);
	assert_ptr_equal(seen_self, pd);
	assert_int_equal(tls_var, 3);
	assert_int_equal(*(int *)tcb_tls_addr(pd, &tls_var), 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_g_offset),
		cmocka_unit_test(test_dtv),
		cmocka_unit_test(test_tls_and_recycle),
		cmocka_unit_test(test_switch),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
