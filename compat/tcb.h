/* SPDX-License-Identifier: MIT */
/*
 * Thread control blocks: the one door to libc's idea of a thread.
 *
 * Every G runs with its own libc TCB and static TLS block, so errno,
 * __thread variables, the malloc tcache, the stack-protector canary and the
 * stdio lock owner all belong to the G. The FS base points at the TCB and is
 * changed only by the context switch (sched/arch). Nothing outside compat/
 * knows what a TCB contains.
 *
 * TCBs are never freed: libc's per-thread cleanup (tcache, resolver state)
 * is not exported, so a dead G's TCB is recycled for the next G instead.
 */
#ifndef SPROUT_COMPAT_TCB_H
#define SPROUT_COMPAT_TCB_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Resolve libc's private entry points and check its thread descriptor
 * against ours. Returns 0, or -1 with *why set to a one-line reason; then
 * the runtime must not start.
 */
int tcb_setup(const char **why);

/*
 * Whether libc release version (tcb_libc_version()) is one whose thread
 * descriptor and lists compat/ knows (tcb_known_versions, NULL-ended, of
 * each libc's file); nothing else is.
 */
bool tcb_libc_known(const char *version);
extern const char *const tcb_known_versions[];

#ifdef __GLIBC__
#define LIBC_NAME "glibc"
#else
#define LIBC_NAME "musl"
#endif

/* The release of the libc in use ("2.36", "1.2.3"), or NULL. */
const char *tcb_libc_version(void);

/* Bytes a TCB and its static TLS take at the top of a G's memory. */
size_t tcb_reserve(void);

/*
 * Where a G's descriptor of size bytes goes, as an offset down from the top
 * of its memory (64-byte aligned): in bytes of the TCB that libc keeps but
 * never uses, if they hold it; else below the static TLS.
 */
size_t tcb_g_offset(size_t size);

/*
 * Build a TCB in the tcb_reserve() bytes below top (64-byte aligned) for a
 * thread whose stack is [stack_lo, stack_lo + stack_size) with a guard of
 * guard bytes below it. tid is the G's fake kernel thread id: unique, stable,
 * above PID_MAX_LIMIT. Returns the FS base, or NULL when memory ran out.
 */
void *tcb_create(void *top, uint32_t tid, void *stack_lo, size_t stack_size,
		 size_t guard);

/* Record a new stack for tcb (a caller-supplied one, for instance). */
void tcb_set_stack(void *tcb, void *stack_lo, size_t stack_size, size_t guard);

/* Make a dead thread's TCB look new to the next thread that gets it. */
void tcb_recycle(void *tcb);

/*
 * The TCB_TSD_SIZE bytes in tcb that glibc keeps a thread's thread-specific
 * data in (struct tsd, sched/types.h): zero in a new TCB, and left alone
 * by glibc in a TCB it did not make, whose keys the shim answers.
 */
#define TCB_TSD_SIZE (32 * 16 + 32 * 8)
void *tcb_tsd(void *tcb);

/* The address in tcb's TLS of the calling thread's TLS variable var. */
void *tcb_tls_addr(void *tcb, void *var);

