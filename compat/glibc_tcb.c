// SPDX-License-Identifier: MIT
/*
 * Per-G thread control blocks on glibc 2.36 (x86_64).
 *
 * glibc's own pthread_create() places a struct pthread at the top of the
 * thread's stack with the static TLS blocks right below it, lets ld.so's
 * _dl_allocate_tls() build the DTV and copy the TLS images, and fills in a
 * dozen fields. We allocate the DTV ourselves, sized to fit (dtv_alloc()),
 * and let _dl_allocate_tls_init() do the rest. We do the same for each G (recipe, with the failure seen for
 * each field left wrong: shared/notes/glibc-tls.md).
 *
 * Three things glibc does only for threads it knows:
 *  - static TLS of a module dlopen'ed later is initialised for the threads
 *    on GL(dl_stack_used) and GL(dl_stack_user) only;
 *  - the setxid broadcast and dlclose's wait for the global scope walk
 *    the same lists;
 * so every TCB is linked into GL(dl_stack_user), the list of threads with
 * caller-supplied stacks, under GL(dl_stack_cache_lock), and stays there for
 * good (TCBs are recycled, never freed). The broadcast's tgkill() to a fake
 * tid fails with ESRCH, which glibc ignores; the descriptors that name a
 * real kernel thread (an M's own, the initial thread's) need the shim's
 * SIGSETXID handler (tcb_hook_setxid()).
 *
 * Recycling: a new thread must see every static TLS block as its module's
 * initialisation image, except libc's own block, which holds the tcache
 * pointer and other state whose cleanup glibc does not export. A template
 * TCB, built once and kept on the list so that late dlopens initialise it
 * too, is copied over the recycled TLS area around libc's block. Dynamic TLS
 * blocks (modules dlopen'ed with the general-dynamic model) are freed and
 * left for __tls_get_addr() to allocate again.
 */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <errno.h>
#include <link.h>
#include <locale.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "cancelword.h"
#include "glibc_pthread.h"
#include "tcb.h"
#include "tlsmod.h"
#include "../arch/x86_64/sys.h"

#define PID_MAX_LIMIT 0x400000 /* 2^22: no kernel tid reaches it */

/* LeakSanitizer's, where a sanitized program links it in. */
extern void __lsan_ignore_object(const void *p) __attribute__((weak));

static struct {
	void *(*allocate_tls_init)(void *tcb, bool init_tls);
	void (*ctype_init)(void);
	void (*call_tls_dtors)(void);
	size_t static_size, static_align;
	size_t reserve;	    /* roundup(static_size, static_align) */
	ptrdiff_t resp_off; /* libc's __resp, from the TCB */
	ptrdiff_t libc_lo;  /* libc's static TLS block, from the TCB */
	ptrdiff_t libc_hi;
	uintptr_t stack_guard, pointer_guard;
	unsigned int feature_1;
	long robust_futex_offset;
	struct glibc_list *stack_used;	/* GL(dl_stack_used): nptl's stacks */
	struct glibc_list *stack_user;	/* GL(dl_stack_user) */
	struct glibc_list *stack_cache; /* GL(dl_stack_cache) */
	size_t *stack_cache_actsize;	/* GL(dl_stack_cache_actsize) */
	int *stack_cache_lock;		/* GL(dl_stack_cache_lock) */
	struct glibc_pthread *template;
	size_t dtv_len; /* GL(dl_tls_max_dtv_idx), as last seen */
} glibc;

