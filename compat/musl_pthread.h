/* SPDX-License-Identifier: MIT */
/*
 * Mirror of musl 1.2.3's x86_64 thread descriptor (src/internal/
 * pthread_impl.h). The thread pointer (%fs:0) points at it, and the static
 * TLS blocks lie below it (TLS variant II). musl exports nothing that
 * describes it: tcb_setup() checks the fields sprout relies on against
 * what libc's own functions return on the initial thread.
 */
#ifndef SPROUT_COMPAT_MUSL_PTHREAD_H
#define SPROUT_COMPAT_MUSL_PTHREAD_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

struct musl_ptcb { /* struct __ptcb: a pthread_cleanup_push() record */
	void (*f)(void *);
	void *x;
	struct musl_ptcb *next;
};

struct musl_pthread {
	struct musl_pthread *self;	  /* 0x00: %fs:0 */
	uintptr_t *dtv;			  /* 0x08: dtv[0] = count */
	struct musl_pthread *prev, *next; /* 0x10: the thread list */
	uintptr_t sysinfo;		  /* 0x20 */
	uintptr_t canary;		  /* 0x28: -fstack-protector */
	int tid;			  /* 0x30: stdio and list lock owner */
	int errno_val;			  /* 0x34: __errno_location() */
	volatile int detach_state;	  /* 0x38 */
	volatile int cancel;		  /* 0x3c: musl's: stays 0 */
	volatile unsigned char canceldisable, cancelasync;
	unsigned char tsd_used : 1;
	unsigned char dlerror_flag : 1;
	unsigned char *map_base; /* 0x48 */
	size_t map_size;
	void *stack; /* its top */
	size_t stack_size;
	size_t guard_size;
	void *result;
	struct musl_ptcb *cancelbuf; /* 0x78 */
	void **tsd;		     /* 0x80 */
	struct {
		volatile void *volatile head;
		long off;
		volatile void *volatile pending;
	} robust_list;	 /* 0x88 */
	int h_errno_val; /* 0xa0: __h_errno_location() */
	volatile int timer_id;
	locale_t locale; /* 0xa8: uselocale(0) */
	volatile int killlock[1];
	char *dlerror_buf;
	void *stdio_locks;
};

_Static_assert(offsetof(struct musl_pthread, canary) == 0x28, "canary");
_Static_assert(offsetof(struct musl_pthread, tid) == 0x30, "tid");
_Static_assert(offsetof(struct musl_pthread, cancelbuf) == 0x78, "cancelbuf");
_Static_assert(offsetof(struct musl_pthread, h_errno_val) == 0xa0,
	       "h_errno_val");
_Static_assert(offsetof(struct musl_pthread, locale) == 0xa8, "locale");

#define MUSL_DT_JOINABLE 2 /* detach_state */

#endif
