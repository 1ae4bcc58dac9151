// SPDX-License-Identifier: MIT
/*
 * Messages, fatal errors and the dump of the threads. Usable anywhere,
 * including signal handlers and the scheduler with locks held: raw system
 * calls, fixed text, no malloc.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runtime.h"
#include "stack.h"
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

/*
 * The dump of every G (`sprout dump`, scripts/sprout-dump.c), printed on
 * a fatal error and on SPROUT_DEBUG=dumpsig=SIG: the runtime forks and
 * runs the dumper on itself, its output to stderr, and waits for it. Out
 * of the process, the dump needs nothing of a runtime that may be
 * broken, and no lock: raw system calls only, from any context, a
 * signal handler's included. The child, one thread, only execs.
 */
static const char *dump_path;
static int dump_sig;
struct dump_sigctx dump_sigctx;

/* ctx: the context a signal interrupted on the calling thread, or NULL. */
static void dump_run(const void *ctx)
{
	static _Atomic bool dumping;
	char pid[24];
	char *argv[] = { (char *)dump_path, pid, NULL }, *envp[] = { NULL };
	long child, r;

	if (!dump_path || atomic_exchange(&dumping, true))
		return;
	dump_sigctx.tid = ctx ? (int32_t)sys0(SYS_gettid) : 0;
	dump_sigctx.ctx = ctx;
	fmt_u(pid, (unsigned long)sys0(SYS_getpid), 10);
	/* Where Yama limits ptrace to ancestors, let the child trace us. */
	sys2(SYS_prctl, PR_SET_PTRACER, (long)PR_SET_PTRACER_ANY);
	child = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (child == 0) {
		sys2(SYS_dup2, 2, 1);
		sys3(SYS_execve, (long)dump_path, (long)argv, (long)envp);
		sys1(SYS_exit_group, 127);
	}
	if (child > 0)
		do
			r = sys4(SYS_wait4, child, 0, __WALL, 0);
		while (r == -EINTR);
	else
		warn("cannot start the dump of the threads");
	sys2(SYS_prctl, PR_SET_PTRACER, 0);
	dump_sigctx.tid = 0;
	dump_sigctx.ctx = NULL;
	atomic_store(&dumping, false);
}

void dump_all(void)
{
	dump_run(NULL);
}

static void dump_on_signal(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	dump_run(ctx);
}

/*
 * path: the dumper, or NULL for none; sig: the signal that asks for a
 * dump, or 0; its handler goes in with libc's sigaction.
 */
void dump_init(const char *path, int sig,
	       int (*sigaction)(int, const struct sigaction *,
				struct sigaction *))
{
	struct sigaction sa = { .sa_sigaction = dump_on_signal,
				.sa_flags = SA_RESTART | SA_SIGINFO };

	dump_path = path;
	if (sig && path && sigaction && !sigaction(sig, &sa, NULL))
		dump_sig = sig;
}

/* The signal the runtime keeps for its dump, or 0. */
int dump_signal(void)
{
	return dump_sig;
}

void fatal(const char *msg)
{
	print("sprout: fatal error: ");
	print(msg);
	print("\n");
	dump_all();
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
