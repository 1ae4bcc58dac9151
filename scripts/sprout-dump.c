// SPDX-License-Identifier: MIT
/*
 * sprout dump PID: what every green thread of a process running under
 * sprout is doing, with a backtrace each.
 *
 * The process is stopped only while its Gs are copied out: every kernel
 * thread is seized and interrupted (ptrace), the runtime's root is read
 * (sprout_debug, sched/stack.h), then each live G and the stack above its
 * saved stack pointer; a G on an M (running, or in a system call) is read
 * at its kernel thread's registers. The threads are let go, and the
 * copies are unwound afterwards with libunwind, whose accessors read the
 * copied stacks, and the process's code and unwind tables where they
 * still are.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libunwind-ptrace.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../sched/stack.h"

#define STACK_COPY (256 * 1024) /* bytes of each stack copied, at most */
#define MAX_FRAMES 64

static pid_t pid;

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sprout dump: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Copy len bytes at the process's addr; false if any is not mapped. */
static bool peek(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static int64_t now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The process's mappings, to name the object a frame is in. */
struct mapping {
	uintptr_t lo, hi, off;
	char *path;
};

static struct mapping *maps;
static size_t nmaps;

static void read_maps(void)
{
	char file[64], line[4096], path[4096];
	size_t cap = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/maps", (int)pid);
	f = fopen(file, "re");
	if (!f)
		die("%s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi, off;

		path[0] = 0;
		if (sscanf(line,
			   "%" SCNxPTR "-%" SCNxPTR " %*s %" SCNxPTR
			   " %*s %*s %4095s",
			   &lo, &hi, &off, path) < 3)
			continue;
		if (nmaps == cap) {
			cap = cap ? 2 * cap : 256;
			maps = realloc(maps, cap * sizeof(*maps));
			if (!maps)
				die("out of memory");
		}
		maps[nmaps++] = (struct mapping){ lo, hi, off, strdup(path) };
	}
	fclose(f);
}

static const struct mapping *map_of(uintptr_t addr)
{
	for (size_t i = 0; i < nmaps; i++)
		if (addr >= maps[i].lo && addr < maps[i].hi)
			return &maps[i];
	return NULL;
}

/* A dynamic symbol's value in an ELF file; 0 if it has none by that name. */
static uintptr_t elf_dynsym(const char *path, const char *name)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uintptr_t value = 0;
	struct stat st;
	void *img;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		die("%s: %s", path, strerror(errno));
	eh = img;
	sh = (const Elf64_Shdr *)((const char *)img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum && !value; i++) {
		const Elf64_Sym *sym;
		const char *str;
		size_t n;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		sym = (const void *)((const char *)img + sh[i].sh_offset);
		str = (const char *)img + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(*sym);
		for (size_t j = 0; j < n; j++)
			if (sym[j].st_shndx != SHN_UNDEF &&
			    !strcmp(str + sym[j].st_name, name))
				value = sym[j].st_value;
	}
	munmap(img, (size_t)st.st_size);
	return value;
}

/* The runtime's root in the process: sprout_debug in libsprout.so. */
static uintptr_t find_root(void)
{
	for (size_t i = 0; i < nmaps; i++) {
		const char *base = strrchr(maps[i].path, '/');

		if (maps[i].off == 0 && base &&
		    !strncmp(base, "/libsprout", 10) && strstr(base, ".so")) {
			uintptr_t v = elf_dynsym(maps[i].path, "sprout_debug");
			if (v)
				return maps[i].lo + v;
		}
	}
	die("process %d has no libsprout.so loaded (not run under sprout?)",
	    (int)pid);
}

/* Stopping and letting go of every kernel thread of the process. */
struct task {
	pid_t tid;
	int sig; /* a signal it stopped for, given back when let go */
};

static struct task *tasks;
static size_t ntasks;

static bool seized(pid_t tid)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i].tid == tid)
			return true;
	return false;
}

/* Seize the threads not seized yet; false once there were none. */
static bool seize_new(void)
{
	char dir[64];
	struct dirent *e;
	bool any = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		die("no process %d", (int)pid);
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int st;

		if (tid <= 0 || seized(tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
			if (errno == ESRCH)
				continue; /* it has just exited */
			die("cannot attach to thread %d: %s", (int)tid,
			    strerror(errno));
		}
		if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
			continue;
		tasks = realloc(tasks, (ntasks + 1) * sizeof(*tasks));
		if (!tasks)
			die("out of memory");
		tasks[ntasks].tid = tid;
		/* An interrupt stops with SIGTRAP; anything else is owed. */
		tasks[ntasks].sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
		ntasks++;
		any = true;
	}
	closedir(d);
	return any;
}

