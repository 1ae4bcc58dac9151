// SPDX-License-Identifier: MIT
/*
 * Messages and fatal errors. Usable anywhere, including signal handlers and
 * the scheduler with locks held: raw write(2) of fixed text, no malloc.
 */
#include <stdlib.h>
#include <string.h>

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
