// SPDX-License-Identifier: MIT
/*
 * Per-G thread control blocks on musl 1.2.3 (x86_64).
 *
 * musl's pthread_create() maps the thread's memory, builds its TLS with
 * __copy_tls() (the static blocks below the descriptor, the DTV at the
 * bottom) and fills a few descriptor fields; every one of those is hidden.
 * So the TLS layout is read off the initial thread at start-up: each
 * module dl_iterate_phdr() reports, with its TLS image and its block's
 * place below the thread pointer. A G's TCB gets the same layout, its own
 * DTV (from malloc, like musl's own for modules loaded later), and the
 * fields musl's code reads of any thread: self, dtv, tid (the stdio and
 * thread-list lock owner: the G's fake one), errno, the canary, locale,
 * the robust list head and the stack.
 *
 * What the shim keeps per thread (thread-specific data, cancellation)
 * musl has no room for in its descriptor: it is a struct musl_ext,
 * reached through the descriptor's tsd pointer. A G's points right above
 * its descriptor; a thread musl made points at the thread-specific data
 * musl reserved for it, which only musl's own pthread_getspecific() (the
 * shim's replaces it) would use; the initial thread's is static.
 *
 * musl's cancellation (the descriptor's cancel word, acted on by libc's
 * own cancellation points) stays off for every G: the shim's is a word of
 * the extension, with glibc's bits (cancelword.h), and the shim's
 * pthread_exit() runs the cleanup records of pthread_cleanup_push() (musl
 * keeps them in the descriptor) and returns to tcb_run(): musl does not
 * unwind.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cancelword.h"
#include "musl_pthread.h"
#include "tcb.h"
#include "tlsmod.h"
#include "../arch/x86_64/sys.h"

#define PID_MAX_LIMIT 0x400000 /* 2^22: no kernel tid reaches it */
#define MAX_MODULES   256

struct musl_ext {
	char tsd[TCB_TSD_SIZE];
	int cancelhandling;
	void **landing; /* tcb_run()'s __builtin_setjmp() buffer */
};

/* A thread musl made reserves PTHREAD_KEYS_MAX pointers for its tsd. */
_Static_assert(sizeof(struct musl_ext) <= 128 * sizeof(void *),
	       "the extension fits musl's thread-specific data");

struct module {
	const void *image;
	size_t len, size, align;
	size_t offset; /* its block at the thread pointer less offset */
};

static struct {
	struct musl_pthread *initial;
	struct musl_ext initial_ext;
	uintptr_t canary, sysinfo;
	locale_t locale;
	size_t static_size, static_align, reserve;
	size_t nstatic; /* modules 1..nstatic are static */
	size_t nmod;	/* modules 1..nmod are known */
	struct module mod[MAX_MODULES + 1];
	void (*exit_landing)(void);
	char version[16];
} musl;

static struct musl_pthread *self_pd(void)
{
	return tcb_current();
}

static struct musl_ext *ext_of(struct musl_pthread *pd)
{
	return pd == musl.initial ? &musl.initial_ext
				  : (struct musl_ext *)(void *)pd->tsd;
}

/* Reads every TLS module of the loaded objects into musl.mod. */
static int read_module(struct dl_phdr_info *info, size_t size, void *data)
{
	int i;

	(void)size;
	(void)data;
	if (info->dlpi_tls_modid <= musl.nmod ||
	    info->dlpi_tls_modid > MAX_MODULES)
		return 0; /* none, or known: not written again */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		struct module *m = &musl.mod[info->dlpi_tls_modid];

		if (ph->p_type != PT_TLS)
			continue;
		m->image = (const char *)info->dlpi_addr + ph->p_vaddr;
		m->len = ph->p_filesz;
		m->size = ph->p_memsz;
		m->align = ph->p_align ? ph->p_align : 1;
		/* Start-up: all static, their blocks the initial thread's. */
		if (!musl.nstatic)
			m->offset = (size_t)((char *)tcb_current() -
					     (char *)info->dlpi_tls_data);
		if (info->dlpi_tls_modid > *(size_t *)data)
			*(size_t *)data = info->dlpi_tls_modid;
	}
	return 0;
}

/* Learn the modules loaded since; then make them known (musl.nmod). */
static void read_modules(void)
{
	size_t n = musl.nmod;

	dl_iterate_phdr(read_module, &n);
	__atomic_store_n(&musl.nmod, n, __ATOMIC_SEQ_CST);
}