static void stop_all(void)
{
	while (seize_new())
		; /* a thread made meanwhile is seized on the next pass */
}

static void release_all(void)
{
	for (size_t i = 0; i < ntasks; i++)
		ptrace(PTRACE_DETACH, tasks[i].tid, 0, (long)tasks[i].sig);
}

/* One G as copied out of the stopped process. */
struct gcopy {
	struct g g;
	uintptr_t at; /* its address there */
	int mid;      /* its M's id and kernel thread, if on one */
	pid_t mtid;
	long sysno; /* the system call its kernel thread is in, or -1 */
	unw_word_t regs[17]; /* libunwind's x86_64 numbering, to rip */
	uintptr_t stack_at;  /* what stack is a copy of */
	unsigned char *stack;
	size_t stack_len;
};

/* The registers ctx_switch() saved on a G's stack (switch.S). */
static void regs_parked(struct gcopy *c)
{
	uint64_t f[8];
	uintptr_t sp = (uintptr_t)c->g.sp;

	if (!peek(sp, f, sizeof(f)))
		return;
	c->regs[UNW_X86_64_R15] = f[1];
	c->regs[UNW_X86_64_R14] = f[2];
	c->regs[UNW_X86_64_R13] = f[3];
	c->regs[UNW_X86_64_R12] = f[4];
	c->regs[UNW_X86_64_RBX] = f[5];
	c->regs[UNW_X86_64_RBP] = f[6];
	c->regs[UNW_X86_64_RIP] = f[7];
	c->regs[UNW_X86_64_RSP] = sp + sizeof(f);
}

/*
 * Each register libunwind numbers (to RIP): where ptrace's view (struct
 * user_regs_struct) and a signal's (a ucontext_t's gregs) have it.
 */
#define REG(X, x)                                                             \
	{                                                                     \
		UNW_X86_64_##X, REG_##X, offsetof(struct user_regs_struct, x) \
	}
static const struct {
	int unw, greg;
	size_t user;
} regmap[] = {
	REG(RAX, rax), REG(RDX, rdx), REG(RCX, rcx), REG(RBX, rbx),
	REG(RSI, rsi), REG(RDI, rdi), REG(RBP, rbp), REG(RSP, rsp),
	REG(R8, r8),   REG(R9, r9),   REG(R10, r10), REG(R11, r11),
	REG(R12, r12), REG(R13, r13), REG(R14, r14), REG(R15, r15),
	REG(RIP, rip),
};
#undef REG

/* The thread a dump on a signal runs on, and what it interrupted there. */
static pid_t sig_tid;
static uintptr_t sig_ctx;

/*
 * The registers a signal interrupted, from its ucontext_t. Interrupted in
 * a system call the handler's SA_RESTART will restart, RIP is back at the
 * syscall instruction and RAX holds the call's number again.
 */
static void regs_signalled(struct gcopy *c)
{
	greg_t r[NGREG];
	unsigned char insn[2];

	if (!peek(sig_ctx + offsetof(ucontext_t, uc_mcontext.gregs), r,
		  sizeof(r)))
		return;
	for (size_t i = 0; i < sizeof(regmap) / sizeof(*regmap); i++)
		c->regs[regmap[i].unw] = (unw_word_t)r[regmap[i].greg];
	if (peek((uintptr_t)r[REG_RIP], insn, sizeof(insn)) &&
	    insn[0] == 0x0f && insn[1] == 0x05)
		c->sysno = (long)r[REG_RAX];
}

/* A G on an M: its kernel thread's registers. */
static void regs_running(struct gcopy *c)
{
	struct user_regs_struct r;
	struct m m;

	if (!peek((uintptr_t)c->g.m, &m, sizeof(m)))
		return;
	c->mid = m.id;
	c->mtid = m.tid;
	if (sig_ctx && m.tid == sig_tid) {
		regs_signalled(c);
		return;
	}
	if (ptrace(PTRACE_GETREGS, m.tid, 0, &r))
		return;
	for (size_t i = 0; i < sizeof(regmap) / sizeof(*regmap); i++)
		memcpy(&c->regs[regmap[i].unw], (char *)&r + regmap[i].user,
		       sizeof(unw_word_t));
	c->sysno = (long)r.orig_rax;
}

