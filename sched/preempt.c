// SPDX-License-Identifier: MIT
/*
 * Asynchronous preemption (Go 1.14's preemptM and asyncPreempt, proc.go and
 * preempt.go, for C). A G that runs the program's code for a slice (2 ms,
 * sysmon.c) while other work waits is asked to yield at its next safe
 * point (pp->preempt, preempt_check()); one that never comes to one, a
 * loop that calls no function of the shim's, would keep its P for ever.
 * So when half a slice more has passed, sysmon kicks its M
 * (sig_preempt(): a SIGCANCEL that
 * pthread_cancel() never sends, as the other kicks are), and the handler,
 * on the G's own stack, yields the P from there. The kernel has saved the
 * G's whole context in the signal frame (general, vector and x87/AVX
 * state); the G goes to the back of the global queue, as Go's does
 * (gopreempt(), also at a safe point), so that Gs that run long take
 * turns on every P; when some M runs it again it returns from the
 * handler, and sigreturn puts the context back, on that M, exactly where
 * it was.
 *
 * Not anywhere: where the G may not stop, the request stays for its next
 * safe point, or for a later kick. Not inside the runtime (depth above 0,
 * or a blocking section, whose P is not its own), not on a locked or wired
 * G (the kernel schedules those), not when the request is stale (the P has
 * run another G since), not in a system call the kick interrupted (sysmon
 * hands on the P of an M asleep in the kernel), and not while the
 * interrupted instruction is in the shim's or the runtime's own code, in
 * the dynamic linker or in libc. Not in libc because a G stopped there may
 * hold one of libc's own locks (malloc's arena list, a FILE's) that the
 * process needs before it runs that G again: a hang was seen with the one
 * M blocked on the arena-list lock, the G holding it queued, and the P
 * idle. A loop through libc (stdio) is stopped when a kick lands in its
 * caller's code. The signal is glibc's SIGCANCEL, which a program can
 * neither catch nor block: one that blocks every signal is preemptible,
 * and sees nothing of it.
 */
#include <link.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "runtime.h"
#include "../arch/x86_64/sys.h"

/* Code a G is never stopped in: this library's text, ld.so's, libc's. */
static struct text_range {
	uintptr_t lo, hi;
} no_stop[8];
static int n_no_stop;

struct find_text {
	uintptr_t inside; /* an address in the object, or 0 */
	uintptr_t base;	  /* or its load address */
};

static int add_text(struct dl_phdr_info *info, size_t size, void *data)
{
	const struct find_text *f = data;
	bool mine = info->dlpi_addr == f->base && f->base;
	int i;

	(void)size;
	for (i = 0; !mine && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		mine = ph->p_type == PT_LOAD && f->inside >= lo &&
		       f->inside < lo + ph->p_memsz;
	}
	if (!mine)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
		    n_no_stop == (int)(sizeof(no_stop) / sizeof(no_stop[0])))
			continue;
		no_stop[n_no_stop].lo = lo;
		no_stop[n_no_stop].hi = lo + ph->p_memsz;
		n_no_stop++;
	}
	return 1;
}

/* At start-up, before sysmon may ask for a preemption. */
void preempt_init(void)
{
	struct find_text self = { .inside = (uintptr_t)&preempt_init };
	struct find_text libc = { .inside = (uintptr_t)&dl_iterate_phdr };
	struct find_text ldso = { .base = getauxval(AT_BASE) };

	dl_iterate_phdr(add_text, &self);
	dl_iterate_phdr(add_text, &libc);
	if (ldso.base)
		dl_iterate_phdr(add_text, &ldso);
}

/*
 * May a G stop at pc? Not in the code above, nor in a system call the
 * kernel will restart there (it set pc back onto the syscall instruction):
 * the G waits in the kernel, and sysmon hands its P on if it stays there.
 */
static bool stoppable_at(uintptr_t pc)
{
	const unsigned char *insn = (const unsigned char *)pc;
	int i;

	for (i = 0; i < n_no_stop; i++)
		if (pc >= no_stop[i].lo && pc < no_stop[i].hi)
			return false;
	return !(insn[0] == 0x0f && insn[1] == 0x05);
}

/*
 * In the kick's handler, on the G it interrupted (uc): yield the P if the
 * G may stop here and the request stands. Async-signal-safe.
 */
void preempt_async(void *uc)
{
	ucontext_t *ctx = uc;
	struct g *gp = getg();
	struct m *mp;
	struct p *pp;

	if (!gp || (gp->flags & G_KERNEL_WAITS) || g_inside(gp) || gp->sysdepth)
		return;
	mp = gp->m;
	pp = mp ? mp->p : NULL;
	if (!pp || !atomic_load_explicit(&pp->preempt, memory_order_relaxed) ||
	    atomic_load_explicit(&pp->state, memory_order_relaxed) !=
		    (mp->pgen | P_USER) ||
	    !stoppable_at((uintptr_t)ctx->uc_mcontext.gregs[REG_RIP]))
		return;
	/*
	 * The kernel thread blocks SIGCANCEL while this handler runs: the
	 * next G here gets its own mask (execute()), and this one, wherever
	 * it runs again, its own too, then uc's at sigreturn.
	 */
	m_sigmask_unknown(mp);
	atomic_fetch_add_explicit(&sched.preempts, 1, memory_order_relaxed);
	gopreempt();
	/*
	 * sigreturn gives the kernel thread the alternate stack saved in uc:
	 * the one of the M the G left. It keeps this M's.
	 */
	sys2(SYS_sigaltstack, 0, (long)&ctx->uc_stack);
}