/*
 * The version of the musl in use: libc.so carries it as a string of its
 * own ("Version %s" of ld.so's usage), the only NUL-delimited
 * digits.digits.digits in the file, which is found through the mapping
 * holding one of its functions.
 */
static bool libc_path(char *path, size_t len)
{
	uintptr_t fn = (uintptr_t)&dl_iterate_phdr;
	char buf[4096], line[512];
	size_t n = 0;
	long r;
	int fd = (int)sys3(SYS_open, (long)"/proc/self/maps", O_RDONLY, 0);
	bool found = false;

	if (fd < 0)
		return false;
	while (!found && (r = sys3(SYS_read, fd, (long)buf, sizeof(buf))) > 0) {
		for (long i = 0; i < r && !found; i++) {
			unsigned long lo, hi;
			char *p;

			if (buf[i] != '\n') {
				if (n < sizeof(line) - 1)
					line[n++] = buf[i];
				continue;
			}
			line[n] = 0;
			n = 0;
			lo = strtoul(line, &p, 16);
			hi = strtoul(p + 1, &p, 16);
			p = strchr(line, '/');
			if (fn >= lo && fn < hi && p && strlen(p) < len) {
				strcpy(path, p);
				found = true;
			}
		}
	}
	sys1(SYS_close, fd);
	return found;
}

static bool version_like(const char *s, size_t n)
{
	size_t i, dots = 0;

	if (n < 5 || n >= sizeof(musl.version) || s[0] < '0' || s[0] > '9')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && i && s[i - 1] != '.')
			dots++;
		else if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return dots == 2 && s[n - 1] != '.';
}