/* Copy the stack from the G's stack pointer up, by pages as they map. */
static void copy_stack(struct gcopy *c)
{
	uintptr_t sp = c->regs[UNW_X86_64_RSP], hi = (uintptr_t)c->g.stack_hi;
	size_t len, page = 4096;

	if (!sp)
		return;
	if (hi <= sp || hi - sp > STACK_COPY)
		hi = sp + STACK_COPY;
	len = hi - sp;
	c->stack = malloc(len);
	if (!c->stack)
		die("out of memory");
	c->stack_at = sp;
	if (peek(sp, c->stack, len)) {
		c->stack_len = len;
		return;
	}
	/* The main thread's stack ends where its mapping does. */
	while (c->stack_len < len) {
		size_t n = page - ((sp + c->stack_len) & (page - 1));
		if (!peek(sp + c->stack_len, c->stack + c->stack_len, n))
			break;
		c->stack_len += n;
	}
}

static bool copy_g(uintptr_t at, struct gcopy *c)
{
	memset(c, 0, sizeof(*c));
	c->mid = -1;
	c->sysno = -1;
	if (!peek(at, &c->g, sizeof(c->g)) || !c->g.tcb)
		return false;
	switch (c->g.status) {
	case G_RUNNABLE:
	case G_WAITING:
		regs_parked(c);
		break;
	case G_RUNNING:
	case G_SYSCALL:
		if (c->g.m)
			regs_running(c);
		break;
	default:
		return false; /* free or dead: no thread */
	}
	if (c->g.flags & G_G0)
		return false;
	c->at = at;
	copy_stack(c);
	return true;
}

static struct gcopy *gs;
static size_t ngs, capgs;

static struct gcopy *next_copy(void)
{
	if (ngs == capgs) {
		capgs = capgs ? 2 * capgs : 1024;
		gs = realloc(gs, capgs * sizeof(*gs));
		if (!gs)
			die("out of memory");
	}
	return &gs[ngs];
}

static int by_id(const void *a, const void *b)
{
	const struct gcopy *x = a, *y = b;

	return (x->g.id > y->g.id) - (x->g.id < y->g.id);
}

static void copy_gs(const struct sprout_debug *root)
{
	uintptr_t a = 0;

	if (copy_g((uintptr_t)root->gmain, next_copy()))
		ngs++;
	if (!peek((uintptr_t)root->arenas, &a, sizeof(a)))
		return;
	while (a) {
		struct stack_pool pool;
		struct arena ar;
		char *slot, *end;

		if (!peek(a, &ar, sizeof(ar)) ||
		    !peek((uintptr_t)ar.pool, &pool, sizeof(pool)))
			break;
		end = arena_carved(&ar, &pool);
		for (slot = ar.base; slot < end; slot += ar.slot_size) {
			struct g *gp = slot_g(slot + ar.slot_size, root->g_off);
			if (copy_g((uintptr_t)gp, next_copy()))
				ngs++;
		}
		a = (uintptr_t)ar.next;
	}
}

/*
 * libunwind's accessors: the G being unwound (cur) gives its registers
 * and its copied stack; any other memory is read from the process, which
 * is running again by then (code and unwind tables do not change).
 * libunwind passes the ptrace accessors' own argument to each; the copy
 * is found through cur.
 */
