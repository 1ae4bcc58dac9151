/* SPDX-License-Identifier: MIT */
/*
 * Context switch between Gs and g0s (x86_64, System V ABI).
 *
 *	void ctx_switch(void **save_sp, void *sp, void *fs);
 *
 * Saves what the ABI says a callee must preserve (rbx, rbp, r12-r15, the
 * MXCSR control bits and the x87 control word) on the current stack, stores
 * the stack pointer in *save_sp, switches to sp, sets the FS base to fs and
 * restores the same set from the new stack. Everything else is dead at a call.
 *
 * The FS base changes here and nowhere else: compilers keep TLS addresses
 * across calls within a function, so a frame must see one TCB all its life.
 * wrfsbase when the CPU and kernel allow it (AT_HWCAP2 bit 1), otherwise
 * arch_prctl(ARCH_SET_FS), a system call costing ~90 ns more.
 *
 * Frame layout, from the saved stack pointer up:
 *	0: mxcsr (4 bytes), x87 cw (2 bytes)
 *	8: r15, r14, r13, r12, rbx, rbp
 *	56: return address
 */
	.text

	.globl	ctx_switch
	.hidden	ctx_switch
	.type	ctx_switch, @function
ctx_switch:
	.cfi_startproc
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	mov	%rsp, (%rdi)

	mov	%rsi, %rsp
	cmpb	$0, use_wrfsbase(%rip)
	je	1f
	wrfsbase %rdx
2:
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
1:
	/* arch_prctl(ARCH_SET_FS, fs); clobbers rax, rcx, r11: all dead. */
	mov	$0x1002, %edi
	mov	%rdx, %rsi
	mov	$158, %eax
	syscall
	jmp	2b
	.cfi_endproc
	.size	ctx_switch, .-ctx_switch

/*
 * A new context's first switch returns here (see ctx_init): rbx holds the
 * argument and r12 the function, which never returns. The CFI marks the
 * return address undefined: unwinders, backtraces, C++ exceptions and
 * pthread_exit's forced unwinding all stop here.
 */
	.globl	ctx_trampoline
	.hidden	ctx_trampoline
	.type	ctx_trampoline, @function
ctx_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	mov	%rbx, %rdi
	call	*%r12
	ud2
	.cfi_endproc
	.size	ctx_trampoline, .-ctx_trampoline

/*
 *	long thread_clone(unsigned long flags, void *stack, pid_t *ptid,
 *			  pid_t *ctid, void *tls, void *(*fn)(void *), void *arg);
 *
 * clone(2) of a kernel thread that runs fn(arg) on stack (its top) and
 * ends with exit(2) if fn returns: libc's clone() without libc. Returns
 * the new thread's id, or -errno. The function and its argument wait on
 * the new stack, the one place the child finds after the call.
 */
	.globl	thread_clone
	.hidden	thread_clone
	.type	thread_clone, @function
thread_clone:
	.cfi_startproc
	and	$-16, %rsi
	sub	$16, %rsi
	mov	%r9, (%rsi)
	mov	8(%rsp), %rax
	mov	%rax, 8(%rsi)
	mov	%rcx, %r10
	mov	$56, %eax	/* SYS_clone */
	syscall
	test	%rax, %rax
	jz	1f
	ret
1:
	.cfi_undefined rip
	xor	%ebp, %ebp
	pop	%rax
	pop	%rdi
	call	*%rax
	xor	%edi, %edi
	mov	$60, %eax	/* SYS_exit */
	syscall
	ud2
	.cfi_endproc
	.size	thread_clone, .-thread_clone

	.section .note.GNU-stack, "", @progbits
