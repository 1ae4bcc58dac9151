// SPDX-License-Identifier: MIT
/*
 * The glibc release check that runs before anything of libc's is read at
 * a derived address: the release this machine runs is known (else the
 * runtime would never start here), and any other version string, a
 * prefix or extension of a known one, or none at all is refused.
 */
#include <gnu/libc-version.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compat/tcb.h"

static void test_this_libc(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(tcb_libc_known(gnu_get_libc_version()));
	assert_int_equal(tcb_setup(&why), 0);
}

static void test_others_refused(void **state)
{
	static const char *const others[] = {
		"2.35", "2.37", "2.3", "2.361", "2.36.1", "", "2.36 ", "1.0",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_false(tcb_libc_known(others[i]));
	assert_false(tcb_libc_known(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_this_libc),
		cmocka_unit_test(test_others_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