static void *sym(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

static void *private_sym(const char *name)
{
	return dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
}

/* _thread_db_* descriptors are {bits, count, offset} triples. */
static bool db_offset_is(const char *name, size_t offset)
{
	const uint32_t *d = sym(name);
	return d && d[2] == offset;
}

/* glibc's low-level lock (lll_lock): 0 free, 1 taken, 2 taken with waiters. */
static void lll_lock(int *f)
{
	int c = 0;
	if (__atomic_compare_exchange_n(f, &c, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	while (__atomic_exchange_n(f, 2, __ATOMIC_ACQUIRE) != 0)
		sys_futex_wait((uint32_t *)f, 2);
}

static void lll_unlock(int *f)
{
	if (__atomic_exchange_n(f, 0, __ATOMIC_RELEASE) == 2)
		sys_futex_wake((uint32_t *)f, 1);
}

static void list_add(struct glibc_list *head, struct glibc_pthread *pd)
{
	pd->list.next = head->next;
	pd->list.prev = head;
	head->next->prev = &pd->list;
	head->next = &pd->list;
}

static void list_del(struct glibc_pthread *pd)
{
	pd->list.next->prev = pd->list.prev;
	pd->list.prev->next = pd->list.next;
}

static void list_add_user(struct glibc_pthread *pd)
{
	lll_lock(glibc.stack_cache_lock);
	list_add(glibc.stack_user, pd);
	lll_unlock(glibc.stack_cache_lock);
}

static bool on_user_list(struct glibc_pthread *pd)
{
	struct glibc_list *l;
	bool found = false;

	lll_lock(glibc.stack_cache_lock);
	for (l = glibc.stack_user->next; l != glibc.stack_user; l = l->next)
		found |= l == &pd->list;
	lll_unlock(glibc.stack_cache_lock);
	return found;
}

static int find_libc_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	char *err = data, *block = info->dlpi_tls_data;
	int i;

	(void)size;
	if (!block)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_TLS && err >= block &&
		    err < block + ph->p_memsz) {
			glibc.libc_lo = block - (char *)tcb_current();
			glibc.libc_hi = glibc.libc_lo + (ptrdiff_t)ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

static int check_layout(const char **why)
{
	const uint32_t *size = sym("_thread_db_sizeof_pthread");
	const ptrdiff_t *rseq_offset = sym("__rseq_offset");

	if (!size || *size != sizeof(struct glibc_pthread)) {
		*why = "libc's struct pthread has an unknown size";
		return -1;
	}
	if (!db_offset_is("_thread_db_pthread_tid",
			  offsetof(struct glibc_pthread, tid)) ||
	    !db_offset_is("_thread_db_pthread_list",
			  offsetof(struct glibc_pthread, list)) ||
	    !db_offset_is("_thread_db_pthread_specific",
			  offsetof(struct glibc_pthread, specific)) ||
	    !db_offset_is("_thread_db_pthread_cancelhandling",
			  offsetof(struct glibc_pthread, cancelhandling)) ||
	    !db_offset_is("_thread_db_pthread_schedpolicy",
			  offsetof(struct glibc_pthread, schedpolicy)) ||
	    !db_offset_is("_thread_db_pthread_dtvp",
			  offsetof(struct glibc_pthread, header.dtv))) {
		*why = "libc's struct pthread has an unknown layout";
		return -1;
	}
	if (!rseq_offset ||
	    *rseq_offset !=
		    (ptrdiff_t)offsetof(struct glibc_pthread, rseq_area)) {
		*why = "libc's rseq area is not where expected";
		return -1;
	}
	return 0;
}

/*
 * The glibc releases whose thread descriptor and ld.so lists this file
 * mirrors (glibc_pthread.h). Any other is refused before anything of
 * libc's is touched: the layout checks below read libc's memory at
 * derived addresses, and the lock they take is found by its place.
 */
const char *const tcb_known_versions[] = { "2.36", NULL };

/* A list head whose neighbours point back at it. */
static bool list_sane(const struct glibc_list *head)
{
	return head->next && head->prev && head->next->prev == head &&
	       head->prev->next == head;
}

static int find_stack_lists(const char **why)
{
	char *rtld_global = private_sym("_rtld_global");
	const uint32_t *d = sym("_thread_db_rtld_global__dl_stack_user");
	const uint32_t *u = sym("_thread_db_rtld_global__dl_stack_used");
	char *after;
	int lock;

	if (!rtld_global || !d || !u) {
		*why = "ld.so's thread lists are not found";
		return -1;
	}
	/*
	 * ldsodefs.h: _dl_stack_used, _dl_stack_user, _dl_stack_cache,
	 * _dl_stack_cache_actsize, _dl_in_flight_stack, _dl_stack_cache_lock.
	 * The initial thread is on the user list: finding it there confirms
	 * both the list and the lock.
	 */
	glibc.stack_used = (struct glibc_list *)(rtld_global + u[2]);
	glibc.stack_user = (struct glibc_list *)(rtld_global + d[2]);
	glibc.stack_cache = glibc.stack_user + 1;
	after = (char *)(glibc.stack_cache + 1);
	glibc.stack_cache_actsize = (size_t *)after;
	glibc.stack_cache_lock = (int *)(after + 2 * sizeof(size_t));
	/* Lists that look like lists and a lock word that looks like one. */
	lock = __atomic_load_n(glibc.stack_cache_lock, __ATOMIC_RELAXED);
	if (!list_sane(glibc.stack_used) || !list_sane(glibc.stack_user) ||
	    !list_sane(glibc.stack_cache) || lock < 0 || lock > 2) {
		*why = "ld.so's thread lists have an unknown layout";
		return -1;
	}
	if (!on_user_list(tcb_current())) {
		*why = "ld.so's thread lists have an unknown layout";
		return -1;
	}
	return 0;
}

int tcb_setup(const char **why)
{
	void (*static_info)(size_t *, size_t *);
	struct glibc_pthread *self = tcb_current();
	void *resp, *mem;
	size_t len;

	if (!tcb_libc_known(tcb_libc_version())) {
		*why = "unknown glibc version";
		return -1;
	}
	glibc.allocate_tls_init = private_sym("_dl_allocate_tls_init");
	glibc.ctype_init = private_sym("__ctype_init");
	glibc.call_tls_dtors = private_sym("__call_tls_dtors");
	static_info = private_sym("_dl_get_tls_static_info");
	resp = sym("__resp");
	if (!glibc.allocate_tls_init || !glibc.ctype_init ||
	    !glibc.call_tls_dtors || !static_info || !resp) {
		*why = "a private libc symbol is missing";
		return -1;
	}
	if (check_layout(why) || find_stack_lists(why))
		return -1;
	static_info(&glibc.static_size, &glibc.static_align);
	if (glibc.static_align < 64)
		glibc.static_align = 64;
	glibc.reserve = (glibc.static_size + glibc.static_align - 1) &
			~(glibc.static_align - 1);
	glibc.resp_off = (char *)resp - (char *)self;
	glibc.stack_guard = self->header.stack_guard;
	glibc.pointer_guard = self->header.pointer_guard;
	glibc.feature_1 = self->header.feature_1;
	glibc.robust_futex_offset = self->robust_head.futex_offset;
	if (!dl_iterate_phdr(find_libc_tls, &errno)) {
		*why = "libc's TLS block is not found";
		return -1;
	}
	glibc.dtv_len = tlsmod_max();

	len = (glibc.reserve + glibc.static_align + 4095) & ~4095ul;
	mem = sys_mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS);
	if (sys_mmap_failed(mem)) {
		*why = "out of memory";
		return -1;
	}
	glibc.template =
		tcb_create((char *)mem + len, PID_MAX_LIMIT, NULL, 0, 0);
	if (!glibc.template) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

size_t tcb_reserve(void)
{
	return glibc.reserve + glibc.static_align - 64;
}

/*
 * tcbhead_t ends in 576 bytes glibc 2.36 neither reads nor writes
 * (__glibc_unused2 and __padding, kept for the header's size that
 * sanitizers know): a G's descriptor fits there, and so takes no room of
 * the page its first stack frames share with the TCB and TLS.
 */
size_t tcb_g_offset(size_t size)
{
	size_t spare = offsetof(struct glibc_tcbhead, rest);
	size_t tcb = (sizeof(struct glibc_pthread) + glibc.static_align - 1) &
		     ~(glibc.static_align - 1);

	if (size <= sizeof(struct glibc_tcbhead) - spare &&
	    glibc.static_align % 64 == 0)
		return tcb - spare;
	return (tcb_reserve() + size + 63) & ~(size_t)63;
}

void tcb_set_stack(void *tcb, void *stack_lo, size_t stack_size, size_t guard)
{
	struct glibc_pthread *pd = tcb;

	/* pthread_getattr_np() and __libc_alloca_cutoff() read these. */
	pd->stackblock = (char *)stack_lo - guard;
	pd->stackblock_size = stack_size + guard;
	pd->guardsize = guard;
	pd->reported_guardsize = guard;
}

static void init_fields(struct glibc_pthread *pd)
{
	struct glibc_pthread *self = tcb_current();

	pd->header.tcb = pd;
	pd->header.self = pd;
	pd->header.multiple_threads = 1;
	pd->header.stack_guard = glibc.stack_guard;
	pd->header.pointer_guard = glibc.pointer_guard;
	pd->header.feature_1 = glibc.feature_1;
	pd->robust_prev = &pd->robust_head;
	pd->robust_head.list.next = (struct robust_list *)&pd->robust_head;
	pd->robust_head.futex_offset = glibc.robust_futex_offset;
	pd->robust_head.list_op_pending = NULL;
	pd->specific[0] = pd->specific_1stblock;
	pd->user_stack = true;
	pd->schedpolicy = self->schedpolicy;
	pd->schedparam = self->schedparam;
	/* The kernel updates only the area its own thread registered. */
	pd->rseq_area.cpu_id = GLIBC_RSEQ_CPU_ID_FAILED;
	*(void **)((char *)pd + glibc.resp_off) = &pd->res;
}

/*
 * A DTV with room for the modules loaded now and no more. glibc's own
 * allocate_dtv() adds 14 spare entries (224 bytes a thread) so that a
 * thread seldom grows its DTV after a dlopen(); a G that meets a module
 * loaded after its DTV was made grows it the same way, by realloc() in
 * _dl_update_slotinfo(), so the DTV must come from malloc like glibc's.
 */
static union glibc_dtv *dtv_alloc(void)
{
	size_t n = __atomic_load_n(&glibc.dtv_len, __ATOMIC_RELAXED);
	union glibc_dtv *dtv = calloc(n + 2, sizeof(*dtv));

	if (!dtv)
		return NULL;
	/*
	 * Kept as long as its TCB, which is never freed and lives in memory a
	 * leak checker does not scan: LeakSanitizer (in the unit tests) is
	 * told so, as it knows of glibc's own DTVs by their allocator, ld.so.
	 */
	if (__lsan_ignore_object)
		__lsan_ignore_object(dtv);
	dtv[0].counter = n;
	return dtv + 1;
}

/* _dl_allocate_tls_init() grew the DTV: modules were loaded since. */
static void dtv_check(struct glibc_pthread *pd)
{
	union glibc_dtv *dtv = pd->header.dtv;

	if (dtv[-1].counter !=
	    __atomic_load_n(&glibc.dtv_len, __ATOMIC_RELAXED))
		__atomic_store_n(&glibc.dtv_len, tlsmod_max(),
				 __ATOMIC_RELAXED);
}

void *tcb_create(void *top, uint32_t tid, void *stack_lo, size_t stack_size,
		 size_t guard)
{
	struct glibc_pthread *pd;

	pd = (void *)(((uintptr_t)top - sizeof(*pd)) &
		      ~(glibc.static_align - 1));
	pd->header.dtv = dtv_alloc();
	if (!pd->header.dtv)
		return NULL;
	/* Copies every static module's TLS image; takes dl_load_tls_lock. */
	glibc.allocate_tls_init(pd, true);
	dtv_check(pd);
	init_fields(pd);
	tcb_set_id(pd, tid);
	tcb_set_stack(pd, stack_lo, stack_size, guard);
	list_add_user(pd);
	return pd;
}

/* Free dynamic TLS blocks; __tls_get_addr() allocates fresh ones. */
static void reset_dynamic_tls(struct glibc_pthread *pd)
{
	union glibc_dtv *dtv = pd->header.dtv;
	char *lo = (char *)pd + sizeof(*pd) - glibc.reserve;
	size_t i, n = dtv[-1].counter;

	for (i = 1; i <= n; i++) {
		char *val = dtv[i].pointer.val;
		if (val == GLIBC_TLS_DTV_UNALLOCATED ||
		    (val >= lo && val < (char *)pd))
			continue;
		free(dtv[i].pointer.to_free);
		dtv[i].pointer.val = GLIBC_TLS_DTV_UNALLOCATED;
		dtv[i].pointer.to_free = NULL;
	}
}

void tcb_recycle(void *tcb)
{
	struct glibc_pthread *pd = tcb, *t = glibc.template;
	ptrdiff_t lo = (ptrdiff_t)sizeof(*pd) - (ptrdiff_t)glibc.reserve;

	memcpy((char *)pd + lo, (char *)t + lo, (size_t)(glibc.libc_lo - lo));
	memcpy((char *)pd + glibc.libc_hi, (char *)t + glibc.libc_hi,
	       (size_t)-glibc.libc_hi);
	reset_dynamic_tls(pd);

	pd->cleanup = NULL;
	pd->cleanup_jmp_buf = NULL;
	pd->cancelhandling = 0;
	pd->flags = 0;
	pd->result = NULL;
	pd->joinid = NULL;
	pd->exiting = false;
	pd->c11 = false;
	init_fields(pd);
}

_Static_assert(
	offsetof(struct glibc_pthread, specific) ==
		offsetof(struct glibc_pthread, specific_1stblock) +
			sizeof(((struct glibc_pthread *)0)->specific_1stblock),
	"thread-specific data is one block");
_Static_assert(offsetof(struct glibc_pthread, specific_used) -
			       offsetof(struct glibc_pthread,
					specific_1stblock) ==
		       TCB_TSD_SIZE,
	       "TCB_TSD_SIZE");

void *tcb_tsd(void *tcb)
{
	return ((struct glibc_pthread *)tcb)->specific_1stblock;
}

void *tcb_tls_addr(void *tcb, void *var)
{
	return (char *)tcb + ((char *)var - (char *)tcb_current());
}

void *tcb_run(void *(*fn)(void *), void *arg)
{
	struct glibc_pthread *self = tcb_current();
	__pthread_unwind_buf_t buf;

	glibc.ctype_init();
	uselocale(LC_GLOBAL_LOCALE);
	memset(buf.__pad, 0, sizeof(buf.__pad));
	/* pthread_exit() and cancellation unwind to here (start_thread). */
	if (__sigsetjmp_cancel(buf.__cancel_jmp_buf, 0))
		return ((struct glibc_pthread *)tcb_current())->result;
	self->cleanup_jmp_buf = &buf;
	return fn(arg);
}

const char *tcb_libc_version(void)
{
	return gnu_get_libc_version();
}

void tcb_unwind(void *result, void (*libc_exit)(void *))
{
	libc_exit(result); /* unwinds to tcb_run() */
	__builtin_unreachable();
}

void tcb_exit(void)
{
	glibc.call_tls_dtors();
}

void tcb_adopt(void)
{
	struct glibc_pthread *self = tcb_current();
	extern const unsigned int __rseq_size;

	/*
	 * The kernel writes the CPU number into the rseq area its thread
	 * registered. A TCB that moves between Ms must not have one. The
	 * kernel unregisters only with the length registered: glibc 2.36
	 * registers its 32-byte area, whatever __rseq_size says; a failed
	 * unregistration left M0 writing its CPU into the initial thread's
	 * TCB, which sched_getcpu() read wherever that thread ran.
	 */
	const unsigned long lens[] = { 32, __rseq_size,
				       sizeof(self->rseq_area) };
	unsigned int i;

	for (i = 0; __rseq_size && i < sizeof(lens) / sizeof(lens[0]); i++)
		if (sys4(SYS_rseq, (long)&self->rseq_area, (long)lens[i],
			 1 /* RSEQ_FLAG_UNREGISTER */, GLIBC_RSEQ_SIG) == 0)
			break;
	self->rseq_area.cpu_id = GLIBC_RSEQ_CPU_ID_FAILED;
}

static void (*exit_landing)(void);

/* Entered by longjmp: align the stack as a call would. */
void tcb_exit_landed(void);
__asm__(".text\n"
	".type tcb_exit_landing_stub, @function\n"
	"tcb_exit_landing_stub:\n"
	"	and $-16, %rsp\n"
	"	call tcb_exit_landed\n"
	"	ud2\n"
	".size tcb_exit_landing_stub, .-tcb_exit_landing_stub\n");
void tcb_exit_landing_stub(void);

__attribute__((visibility("hidden"), used)) void tcb_exit_landed(void)
{
	exit_landing();
	__builtin_trap();
}

static uintptr_t ptr_mangle(uintptr_t p)
{
	p ^= glibc.pointer_guard;
	return (p << 17) | (p >> (64 - 17));
}

void *tcb_result(void)
{
	return ((struct glibc_pthread *)tcb_current())->result;
}

bool tcb_redirect_exit(void (*landing)(void))
{
	struct glibc_pthread *self = tcb_current();
	__pthread_unwind_buf_t *buf = self->cleanup_jmp_buf, *prev;

	if (!buf)
		return false;
	/* The oldest buffer is __libc_start_call_main()'s. */
	while ((prev = buf->__pad[0]) != NULL)
		buf = prev;
	exit_landing = landing;
	buf->__cancel_jmp_buf[0].__cancel_jmp_buf[GLIBC_JB_PC] =
		(long)ptr_mangle((uintptr_t)tcb_exit_landing_stub);
	return true;
}

/*
 * In the child of fork(), glibc's reclaim_stacks() kept only the forking
 * thread's descriptor (THREAD_SELF: the forking G's) on its lists: the
 * other Gs' TCBs were dropped, and the forking M's own descriptor, whose
 * stack its g0 runs on, went to the cache of free stacks, from which the
 * next pthread_create() would take it. Undo both.
 *
 * In the child of _Fork() or of a fork through syscall(), glibc reset
 * nothing: the lists are the parent's, every TCB still on them (as for a
 * native _Fork() child), and only their lock, which a thread that does
 * not exist here may have held, needs freeing.
 */
void tcb_afterfork_child(void *m_tcb, void (*each_tcb)(void (*)(void *)),
			 bool libc_reclaimed)
{
	struct glibc_pthread *pd = m_tcb;
	struct glibc_list *l;
	bool cached = false;

	if (!libc_reclaimed) {
		*glibc.stack_cache_lock = 0;
		return;
	}

	for (l = glibc.stack_cache->next; pd && l != glibc.stack_cache;
	     l = l->next)
		cached |= l == &pd->list;
	if (cached) {
		list_del(pd);
		*glibc.stack_cache_actsize -= pd->stackblock_size;
		pd->tid = (int32_t)sys_gettid();
		list_add(glibc.stack_used, pd);
	}
	list_add(glibc.stack_user, glibc.template);
	each_tcb(tcb_relist);
}

/* Put tcb back on ld.so's user-stack list if it is not there. */
void tcb_relist(void *tcb)
{
	struct glibc_pthread *pd = tcb, *self = tcb_current();

	if (pd != self)
		list_add(glibc.stack_user, pd);
}

void tcb_set_id(void *tcb, uint32_t id)
{
	/* Above PID_MAX_LIMIT, within FUTEX_TID_MASK: never a kernel tid. */
	((struct glibc_pthread *)tcb)->tid =
		(int32_t)(PID_MAX_LIMIT + id % (0x3fffffff - PID_MAX_LIMIT));
}

void tcb_set_kernel_tid(void *tcb, pid_t tid)
{
	((struct glibc_pthread *)tcb)->tid = tid;
}

pid_t *tcb_kernel_tid_word(void *tcb)
{
	return &((struct glibc_pthread *)tcb)->tid;
}

/*
 * The setxid broadcast (setuid() and the like: every kernel thread must
 * make the call) marks each descriptor on ld.so's lists but the caller's,
 * sends SIGSETXID to the tid each names, and goes round again until no
 * mark is left. glibc's handler clears the mark of THREAD_SELF: on an M,
 * the descriptor of whichever G runs there, not the one that named the
 * M's kernel thread, whose mark would stay set for ever (CPython's
 * subprocess spun in setgroups() in a forked child). So the shim's handler
 * first clears the marks of every descriptor naming this kernel thread:
 * the M's own, the initial thread's on M0, the forking G's in a child of
 * fork(). A mark cleared before its signal was sent means none is sent;
 * each signal that was sent still runs glibc's handler once, which makes
 * the call on this kernel thread and counts it. The broadcast holds
 * dl_stack_cache_lock meanwhile, so the lists stand still.
 */
#define GLIBC_SETXID_BITMASK 0x40 /* nptl/descr.h: SETXID_BIT 6 */
#define GLIBC_SIGSETXID	     33	  /* nptl/pthreadP.h: SIGRTMIN + 1 */

static void (*glibc_setxid_handler)(int, siginfo_t *, void *);

static void clear_setxid_marks(struct glibc_list *head, pid_t tid)
{
	struct glibc_list *l;

	for (l = head->next; l != head; l = l->next) {
		struct glibc_pthread *pd =
			(void *)((char *)l -
				 offsetof(struct glibc_pthread, list));

		if (pd->tid != tid ||
		    !(__atomic_load_n(&pd->cancelhandling, __ATOMIC_ACQUIRE) &
		      GLIBC_SETXID_BITMASK))
			continue;
		__atomic_fetch_and(&pd->cancelhandling, ~GLIBC_SETXID_BITMASK,
				   __ATOMIC_ACQ_REL);
		/* As glibc's handler: the thread may now exit. */
		__atomic_store_n(&pd->setxid_futex, 1, __ATOMIC_RELEASE);
		sys_futex_wake(&pd->setxid_futex, 1);
	}
}

static void setxid_handler(int sig, siginfo_t *si, void *uc)
{
	pid_t tid = (pid_t)sys_gettid();

	clear_setxid_marks(glibc.stack_used, tid);
	clear_setxid_marks(glibc.stack_user, tid);
	glibc_setxid_handler(sig, si, uc);
}

int tcb_hook_setxid(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} act;
	long r;

	r = sys4(SYS_rt_sigaction, GLIBC_SIGSETXID, 0, (long)&act, 8);
	if (r < 0)
		return (int)-r;
	if (act.handler == (void *)setxid_handler)
		return 0;
	if (act.handler == (void *)SIG_DFL || act.handler == (void *)SIG_IGN)
		return EINVAL; /* glibc installs it at the first pthread_create */
	glibc_setxid_handler = act.handler;
	act.handler = (void *)setxid_handler;
	r = sys4(SYS_rt_sigaction, GLIBC_SIGSETXID, (long)&act, 0, 8);
	return r < 0 ? (int)-r : 0;
}

enum tcb_cancel tcb_cancel(void *tcb)
{
	return cw_cancel(&((struct glibc_pthread *)tcb)->cancelhandling);
}

enum tcb_cancel tcb_cancel_pending(void)
{
	return cw_pending(
		&((struct glibc_pthread *)tcb_current())->cancelhandling);
}

bool tcb_async_begin(int *old)
{
	return cw_async_begin(
		&((struct glibc_pthread *)tcb_current())->cancelhandling, old);
}

void tcb_async_end(int old)
{
	cw_async_end(&((struct glibc_pthread *)tcb_current())->cancelhandling,
		     old);
}

void tcb_exiting(void *tcb)
{
	cw_exiting(&((struct glibc_pthread *)tcb)->cancelhandling);
}

bool tcb_cancelled_or_exiting(void *tcb)
{
	return cw_cancelled_or_exiting(
		&((struct glibc_pthread *)tcb)->cancelhandling);
}

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* the kernel's; glibc sets it */
#endif

int tcb_hook_cancel(void (*handler)(int, siginfo_t *, void *))
{
	struct kernel_sigaction act;
	long r;

	r = sys4(SYS_rt_sigaction, GLIBC_SIGSETXID, 0, (long)&act, 8);
	if (r < 0)
		return (int)-r;
	if (act.handler == SIG_DFL || act.handler == SIG_IGN ||
	    !(act.flags & SA_RESTORER))
		return EINVAL; /* glibc installs it at the first pthread_create */
	act.handler = (void (*)(int))(void (*)(void))handler;
	act.flags = SA_SIGINFO | SA_RESTART | SA_RESTORER;
	act.mask = 0;
	r = sys4(SYS_rt_sigaction, 32 /* SIGCANCEL */, (long)&act, 0, 8);
	return r < 0 ? (int)-r : 0;
}

pid_t tcb_tid(void *tcb)
{
	return ((struct glibc_pthread *)tcb)->tid;
}

void *tcb_stack(void *tcb, size_t *size, size_t *guard)
{
	struct glibc_pthread *pd = tcb;

	*size = pd->stackblock_size - pd->guardsize;
	*guard = pd->guardsize;
	return pd->stackblock ? (char *)pd->stackblock + pd->guardsize : NULL;
}
