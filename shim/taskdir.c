// SPDX-License-Identifier: MIT
/*
 * /proc/self/task as the program sees it natively: one entry per thread of
 * its own. The kernel's directory lists the kernel threads, which here are
 * the runtime's Ms and sysmon, not the program's threads: a program that
 * waits there for its threads to end (glibc's test support does, before
 * it signals or cancels a thread that has exited) would wait for ever, and
 * one that counts its threads there would count the wrong ones.
 *
 * A directory stream opened on it (opendir() of a path with "task" in it,
 * through any links; fdopendir() of any descriptor of it) stays libc's own
 * stream, usable by every libc function; the calls that read it here give entries taken from the runtime when the stream is opened and
 * again at each rewinddir(): ".", "..", then the thread id (gettid()) of
 * each G that has not ended, in ascending order as the kernel lists them,
 * each a directory. A G that has ended but is not yet joined is not listed,
 * as the kernel lists no exited thread.
 *
 * Not covered: getdents64() or scandir() on the directory (libc's scandir
 * opens it inside libc), kernel threads the shim did not create (locked
 * Gs), and names under it for the Gs' ids (/proc/self/task/ID/...), which
 * the kernel does not know. At most TASKDIRS streams are served at once;
 * past that a stream shows the kernel's directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "shim.h"
#include "../compat/tcb.h"
#include "../arch/x86_64/sys.h"

#define TASKDIRS 32

struct taskdir {
	struct lock lock; /* pos, tids, ent: readdir() is thread-safe */
	uint64_t dot_ino, dotdot_ino;
	size_t pos; /* of the next entry: 0 ".", 1 "..", then tids */
	size_t ntids;
	pid_t *tids;
	struct dirent64 ent;
};

/*
 * The streams served, by DIR address. Only the stream's owner looks up its
 * own entry, so a lookup compares addresses and nothing else: a slot
 * another thread frees meanwhile is never read through.
 */
static DIR *_Atomic dirs[TASKDIRS];
static struct taskdir *state[TASKDIRS];
static _Atomic int ndirs;

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64) &&
		       offsetof(struct dirent, d_name) ==
			       offsetof(struct dirent64, d_name),
	       "readdir() and readdir64() return the same record");

/* d's entry if served here; NULL if not, or if the shim is off. */
static struct taskdir *find(DIR *d)
{
	int i;

	if (!shim_on() || !atomic_load_explicit(&ndirs, memory_order_relaxed))
		return NULL;
	for (i = 0; i < TASKDIRS; i++)
		if (atomic_load_explicit(&dirs[i], memory_order_relaxed) == d)
			return state[i];
	return NULL;
}

/*
 * Is fd the directory /proc/self/task of this process? One system call
 * tells any directory not on procfs (fdopendir() walks whole trees).
 */
static bool is_task_dir(int fd, struct stat *st)
{
	struct statfs fs;
	struct stat self;

	return sys2(SYS_fstatfs, fd, (long)&fs) == 0 &&
	       fs.f_type == PROC_SUPER_MAGIC &&
	       sys2(SYS_fstat, fd, (long)st) == 0 &&
	       sys4(SYS_newfstatat, AT_FDCWD, (long)"/proc/self/task",
		    (long)&self, 0) == 0 &&
	       st->st_dev == self.st_dev && st->st_ino == self.st_ino;
}

struct tids {
	pid_t *v;
	size_t n, cap;
	bool nomem;
};

static void tids_add(struct tids *t, pid_t tid)
{
	pid_t *v;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		v = realloc(t->v, t->cap * sizeof(*v));
		if (!v) {
			t->nomem = true;
			return;
		}
		t->v = v;
	}
	t->v[t->n++] = tid;
}

static bool live(const struct g *gp)
{
	uint32_t st = atomic_load_explicit(&gp->status, memory_order_relaxed);

	return !(gp->flags & G_G0) && st != G_IDLE && st != G_DEAD;
}

static bool add_live(struct g *gp, void *arg)
{
	struct tids *t = arg;

	if (live(gp) && !t->nomem)
		tids_add(t, tcb_tid(gp->tcb));
	return false;
}

static int tid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The ids of the Gs alive now, sorted; false if memory ran out. */
static bool tids_take(struct tids *t)
{
	*t = (struct tids){ 0 };
	if (live(&g_main))
		tids_add(t, tcb_tid(g_main.tcb));
	stack_find(add_live, t);
	if (t->nomem) {
		free(t->v);
		return false;
	}
	qsort(t->v, t->n, sizeof(*t->v), tid_cmp);
	return true;
}

/* What a stream on /proc/self/task, fd, serves; NULL if memory ran out. */
static struct taskdir *taskdir_new(int fd, const struct stat *st)
{
	struct taskdir *td = calloc(1, sizeof(*td));
	struct stat parent;
	struct tids t;

	if (!td || !tids_take(&t)) {
		free(td);
		return NULL;
	}
	lock_init(&td->lock, RANK_TASKDIR);
	td->dot_ino = st->st_ino;
	if (sys4(SYS_newfstatat, fd, (long)"..", (long)&parent, 0) == 0)
		td->dotdot_ino = parent.st_ino;
	td->tids = t.v;
	td->ntids = t.n;
	return td;
}

static void taskdir_free(struct taskdir *td)
{
	free(td->tids);
	free(td);
}

/* Serve d from td; with every slot taken, d shows the kernel's directory. */
static DIR *serve(DIR *d, struct taskdir *td)
{
	int i;

	for (i = 0; i < TASKDIRS; i++) {
		DIR *none = NULL;

		if (atomic_compare_exchange_strong(&dirs[i], &none, d)) {
			state[i] = td;
			atomic_fetch_add(&ndirs, 1);
			return d;
		}
	}
	taskdir_free(td);
	return d;
}