static const char *find_version(void)
{
	static char buf[65536 + 16];
	char path[256];
	size_t keep = 0, start;
	long r;
	int fd, found = 0;

	if (!libc_path(path, sizeof(path)))
		return NULL;
	fd = (int)sys3(SYS_open, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	while ((r = sys3(SYS_read, fd, (long)buf + keep,
			 (long)(sizeof(buf) - keep))) > 0) {
		size_t end = keep + (size_t)r, i;

		for (start = 0, i = 0; i < end; i++) {
			if (buf[i])
				continue;
			if (i > start && version_like(buf + start, i - start)) {
				if (found && strcmp(musl.version, buf + start))
					found = -1; /* two: ambiguous */
				else if (!found) {
					memcpy(musl.version, buf + start,
					       i - start + 1);
					found = 1;
				}
			}
			start = i + 1;
		}
		/* A string cut at the buffer's end starts the next read. */
		keep = end - start < 16 ? end - start : 0;
		memmove(buf, buf + end - keep, keep);
	}
	sys1(SYS_close, fd);
	return found == 1 ? musl.version : NULL;
}

const char *tcb_libc_version(void)
{
	return musl.version[0] ? musl.version : find_version();
}

const char *const tcb_known_versions[] = { "1.2.3", NULL };

/* The descriptor's fields that libc's own functions let us see. */
static int check_layout(struct musl_pthread *pd, const char **why)
{
	size_t i;

	if (pd->self != pd || pd->tid != (int)sys_gettid() ||
	    &pd->errno_val != __errno_location() ||
	    pd->robust_list.head != &pd->robust_list.head ||
	    pd->detach_state != MUSL_DT_JOINABLE || pd->cancel) {
		*why = "libc's struct pthread has an unknown layout";
		return -1;
	}
	if (!pd->dtv || pd->dtv[0] != musl.nmod) {
		*why = "libc's TLS vector has an unknown layout";
		return -1;
	}
	for (i = 1; i <= musl.nmod; i++)
		if (musl.mod[i].size &&
		    pd->dtv[i] != (uintptr_t)pd - musl.mod[i].offset) {
			*why = "libc's TLS vector has an unknown layout";
			return -1;
		}
	return 0;
}

int tcb_setup(const char **why)
{
	struct musl_pthread *pd = self_pd();
	size_t i;

	musl.initial = pd;
	read_modules();
	if (tlsmod_max() > MAX_MODULES) {
		*why = "too many TLS modules";
		return -1;
	}
	if (check_layout(pd, why))
		return -1;
	musl.static_align = 64;
	for (i = 1; i <= musl.nmod; i++) {
		struct module *m = &musl.mod[i];

		if (m->align > musl.static_align)
			musl.static_align = m->align;
		if (m->offset > musl.static_size)
			musl.static_size = m->offset;
	}
	musl.reserve = (sizeof(struct musl_pthread) + sizeof(struct musl_ext) +
			musl.static_align + musl.static_size + 63) &
		       ~(size_t)63;
	musl.nstatic = musl.nmod;
	musl.canary = pd->canary;
	musl.sysinfo = pd->sysinfo;
	musl.locale = pd->locale;
	return 0;
}

size_t tcb_reserve(void)
{
	return musl.reserve;
}

size_t tcb_g_offset(size_t size)
{
	return (musl.reserve + size + 63) & ~(size_t)63;
}

void tcb_set_stack(void *tcb, void *stack_lo, size_t stack_size, size_t guard)
{
	struct musl_pthread *pd = tcb;

	pd->stack = stack_lo ? (char *)stack_lo + stack_size : NULL;
	pd->stack_size = stack_size;
	pd->guard_size = guard;
}

void *tcb_stack(void *tcb, size_t *size, size_t *guard)
{
	struct musl_pthread *pd = tcb;

	*size = pd->stack_size;
	*guard = pd->guard_size;
	return pd->stack ? (char *)pd->stack - pd->stack_size : NULL;
}

/* A block for a module loaded after start-up: from malloc, as musl's. */
static uintptr_t dynamic_block(const struct module *m)
{
	char *p = aligned_alloc(m->align,
				(m->size + m->align - 1) & ~(m->align - 1));

	if (!p)
		return 0;
	memcpy(p, m->image, m->len);
	memset(p + m->len, 0, m->size - m->len);
	return (uintptr_t)p;
}

/* Serialises the growth of DTVs after a dlopen(); rare, never held long. */
static uint32_t dlopen_word;

static void dlopen_lock(void)
{
	while (__atomic_exchange_n(&dlopen_word, 1, __ATOMIC_ACQUIRE))
		sys_futex_wait(&dlopen_word, 1);
}

static void dlopen_unlock(void)
{
	__atomic_store_n(&dlopen_word, 0, __ATOMIC_RELEASE);
	sys_futex_wake(&dlopen_word, 1);
}

/*
 * A larger DTV for pd, with blocks of the modules loaded since. The old
 * one stays: the thread may be reading it now, as musl leaves its own.
 */
static void dtv_grow(void *tcb)
{
	struct musl_pthread *pd = tcb;
	uintptr_t *old = pd->dtv, *dtv;
	size_t i, n = musl.nmod;

	if (!old || old[0] >= n)
		return;
	dtv = calloc(n + 1, sizeof(*dtv));
	if (!dtv)
		return; /* __tls_get_addr() of the new modules would fail */
	memcpy(dtv, old, (old[0] + 1) * sizeof(*dtv));
	for (i = old[0] + 1; i <= n; i++)
		dtv[i] = musl.mod[i].size ? dynamic_block(&musl.mod[i]) : 0;
	dtv[0] = n;
	__atomic_store_n(&pd->dtv, dtv, __ATOMIC_RELEASE);
}

void tcb_after_dlopen(void (*each_tcb)(void (*fn)(void *)))
{
	if (tlsmod_max() <= musl.nmod)
		return;
	dlopen_lock();
	/* The caller's own vector musl grew: its blocks can be read. */
	read_modules();
	each_tcb(dtv_grow);
	dtv_grow(musl.initial);
	dlopen_unlock();
}

/*
 * The static blocks from their images, and a DTV naming them and a block
 * of each module loaded since start-up. The DTV of a recycled TCB is
 * reused if it has room.
 */
static bool tls_init(struct musl_pthread *pd)
{
	size_t i, n = __atomic_load_n(&musl.nmod, __ATOMIC_SEQ_CST);
	uintptr_t *dtv = pd->dtv;

	if (dtv)
		for (i = musl.nstatic + 1; i <= dtv[0]; i++)
			free((void *)dtv[i]);
	if (!dtv || dtv[0] < n) {
		free(dtv);
		dtv = calloc(n + 1, sizeof(*dtv));
		if (!dtv)
			return false;
	}
	dtv[0] = n;
	for (i = 1; i <= n; i++) {
		const struct module *m = &musl.mod[i];
		char *block = (char *)pd - m->offset;

		if (i > musl.nstatic) {
			dtv[i] = m->size ? dynamic_block(m) : 0;
			continue;
		}
		memcpy(block, m->image, m->len);
		memset(block + m->len, 0, m->size - m->len);
		dtv[i] = (uintptr_t)block;
	}
	__atomic_store_n(&pd->dtv, dtv, __ATOMIC_SEQ_CST);
	/* A dlopen() since n was read may have missed this TCB. */
	if (__atomic_load_n(&musl.nmod, __ATOMIC_SEQ_CST) != n) {
		dlopen_lock();
		dtv_grow(pd);
		dlopen_unlock();
	}
	return true;
}

static void init_fields(struct musl_pthread *pd, struct musl_ext *ext)
{
	uintptr_t *dtv = pd->dtv;

	memset(pd, 0, sizeof(*pd));
	memset(ext, 0, sizeof(*ext));
	pd->self = pd;
	pd->dtv = dtv;
	pd->prev = pd->next = pd; /* on no list of musl's */
	pd->sysinfo = musl.sysinfo;
	pd->canary = musl.canary;
	pd->detach_state = MUSL_DT_JOINABLE;
	pd->tsd = (void **)(void *)ext;
	pd->robust_list.head = &pd->robust_list.head;
	pd->locale = musl.locale;
}

void *tcb_create(void *top, uint32_t tid, void *stack_lo, size_t stack_size,
		 size_t guard)
{
	struct musl_pthread *pd;
	struct musl_ext *ext;

	pd = (void *)(((uintptr_t)top - sizeof(*pd) - sizeof(*ext)) &
		      ~(musl.static_align - 1));
	ext = (struct musl_ext *)(pd + 1);
	pd->dtv = NULL;
	if (!tls_init(pd))
		return NULL;
	init_fields(pd, ext);
	tcb_set_id(pd, tid);
	tcb_set_stack(pd, stack_lo, stack_size, guard);
	return pd;
}

void tcb_recycle(void *tcb)
{
	struct musl_pthread *pd = tcb;
	struct musl_ext *ext = (struct musl_ext *)(pd + 1);
	int tid = pd->tid;
	void *stack = pd->stack;
	size_t size = pd->stack_size, guard = pd->guard_size;

	/*
	 * Out of memory for a module loaded since: the TCB keeps its DTV,
	 * and __tls_get_addr() of that module alone would fail.
	 */
	tls_init(pd);
	/* As musl's __dl_thread_cleanup(): dlerror()'s message, if any. */
	if (pd->dlerror_buf && pd->dlerror_buf != (void *)-1)
		free(pd->dlerror_buf);
	init_fields(pd, ext);
	pd->tid = tid;
	pd->stack = stack;
	pd->stack_size = size;
	pd->guard_size = guard;
}

void *tcb_tsd(void *tcb)
{
	return ext_of(tcb)->tsd;
}

void *tcb_tls_addr(void *tcb, void *var)
{
	return (char *)tcb + ((char *)var - (char *)tcb_current());
}

void *tcb_run(void *(*fn)(void *), void *arg)
{
	void *landing[5];

	ext_of(self_pd())->landing = landing;
	if (__builtin_setjmp(landing))
		return self_pd()->result;
	return fn(arg);
}

/*
 * pthread_exit() and cancellation: the cleanup records, newest first, then
 * back to tcb_run() (a G), the initial thread's landing, or libc's
 * pthread_exit() (a thread musl made, which ends there).
 */
void tcb_unwind(void *result, void (*libc_exit)(void *))
{
	struct musl_pthread *pd = self_pd();
	struct musl_ext *ext = ext_of(pd);
	struct musl_ptcb *cb;

	pd->result = result;
	while ((cb = pd->cancelbuf) != NULL) {
		pd->cancelbuf = cb->next;
		cb->f(cb->x);
	}
	if (ext->landing)
		__builtin_longjmp(ext->landing, 1);
	if (pd == musl.initial && musl.exit_landing)
		musl.exit_landing();
	libc_exit(result);
	__builtin_unreachable();
}

_Static_assert(sizeof(struct tcb_cleanup) == sizeof(struct musl_ptcb) &&
		       offsetof(struct tcb_cleanup, next) ==
			       offsetof(struct musl_ptcb, next),
	       "struct __ptcb");

void tcb_cleanup_push(struct tcb_cleanup *c, void (*fn)(void *), void *arg)
{
	struct musl_pthread *pd = self_pd();

	c->fn = fn;
	c->arg = arg;
	c->next = (struct tcb_cleanup *)pd->cancelbuf;
	pd->cancelbuf = (struct musl_ptcb *)c;
}

void tcb_cleanup_pop(struct tcb_cleanup *c)
{
	self_pd()->cancelbuf = (struct musl_ptcb *)c->next;
}

/* musl has no C++ thread_local destructors of its own to run. */
void tcb_exit(void)
{
}

/* musl 1.2.3 registers no rseq area: nothing of the kernel's to undo. */
void tcb_adopt(void)
{
}

bool tcb_redirect_exit(void (*landing)(void))
{
	musl.exit_landing = landing;
	return true;
}

void *tcb_result(void)
{
	return self_pd()->result;
}

/*
 * musl's fork() leaves the forking thread alone on its thread list, with
 * the kernel's thread id: whichever TCB forked. Nothing else to redo.
 */
void tcb_afterfork_child(void *m_tcb, void (*each_tcb)(void (*)(void *)),
			 bool libc_reclaimed)
{
	(void)m_tcb;
	(void)each_tcb;
	(void)libc_reclaimed;
}

void tcb_relist(void *tcb)
{
	(void)tcb;
}

void tcb_set_id(void *tcb, uint32_t id)
{
	/* Above PID_MAX_LIMIT, within FUTEX_TID_MASK: never a kernel tid. */
	((struct musl_pthread *)tcb)->tid =
		(int)(PID_MAX_LIMIT + id % (0x3fffffff - PID_MAX_LIMIT));
}

pid_t tcb_tid(void *tcb)
{
	return ((struct musl_pthread *)tcb)->tid;
}

void tcb_set_kernel_tid(void *tcb, pid_t tid)
{
	((struct musl_pthread *)tcb)->tid = tid;
}

pid_t *tcb_kernel_tid_word(void *tcb)
{
	return &((struct musl_pthread *)tcb)->tid;
}

/* musl's setuid() broadcast is its own __synccall(): nothing to hook. */
int tcb_hook_setxid(void)
{
	return 0;
}

enum tcb_cancel tcb_cancel(void *tcb)
{
	return cw_cancel(&ext_of(tcb)->cancelhandling);
}

enum tcb_cancel tcb_cancel_pending(void)
{
	return cw_pending(&ext_of(self_pd())->cancelhandling);
}

bool tcb_async_begin(int *old)
{
	return cw_async_begin(&ext_of(self_pd())->cancelhandling, old);
}

void tcb_async_end(int old)
{
	cw_async_end(&ext_of(self_pd())->cancelhandling, old);
}

void tcb_exiting(void *tcb)
{
	cw_exiting(&ext_of(tcb)->cancelhandling);
}

bool tcb_cancelled_or_exiting(void *tcb)
{
	return cw_cancelled_or_exiting(&ext_of(tcb)->cancelhandling);
}

int tcb_set_cancelstate(bool disable)
{
	int *w = &ext_of(self_pd())->cancelhandling;
	int old =
		disable ? __atomic_fetch_or(w, CW_CANCELSTATE, __ATOMIC_SEQ_CST)
			: __atomic_fetch_and(w, ~CW_CANCELSTATE,
					     __ATOMIC_SEQ_CST);

	return old & CW_CANCELSTATE ? PTHREAD_CANCEL_DISABLE
				    : PTHREAD_CANCEL_ENABLE;
}

int tcb_set_canceltype(bool async)
{
	int *w = &ext_of(self_pd())->cancelhandling;
	int old =
		async ? __atomic_fetch_or(w, CW_CANCELTYPE, __ATOMIC_SEQ_CST)
		      : __atomic_fetch_and(w, ~CW_CANCELTYPE, __ATOMIC_SEQ_CST);

	return old & CW_CANCELTYPE ? PTHREAD_CANCEL_ASYNCHRONOUS
				   : PTHREAD_CANCEL_DEFERRED;
}

/* The kernel returns from a handler through this (SA_RESTORER). */
void tcb_restorer(void);
__asm__(".text\n"
	".globl tcb_restorer\n"
	".hidden tcb_restorer\n"
	".type tcb_restorer, @function\n"
	"tcb_restorer:\n"
	"	mov $15, %eax\n" /* SYS_rt_sigreturn */
	"	syscall\n"
	".size tcb_restorer, .-tcb_restorer\n");

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

int tcb_hook_cancel(void (*handler)(int, siginfo_t *, void *))
{
	struct kernel_sigaction act = {
		.handler = (void (*)(int))(void (*)(void))handler,
		.flags = SA_SIGINFO | SA_RESTART | SA_RESTORER,
		.restorer = tcb_restorer,
		.mask = 0,
	};
	long r = sys4(SYS_rt_sigaction, 33 /* musl's SIGCANCEL */, (long)&act,
		      0, 8);

	return r < 0 ? (int)-r : 0;
}
