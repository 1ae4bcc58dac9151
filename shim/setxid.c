// SPDX-License-Identifier: MIT
/*
 * setuid() and the rest of the family on musl. The kernel keeps
 * credentials per thread, and libc makes every thread of the process call
 * the system call. musl's __synccall() does it for the threads on its own
 * list, and only from a thread whose id it recognises: from a G (a fake
 * id) it would change the calling kernel thread alone. So the shim makes
 * the call on every kernel thread of the process, as glibc's broadcast
 * does: here first, then, with musl's SIGSYNCCALL (LIBC_SIGSETXID, whose
 * handler musl installs only inside __synccall()), on each thread
 * /proc/self/task lists, until a pass finds none it has not reached. A
 * thread that starts meanwhile inherits its creator's credentials, old or
 * new: the next pass reaches it.
 *
 * glibc needs none of this: its broadcast walks the descriptors of every
 * G (compat/glibc_tcb.c, tcb_hook_setxid()).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim.h"
#include "../arch/x86_64/sys.h"

#define MAX_TIDS 4096 /* per pass; threads beyond wait for the next */

static struct {
	struct lock lock; /* one broadcast at a time */
	long nr, a, b, c;
	pid_t sent[MAX_TIDS]; /* signalled this pass */
	_Atomic bool acked[MAX_TIDS];
	_Atomic int nsent;
	_Atomic uint32_t acks;
	_Atomic int err;
	bool hooked;
} xid = { .lock = LOCK_INIT(RANK_SETXID) };

/* On each thread signalled: the same call; takes no lock. */
static void xid_handler(int sig, siginfo_t *si, void *uc)
{
	long r;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_TKILL || si->si_pid != sys0(SYS_getpid))
		return; /* not ours */
	r = sys3(xid.nr, xid.a, xid.b, xid.c);
	if (r < 0)
		atomic_store(&xid.err, (int)-r);
	for (int i = 0, me = (int)sys_gettid(); i < atomic_load(&xid.nsent);
	     i++)
		if (xid.sent[i] == me)
			atomic_store(&xid.acked[i], true);
	atomic_fetch_add(&xid.acks, 1);
	sys_futex_wake((uint32_t *)&xid.acks, 1);
}

/*
 * Wait until each thread signalled has made the call, or is gone (one
 * that ends with every signal blocked never takes it).
 */
static void wait_acks(pid_t pid)
{
	int i, n = atomic_load(&xid.nsent);
	uint32_t acks;

	for (;;) {
		for (i = 0; i < n; i++)
			if (!atomic_load(&xid.acked[i]) &&
			    sys3(SYS_tgkill, pid, xid.sent[i], 0) == 0)
				break;
		if (i == n)
			return;
		acks = atomic_load(&xid.acks);
		sys_futex_wait_until((uint32_t *)&xid.acks, acks,
				     nanotime() + 10000000, true);
	}
}

static int hook(void)
{
	struct kernel_sigaction act = {
		.handler = (void (*)(int))(void (*)(void))xid_handler,
		.flags = SA_SIGINFO | SA_RESTART | 0x04000000 /* RESTORER */,
		.restorer = tcb_restorer,
		.mask = ~0ull, /* nothing nests in it */
	};
	long r = sys4(SYS_rt_sigaction, LIBC_SIGSETXID, (long)&act, 0, 8);

	return r < 0 ? (int)-r : 0;
}

