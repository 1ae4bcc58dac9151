// SPDX-License-Identifier: MIT
/*
 * The initial frame of a context, the choice of FS-base write, and a look
 * at an interrupted one.
 */
#include <stdint.h>
#include <ucontext.h>

#include "../../runtime.h"

/* Read by switch.S: wrfsbase if non-zero, else arch_prctl. */
hidden bool use_wrfsbase;

void ctx_trampoline(void) hidden;

void ctx_use_wrfsbase(bool yes)
{
	use_wrfsbase = yes;
}

/*
 * Build a frame below stack_top that ctx_switch() resumes as a call of
 * fn(arg) through ctx_trampoline, with the stack aligned as the ABI wants at
 * a call. Returns the stack pointer to resume.
 */
void *ctx_init(void *stack_top, void (*fn)(void *), void *arg)
{
	uintptr_t top = (uintptr_t)stack_top & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)(top - 80);

	sp[0] = 0x1f80 | (uint64_t)0x37f << 32; /* default MXCSR, x87 cw */
	sp[1] = 0;				/* r15 */
	sp[2] = 0;				/* r14 */
	sp[3] = 0;				/* r13 */
	sp[4] = (uint64_t)(uintptr_t)fn;	/* r12 */
	sp[5] = (uint64_t)(uintptr_t)arg;	/* rbx */
	sp[6] = 0;				/* rbp */
	sp[7] = (uint64_t)(uintptr_t)ctx_trampoline;
	sp[8] = 0; /* after ret, rsp = top - 16: 16-byte aligned */
	sp[9] = 0;
	return sp;
}

/*
 * Did the interrupted code of uc just send sig to its own thread? The
 * kernel delivers such a signal as the tgkill() returns: uc resumes right
 * after a syscall instruction (0f 05) that returned 0, with the call's
 * arguments still in rdi, rsi and rdx (the kernel keeps them). glibc's
 * raise(), and so abort(), makes exactly that call.
 */
bool ctx_sent_self(const void *uc, int sig, long pid, long tid)
{
	const greg_t *r = ((const ucontext_t *)uc)->uc_mcontext.gregs;
	const uint8_t *ip = (const uint8_t *)r[REG_RIP];

	return r[REG_RAX] == 0 && r[REG_RDI] == pid && r[REG_RSI] == tid &&
	       r[REG_RDX] == sig && ip[-2] == 0x0f && ip[-1] == 0x05;
}