SPROUT_EXPORT DIR *opendir(const char *name)
{
	struct taskdir *td;
	struct stat st;
	DIR *d;

	if (!shim_on())
		return REAL(opendir)(name);
	d = REAL(opendir)(name);
	if (!d || !strstr(name, "task") || !is_task_dir(dirfd(d), &st))
		return d;
	td = taskdir_new(dirfd(d), &st);
	if (!td) {
		REAL(closedir)(d);
		errno = ENOMEM;
		return NULL;
	}
	return serve(d, td);
}

/* As glibc's, it leaves fd open when it fails. */
SPROUT_EXPORT DIR *fdopendir(int fd)
{
	struct taskdir *td;
	struct stat st;
	DIR *d;

	if (!shim_on() || !is_task_dir(fd, &st))
		return REAL(fdopendir)(fd);
	td = taskdir_new(fd, &st);
	if (!td) {
		errno = ENOMEM;
		return NULL;
	}
	d = REAL(fdopendir)(fd);
	if (!d) {
		taskdir_free(td);
		return NULL;
	}
	return serve(d, td);
}

/*
 * A stream's lock is taken inside the runtime: no handler of the
 * program's runs on the caller while it is held (one that read the same
 * stream would wait for itself).
 */
static void td_lock(struct taskdir *td)
{
	rt_enter();
	lock(&td->lock);
}

static void td_unlock(struct taskdir *td)
{
	unlock(&td->lock);
	rt_exit();
}

/* The next entry of td into td->ent, or NULL at the end. */
static struct dirent64 *next(struct taskdir *td)
{
	struct dirent64 *e = &td->ent;
	size_t len;

	if (td->pos >= td->ntids + 2)
		return NULL;
	if (td->pos < 2) {
		e->d_ino = td->pos ? td->dotdot_ino : td->dot_ino;
		strcpy(e->d_name, td->pos ? ".." : ".");
	} else {
		pid_t tid = td->tids[td->pos - 2];

		e->d_ino = (uint64_t)tid;
		fmt_u(e->d_name, (unsigned long)tid, 10);
	}
	td->pos++;
	e->d_off = (int64_t)td->pos;
	e->d_type = DT_DIR;
	len = offsetof(struct dirent64, d_name) + strlen(e->d_name) + 1;
	e->d_reclen = (unsigned short)((len + 7) & ~(size_t)7);
	return e;
}

static struct dirent64 *read_locked(struct taskdir *td)
{
	struct dirent64 *e;

	td_lock(td);
	e = next(td);
	td_unlock(td);
	return e;
}

#ifdef __GLIBC__
SPROUT_EXPORT struct dirent64 *readdir64(DIR *d)
{
	struct taskdir *td = find(d);

	return td ? read_locked(td) : REAL(readdir64)(d);
}
#endif

SPROUT_EXPORT struct dirent *readdir(DIR *d)
{
	struct taskdir *td = find(d);

	return td ? (struct dirent *)read_locked(td) : REAL(readdir)(d);
}

/* Deprecated for readdir(), which is thread-safe, but still called. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/* The next entry into *entry, as readdir_r(). */
static int read_r(struct taskdir *td, struct dirent64 *entry,
		  struct dirent64 **result)
{
	struct dirent64 *e;

	td_lock(td);
	e = next(td);
	if (e)
		memcpy(entry, e, e->d_reclen);
	td_unlock(td);
	*result = e ? entry : NULL;
	return 0;
}

#ifdef __GLIBC__
SPROUT_EXPORT int readdir64_r(DIR *d, struct dirent64 *entry,
			      struct dirent64 **result)
{
	struct taskdir *td = find(d);

	if (!td)
		return REAL(readdir64_r)(d, entry, result);
	return read_r(td, entry, result);
}
#endif

SPROUT_EXPORT int readdir_r(DIR *d, struct dirent *entry,
			    struct dirent **result)
{
	struct taskdir *td = find(d);

	if (!td)
		return REAL(readdir_r)(d, entry, result);
	return read_r(td, (struct dirent64 *)entry, (struct dirent64 **)result);
}
#pragma GCC diagnostic pop

/* The Gs are taken again, as the kernel's directory is read again. */
SPROUT_EXPORT void rewinddir(DIR *d)
{
	struct taskdir *td = find(d);
	struct tids t;
	pid_t *old = NULL;

	REAL(rewinddir)(d);
	if (!td)
		return;
	/* Out of memory, it shows the threads it showed before. */
	if (tids_take(&t)) {
		td_lock(td);
		old = td->tids;
		td->tids = t.v;
		td->ntids = t.n;
	} else {
		td_lock(td);
	}
	td->pos = 0;
	td_unlock(td);
	free(old);
}

SPROUT_EXPORT long telldir(DIR *d)
{
	struct taskdir *td = find(d);
	long pos;

	if (!td)
		return REAL(telldir)(d);
	td_lock(td);
	pos = (long)td->pos;
	td_unlock(td);
	return pos;
}

SPROUT_EXPORT void seekdir(DIR *d, long pos)
{
	struct taskdir *td = find(d);

	if (!td) {
		REAL(seekdir)(d, pos);
		return;
	}
	td_lock(td);
	td->pos = pos < 0 ? 0 : (size_t)pos;
	td_unlock(td);
}

SPROUT_EXPORT int closedir(DIR *d)
{
	struct taskdir *td = find(d);
	int i;

	for (i = 0; td && i < TASKDIRS; i++) {
		if (atomic_load(&dirs[i]) != d)
			continue;
		taskdir_free(td);
		atomic_store(&dirs[i], NULL);
		atomic_fetch_sub(&ndirs, 1);
		break;
	}
	return REAL(closedir)(d);
}