/* The thread ids of the process now, into tids; the count. */
static int list_tids(pid_t *tids)
{
	char buf[4096];
	int n = 0, fd = (int)sys3(SYS_open, (long)"/proc/self/task",
				  O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long len;

	if (fd < 0)
		return -1;
	while ((len = sys3(SYS_getdents64, fd, (long)buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (d->d_name[0] != '.' && n < MAX_TIDS)
				tids[n++] = (pid_t)strtol(d->d_name, NULL, 10);
			off += d->d_reclen;
		}
	}
	sys1(SYS_close, fd);
	return n;
}

static bool seen(const pid_t *done, int n, pid_t t)
{
	for (int i = 0; i < n; i++)
		if (done[i] == t)
			return true;
	return false;
}

/* The call on every kernel thread: 0, or -1 with errno. */
static int on_all_threads(long nr, long a, long b, long c)
{
	static pid_t done[MAX_TIDS], now[MAX_TIDS];
	pid_t self = (pid_t)sys_gettid(), pid = (pid_t)sys0(SYS_getpid);
	int ndone = 0, n, i, err = 0, sent;
	long r;

	lock(&xid.lock);
	/* Here first: if the kernel refuses, no thread changes. */
	r = sys3(nr, a, b, c);
	if (r < 0) {
		unlock(&xid.lock);
		errno = (int)-r;
		return -1;
	}
	if (!xid.hooked && (err = hook()) == 0)
		xid.hooked = true;
	xid.nr = nr;
	xid.a = a;
	xid.b = b;
	xid.c = c;
	atomic_store(&xid.err, 0);
	done[ndone++] = self;
	do {
		n = err ? 0 : list_tids(now);
		for (sent = 0, i = 0; i < n; i++) {
			if (seen(done, ndone, now[i]) || ndone == MAX_TIDS)
				continue;
			done[ndone++] = now[i];
			xid.sent[sent] = now[i];
			atomic_store(&xid.acked[sent], false);
			sent++;
		}
		atomic_store(&xid.nsent, sent);
		for (i = 0; i < sent; i++)
			sys3(SYS_tgkill, pid, xid.sent[i], LIBC_SIGSETXID);
		wait_acks(pid);
		atomic_store(&xid.nsent, 0);
	} while (sent);
	err = err ? err : atomic_load(&xid.err);
	unlock(&xid.lock);
	if (err) {
		/* As glibc: a thread that could not follow is fatal. */
		fatal("setuid() and the like: a thread could not make the "
		      "call");
	}
	return 0;
}

#define XID1(name, nr, T)                                 \
	SPROUT_EXPORT int name(T x)                       \
	{                                                 \
		if (!shim_on())                           \
			return REAL(name)(x);             \
		return on_all_threads(nr, (long)x, 0, 0); \
	}
#define XID2(name, nr, T)                                       \
	SPROUT_EXPORT int name(T x, T y)                        \
	{                                                       \
		if (!shim_on())                                 \
			return REAL(name)(x, y);                \
		return on_all_threads(nr, (long)x, (long)y, 0); \
	}
#define XID3(name, nr, T)                                             \
	SPROUT_EXPORT int name(T x, T y, T z)                         \
	{                                                             \
		if (!shim_on())                                       \
			return REAL(name)(x, y, z);                   \
		return on_all_threads(nr, (long)x, (long)y, (long)z); \
	}

XID1(setuid, SYS_setuid, uid_t)
XID1(setgid, SYS_setgid, gid_t)
XID2(setreuid, SYS_setreuid, uid_t)
XID2(setregid, SYS_setregid, gid_t)
XID3(setresuid, SYS_setresuid, uid_t)
XID3(setresgid, SYS_setresgid, gid_t)

SPROUT_EXPORT int seteuid(uid_t e)
{
	if (!shim_on())
		return REAL(seteuid)(e);
	return on_all_threads(SYS_setresuid, -1, (long)e, -1);
}

SPROUT_EXPORT int setegid(gid_t e)
{
	if (!shim_on())
		return REAL(setegid)(e);
	return on_all_threads(SYS_setresgid, -1, (long)e, -1);
}

SPROUT_EXPORT int setgroups(size_t n, const gid_t *list)
{
	if (!shim_on())
		return REAL(setgroups)(n, list);
	return on_all_threads(SYS_setgroups, (long)n, (long)list, 0);
}
