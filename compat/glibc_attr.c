// SPDX-License-Identifier: MIT
#include "attr.h"

bool attr_user_stack(const pthread_attr_t *attr, void **lo, size_t *size)
{
	/*
	 * glibc keeps the top of the stack and reports top - size; with no
	 * stack set the top is NULL (nptl/pthread_attr_getstack.c).
	 */
	pthread_attr_getstack(attr, lo, size);
	return (char *)*lo + *size != (char *)0;
}