/* The FS base of the calling thread. */
static inline void *tcb_current(void)
{
	void *tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/*
 * Run fn(arg) as the body of a new thread on the current TCB, as libc's
 * start_thread() would: per-thread ctype tables, the global locale, and the
 * landing buffer of pthread_exit() and cancellation. Returns fn's result or
 * the value given to pthread_exit().
 */
void *tcb_run(void *(*fn)(void *), void *arg);

/*
 * End the calling thread with result, as pthread_exit(): run its cleanup
 * handlers and land in tcb_run() (or the initial thread's landing,
 * tcb_redirect_exit()). glibc unwinds through libc_exit, its own
 * pthread_exit(); on musl, libc_exit ends only a thread musl made.
 */
_Noreturn void tcb_unwind(void *result, void (*libc_exit)(void *));

/*
 * A frame of the shim's that must undo something if cancellation ends the
 * thread inside it has a cleanup attribute, which glibc's unwinding runs.
 * musl does not unwind: there the same function is also put on the
 * thread's list of cleanup records (as pthread_cleanup_push() does), which
 * tcb_unwind() runs, and taken off when the frame is left otherwise. The
 * layout is musl's struct __ptcb.
 */
struct tcb_cleanup {
	void (*fn)(void *);
	void *arg;
	struct tcb_cleanup *next;
};

#ifdef __GLIBC__
static inline void tcb_cleanup_push(struct tcb_cleanup *c, void (*fn)(void *),
				    void *arg)
{
	(void)c;
	(void)fn;
	(void)arg;
}

static inline void tcb_cleanup_pop(struct tcb_cleanup *c)
{
	(void)c;
}
#else
void tcb_cleanup_push(struct tcb_cleanup *c, void (*fn)(void *), void *arg);
void tcb_cleanup_pop(struct tcb_cleanup *c);
#endif

/*
 * Declare T var = init, and fn(&var) to run as the frame is left, by
 * return or by cancellation, on either libc.
 */
#define TCB_UNWOUND(T, var, init, fn)                                         \
	T var __attribute__((cleanup(fn))) = init;                            \
	struct tcb_cleanup var##_rec_                                         \
		__attribute__((cleanup(tcb_cleanup_pop)));                    \
	tcb_cleanup_push(&var##_rec_, (void (*)(void *))(void (*)(void))(fn), \
			 (void *)&var)

/* Run the C++ thread_local destructors of the calling thread. */
void tcb_exit(void);

/* Make the calling kernel thread's own TCB able to move between Ms. */
void tcb_adopt(void);

/*
 * pthread_exit() or cancellation of the initial thread unwinds to libc's
 * start code, which would then end the kernel thread. Redirect that last
 * landing to landing(), which runs on the initial thread's stack and never
 * returns. Called on the initial thread; false if libc's start code has
 * not set its landing yet (main() has not begun).
 */
bool tcb_redirect_exit(void (*landing)(void));

/* The value the calling thread ends with (pthread_exit(), cancellation). */
void *tcb_result(void);

/* libc's pthread_t for a TCB, for libc calls about a thread of its own. */
static inline pthread_t tcb_pthread(void *tcb)
{
	return (pthread_t)tcb;
}

/*
 * In the child of fork(): keep m_tcb (the forking M's own descriptor, or
 * NULL) as a live thread, and put back on ld.so's lists every TCB that
 * each_tcb(fn) names (it calls fn(tcb) for each). Without libc_reclaimed
 * (_Fork(), a fork through syscall()) glibc left its lists as they were:
 * only their lock is freed.
 */
void tcb_afterfork_child(void *m_tcb, void (*each_tcb)(void (*fn)(void *)),
			 bool libc_reclaimed);
void tcb_relist(void *tcb);

/* Give a (recycled) TCB the fake thread id of G number id. */
void tcb_set_id(void *tcb, uint32_t id);

/* The thread id a TCB records: the G's fake one, or the kernel's. */
pid_t tcb_tid(void *tcb);

/* Make a TCB name kernel thread tid (an M's g0 on M0, after fork()). */
void tcb_set_kernel_tid(void *tcb, pid_t tid);

/* Where a TCB keeps its kernel thread's id: clone(2)'s set and clear. */
pid_t *tcb_kernel_tid_word(void *tcb);

/*
 * Put the shim's SIGSETXID handler in front of glibc's, which glibc
 * installs at the first pthread_create(): it makes the setxid broadcast
 * (setuid() and the like) end when Gs run on the Ms. 0 or an error number.
 */
int tcb_hook_setxid(void);

/*
 * Cancellation lives in glibc's own word of the thread's descriptor
 * (cancelhandling), so that glibc's pthread_setcancelstate(),
 * pthread_setcanceltype(), pthread_testcancel() and cancellable calls act
 * on it as on a thread of glibc's.
 */
enum tcb_cancel {
	TCB_CANCEL_NONE,     /* nothing to do now */
	TCB_CANCEL_DEFERRED, /* cancelled: at the next cancellation point */
	TCB_CANCEL_ASYNC,    /* cancelled, asynchronous type: at once */
};

/*
 * Mark tcb's thread cancelled (pthread_cancel()). Returns what the thread
 * must now do: NONE if it was marked already, has cancellation disabled
 * (it acts when it enables it) or is exiting.
 */
enum tcb_cancel tcb_cancel(void *tcb);

/* What a cancellation of the calling thread asks of it now. */
enum tcb_cancel tcb_cancel_pending(void);

/*
 * For the length of a blocking call that is a cancellation point, as
 * glibc's __pthread_enable_asynccancel() and disable: the calling thread
 * is asynchronously cancellable, so that pthread_cancel() interrupts the
 * call. tcb_async_begin() returns true if a cancellation is due at once;
 * *old is for tcb_async_end().
 */
bool tcb_async_begin(int *old);
void tcb_async_end(int old);

#ifndef __GLIBC__
/*
 * After dlopen() (musl): give every TCB that each_tcb(fn) names, and the
 * initial thread's, a block of each module with TLS loaded since.
 */
void tcb_after_dlopen(void (*each_tcb)(void (*fn)(void *)));

/* The return from a signal handler installed by hand (SA_RESTORER). */
void tcb_restorer(void);

/*
 * pthread_setcancelstate() and pthread_setcanceltype() of the calling
 * thread, on the shim's word (glibc's own functions act on glibc's): the
 * old state or type.
 */
int tcb_set_cancelstate(bool disable);
int tcb_set_canceltype(bool async);
#endif

/* The thread is ending: cancellation no longer acts (glibc's EXITING). */
void tcb_exiting(void *tcb);

/*
 * Whether tcb's thread is cancelled or ending, for pthread_join()'s
 * deadlock check (two threads joining each other).
 */
bool tcb_cancelled_or_exiting(void *tcb);

/*
 * Install handler for glibc's SIGCANCEL, which glibc's sigaction()
 * refuses, with glibc's restorer (from its SIGSETXID action), through
 * which the unwinder steps out of a handler. SA_RESTART, as glibc's own.
 * 0 or an error number.
 */
int tcb_hook_cancel(void (*handler)(int, siginfo_t *, void *));

/* The stack a TCB records (initial thread: NULL, libc finds it itself). */
void *tcb_stack(void *tcb, size_t *size, size_t *guard);

#endif