static const struct gcopy *cur;

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
		      int write, void *arg)
{
	(void)as;
	(void)arg;
	if (write)
		return -UNW_EREADONLYREG;
	if (addr >= cur->stack_at &&
	    addr + sizeof(*val) <= cur->stack_at + cur->stack_len) {
		memcpy(val, cur->stack + (addr - cur->stack_at), sizeof(*val));
		return 0;
	}
	return peek(addr, val, sizeof(*val)) ? 0 : -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val,
		      int write, void *arg)
{
	(void)as;
	(void)arg;
	if (write || reg < 0 || reg > UNW_X86_64_RIP)
		return -UNW_EBADREG;
	*val = cur->regs[reg];
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
			int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

/*
 * Names of code addresses, as unw_get_proc_name() gives them, kept: the
 * ptrace accessors read the object's file for each, and 10,000 threads
 * parked in one place ask the same few many times.
 */
struct name {
	unw_word_t ip, off;
	char *fn; /* NULL: none found */
};

static struct name *names;
static size_t names_cap, names_used;

static struct name *name_slot(struct name *tab, size_t cap, unw_word_t ip)
{
	size_t i = (size_t)(ip * 0x9e3779b97f4a7c15ull) & (cap - 1);

	while (tab[i].ip && tab[i].ip != ip)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static const struct name *proc_name(unw_cursor_t *cursor, unw_word_t ip)
{
	struct name *n;
	char fn[512];

	if (2 * (names_used + 1) > names_cap) {
		size_t cap = names_cap ? 2 * names_cap : 1024;
		struct name *tab = calloc(cap, sizeof(*tab));

		if (!tab)
			die("out of memory");
		for (size_t i = 0; i < names_cap; i++)
			if (names[i].ip)
				*name_slot(tab, cap, names[i].ip) = names[i];
		free(names);
		names = tab;
		names_cap = cap;
	}
	n = name_slot(names, names_cap, ip);
	if (!n->ip) {
		n->ip = ip;
		if (!unw_get_proc_name(cursor, fn, sizeof(fn), &n->off))
			n->fn = strdup(fn);
		names_used++;
	}
	return n;
}

/* The blocking system calls a thread is most often found in. */
static const char *syscall_name(long n)
{
#define NAME(call)                \
	{                         \
		SYS_##call, #call \
	}
	static const struct {
		long n;
		const char *name;
	} calls[] = {
		NAME(read),
		NAME(write),
		NAME(readv),
		NAME(writev),
		NAME(pread64),
		NAME(pwrite64),
		NAME(openat),
		NAME(close),
		NAME(fsync),
		NAME(fdatasync),
		NAME(flock),
		NAME(fcntl),
		NAME(wait4),
		NAME(waitid),
		NAME(futex),
		NAME(nanosleep),
		NAME(clock_nanosleep),
		NAME(poll),
		NAME(ppoll),
		NAME(select),
		NAME(pselect6),
		NAME(epoll_wait),
		NAME(epoll_pwait),
		NAME(accept),
		NAME(accept4),
		NAME(connect),
		NAME(recvfrom),
		NAME(sendto),
		NAME(recvmsg),
		NAME(sendmsg),
		NAME(rt_sigsuspend),
		NAME(rt_sigtimedwait),
		NAME(pause),
		NAME(msgrcv),
		NAME(msgsnd),
		NAME(semop),
		NAME(mq_timedreceive),
		NAME(mq_timedsend),
		NAME(ioctl),
	};
#undef NAME
	for (size_t i = 0; i < sizeof(calls) / sizeof(*calls); i++)
		if (calls[i].n == n)
			return calls[i].name;
	return NULL;
}

static const char *state_name(const struct gcopy *c, char *buf, size_t len)
{
	static const char *const what[] = {
		[GW_MUTEX] = "mutex",	  [GW_RWLOCK] = "rwlock",
		[GW_COND] = "condvar",	  [GW_SEM] = "semaphore",
		[GW_BARRIER] = "barrier", [GW_ONCE] = "pthread_once",
		[GW_JOIN] = "join",	  [GW_FUTEX] = "futex",
		[GW_SLEEP] = "sleep",	  [GW_READ] = "read",
		[GW_WRITE] = "write",	  [GW_POLL] = "poll",
	};
	const struct gwait *w = &c->g.wait;
	double since = (double)(now_coarse() - w->since) / 1e9;
	uint32_t joined;
	int n;

	switch (c->g.status) {
	case G_RUNNABLE:
		return "runnable";
	case G_RUNNING:
	case G_SYSCALL:
		/* In a blocking section: its P is another M's to take. */
		if (!c->g.sysdepth)
			snprintf(buf, len, "running on M%d, kernel thread %d",
				 c->mid, (int)c->mtid);
		else if (syscall_name(c->sysno))
			snprintf(buf, len,
				 "in a system call (%s) on M%d, kernel thread "
				 "%d",
				 syscall_name(c->sysno), c->mid, (int)c->mtid);
		else
			snprintf(buf, len,
				 "in a system call on M%d, kernel thread %d",
				 c->mid, (int)c->mtid);
		return buf;
	}
	if (w->what == GW_NONE || w->what >= sizeof(what) / sizeof(*what))
		n = snprintf(buf, len, "waiting");
	else if (w->what == GW_READ || w->what == GW_WRITE)
		n = snprintf(buf, len, "waiting: %s fd %d", what[w->what],
			     w->fd);
	else if (w->what == GW_JOIN &&
		 peek((uintptr_t)w->obj + offsetof(struct g, id), &joined,
		      sizeof(joined)))
		n = snprintf(buf, len, "waiting: join of thread %u", joined);
	else if (w->obj)
		n = snprintf(buf, len, "waiting: %s %p", what[w->what], w->obj);
	else
		n = snprintf(buf, len, "waiting: %s", what[w->what]);
	if (w->until >= 0 && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", %.3f s to go",
			      (double)(w->until - now_ns()) / 1e9);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", for %.1f s", since);
	return buf;
}

static void print_g(unw_addr_space_t as, void *upt, const struct gcopy *c)
{
	char state[160], name[sizeof(c->g.name) + 1] = "";
	unw_cursor_t cursor;
	int i;

	memcpy(name, c->g.name, sizeof(c->g.name));
	printf("thread %u%s%s%s [%s]:\n", c->g.id, name[0] ? " \"" : "", name,
	       name[0] ? "\"" : "", state_name(c, state, sizeof(state)));
	cur = c;
	if (!c->regs[UNW_X86_64_RIP] || unw_init_remote(&cursor, as, upt)) {
		printf("\t(no backtrace)\n\n");
		return;
	}
	for (i = 0; i < MAX_FRAMES; i++) {
		const struct mapping *m;
		const struct name *n;
		unw_word_t ip;

		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) || !ip)
			break;
		m = map_of(ip);
		n = proc_name(&cursor, ip);
		if (!n->fn)
			printf("\t#%-2d 0x%016lx ?", i, (unsigned long)ip);
		else
			printf("\t#%-2d 0x%016lx %s+0x%lx", i,
			       (unsigned long)ip, n->fn, (unsigned long)n->off);
		printf(" (%s)\n", m && m->path[0] ? m->path : "?");
		if (unw_step(&cursor) <= 0)
			break;
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	unw_accessors_t acc = _UPT_accessors;
	struct sprout_debug root;
	struct dump_sigctx sig;
	int64_t t0, t1, t2;
	unw_addr_space_t as;
	uintptr_t at;
	void *upt;

	if (argc != 2 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: sprout dump PID\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	read_maps();
	at = find_root();

	t0 = now_ns();
	stop_all();
	t1 = now_ns();
	if (!peek(at, &root, sizeof(root)) ||
	    root.magic != SPROUT_DEBUG_MAGIC ||
	    root.version != SPROUT_DEBUG_VERSION ||
	    root.g_size != sizeof(struct g) ||
	    root.m_size != sizeof(struct m) ||
	    root.arena_size != sizeof(struct arena) ||
	    root.pool_size != sizeof(struct stack_pool)) {
		release_all();
		die("process %d runs another build of libsprout.so than this "
		    "command's",
		    (int)pid);
	}
	if (peek((uintptr_t)root.sig, &sig, sizeof(sig))) {
		sig_tid = sig.tid;
		sig_ctx = (uintptr_t)sig.ctx;
	}
	copy_gs(&root);
	release_all();
	t2 = now_ns();
	qsort(gs, ngs, sizeof(*gs), by_id);

	acc.access_mem = access_mem;
	acc.access_reg = access_reg;
	acc.access_fpreg = access_fpreg;
	acc.resume = resume;
	as = unw_create_addr_space(&acc, 0);
	upt = _UPT_create(pid);
	if (!as || !upt)
		die("libunwind: cannot make an address space");
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	printf("sprout dump of process %d: %zu threads on %zu kernel threads; "
	       "stopped %.3f ms (%.3f ms to stop it)\n\n",
	       (int)pid, ngs, ntasks, (double)(t2 - t0) / 1e6,
	       (double)(t1 - t0) / 1e6);
	for (size_t i = 0; i < ngs; i++)
		print_g(as, upt, &gs[i]);
	_UPT_destroy(upt);
	unw_destroy_addr_space(as);
	return 0;
}
