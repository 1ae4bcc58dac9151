// SPDX-License-Identifier: MIT
/*
 * A module that needs an executable stack (linked -z execstack): tryme()
 * calls a nested function through a pointer, a trampoline GCC builds on
 * the caller's stack. For tests/progs/execstack.c.
 */
static int __attribute__((noinline)) callme(int (*f)(int))
{
	return f(1);
}

int tryme(void);

int tryme(void)
{
	int base = 41;
	int nested(int x)
	{
		return base + x;
	}

	return callme(nested);
}
