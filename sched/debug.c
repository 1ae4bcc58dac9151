// SPDX-License-Identifier: MIT
/*
 * Messages and fatal errors. Usable anywhere, including signal handlers and
 * the scheduler with locks held: raw write(2) of fixed text, no malloc.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "runtime.h"
#include "../arch/x86_64/sys.h"

void print(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		long r = sys_write(2, s, n);
		if (r == -4 /* EINTR */)
			continue;
		if (r <= 0)
			return;
		s += r;
		n -= (size_t)r;
	}
}

void warn(const char *msg)
{
	print("sprout: ");
	print(msg);
	print("\n");
}

void fatal(const char *msg)
{
	print("sprout: fatal error: ");
	print(msg);
	print("\n");
	abort();
}

/*
 * Name the calling kernel thread, one of the runtime's, as ps -L, top -H
 * and gdb show it: prefix, then n if not negative ("sprout-m3"). The Gs
 * it runs keep their own names (the shim's prctl() and
 * pthread_getname_np() read them).
 */
void thread_name(const char *prefix, int n)
{
	char name[16] = "", num[24] = "";
	size_t len = strlen(prefix), nlen;

	if (n >= 0)
		fmt_u(num, (unsigned long)n, 10);
	nlen = strlen(num);
	if (len + nlen > sizeof(name) - 1)
		len = sizeof(name) - 1 - nlen;
	memcpy(name, prefix, len);
	memcpy(name + len, num, nlen + 1);
	sys2(SYS_prctl, PR_SET_NAME, (long)name);
}

/* Format v in base 10 or 16 into buf (at least 24 bytes); returns buf. */
char *fmt_u(char *buf, unsigned long v, int base)
{
	char tmp[24];
	int i = 0, j = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % (unsigned long)base];
		v /= (unsigned long)base;
	} while (v);
	if (base == 16) {
		buf[j++] = '0';
		buf[j++] = 'x';
	}
	while (i)
		buf[j++] = tmp[--i];
	buf[j] = 0;
	return buf;
}
