/* SPDX-License-Identifier: MIT */
/*
 * Mirror of glibc 2.36's x86_64 thread descriptor (nptl/descr.h and
 * sysdeps/x86_64/nptl/tls.h). Only the fields sprout reads or writes are
 * named. The offsets are fixed here by _Static_assert and checked at start-up
 * against the _thread_db_* descriptors libc exports for debuggers; on any
 * difference the runtime does not start.
 */
#ifndef SPROUT_COMPAT_GLIBC_PTHREAD_H
#define SPROUT_COMPAT_GLIBC_PTHREAD_H

#include <linux/futex.h>
#include <resolv.h>
#undef p_type /* resolv.h's, which breaks <link.h> */
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct glibc_list {
	struct glibc_list *next, *prev;
};

/* tcbhead_t: what %fs:N reaches. */
struct glibc_tcbhead {
	void *tcb;		  /* 0x00: %fs:0, base of TLS addresses */
	void *dtv;		  /* 0x08: union glibc_dtv[], entry 1 */
	void *self;		  /* 0x10: THREAD_SELF, stdio lock owner */
	int multiple_threads;	  /* 0x18: x86 catomic_* lock prefix */
	int gscope_flag;	  /* 0x1c: ld.so global scope in use */
	uintptr_t sysinfo;	  /* 0x20 */
	uintptr_t stack_guard;	  /* 0x28: -fstack-protector canary */
	uintptr_t pointer_guard;  /* 0x30: PTR_MANGLE key */
	unsigned long vgetcpu[2]; /* 0x38 */
	unsigned int feature_1;	  /* 0x48: CET */
	int unused1;		  /* 0x4c */
	void *private_tm[4];	  /* 0x50 */
	void *private_ss;	  /* 0x70: -fsplit-stack limit */
	unsigned long long ssp;	  /* 0x78 */
	char rest[0x2c0 - 0x80];  /* 0x80: unused (tcb_g_offset()) */
};

struct glibc_key_data {
	uintptr_t seq;
	void *data;
};

struct glibc_pthread {
	struct glibc_tcbhead header;		     /* 0x000 */
	struct glibc_list list;			     /* 0x2c0 */
	int32_t tid;				     /* 0x2d0 */
	void *robust_prev;			     /* 0x2d8 */
	struct robust_list_head robust_head;	     /* 0x2e0 */
	void *cleanup;				     /* 0x2f8 */
	void *cleanup_jmp_buf;			     /* 0x300 */
	int cancelhandling;			     /* 0x308 */
	int flags;				     /* 0x30c */
	struct glibc_key_data specific_1stblock[32]; /* 0x310 */
	struct glibc_key_data *specific[32];	     /* 0x510 */
	bool specific_used;			     /* 0x610 */
	bool report_events;
	bool user_stack;
	bool stopped_start;
	int setup_failed;
	int lock; /* 0x618 */
	unsigned int setxid_futex;
	void *joinid;				     /* 0x620 */
	void *result;				     /* 0x628 */
	struct sched_param schedparam;		     /* 0x630 */
	int schedpolicy;			     /* 0x634 */
	void *start_routine;			     /* 0x638 */
	void *arg;				     /* 0x640 */
	char eventbuf[0x18];			     /* 0x648 */
	void *nextevent;			     /* 0x660 */
	char exc[0x20] __attribute__((aligned(16))); /* 0x670 */
	void *stackblock;			     /* 0x690 */
	size_t stackblock_size;			     /* 0x698 */
	size_t guardsize;			     /* 0x6a0 */
	size_t reported_guardsize;		     /* 0x6a8 */
	void *tpp;				     /* 0x6b0 */
	struct __res_state res;			     /* 0x6b8 */
	unsigned long sigmask;			     /* 0x8f0 */
	bool c11;				     /* 0x8f8 */
	bool exiting;
	int exit_lock;
	char tls_state[16]; /* 0x900 */
	struct {	    /* 0x920 */
		uint32_t cpu_id_start;
		uint32_t cpu_id;
		uint64_t rseq_cs;
		uint32_t flags;
	} rseq_area __attribute__((aligned(32)));
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct glibc_tcbhead) == 0x2c0, "tcbhead_t");
_Static_assert(offsetof(struct glibc_pthread, list) == 0x2c0, "list");
_Static_assert(offsetof(struct glibc_pthread, tid) == 0x2d0, "tid");
_Static_assert(offsetof(struct glibc_pthread, robust_head) == 0x2e0, "robust");
_Static_assert(offsetof(struct glibc_pthread, cleanup_jmp_buf) == 0x300,
	       "cleanup_jmp_buf");
_Static_assert(offsetof(struct glibc_pthread, cancelhandling) == 0x308,
	       "cancelhandling");
_Static_assert(offsetof(struct glibc_pthread, specific) == 0x510, "specific");
_Static_assert(offsetof(struct glibc_pthread, specific_used) == 0x610,
	       "specific_used");
_Static_assert(offsetof(struct glibc_pthread, result) == 0x628, "result");
_Static_assert(offsetof(struct glibc_pthread, schedpolicy) == 0x634,
	       "schedpolicy");
_Static_assert(offsetof(struct glibc_pthread, stackblock) == 0x690,
	       "stackblock");
_Static_assert(offsetof(struct glibc_pthread, res) == 0x6b8, "res");
_Static_assert(offsetof(struct glibc_pthread, c11) == 0x8f8, "c11");
_Static_assert(offsetof(struct glibc_pthread, tls_state) == 0x900, "tls_state");
_Static_assert(offsetof(struct glibc_pthread, rseq_area) == 0x920, "rseq_area");
_Static_assert(sizeof(struct glibc_pthread) == 0x940, "struct pthread");

/* One DTV entry (elf/dl-tls.h's dtv_t); entry -1 holds the length. */
union glibc_dtv {
	size_t counter;
	struct {
		void *val;
		void *to_free;
	} pointer;
};

#define GLIBC_TLS_DTV_UNALLOCATED ((void *)-1l)
#define GLIBC_RSEQ_SIG		  0x53053053
#define GLIBC_RSEQ_CPU_ID_FAILED  ((uint32_t)-2)

/* x86_64 jmp_buf slots (sysdeps/x86_64/jmpbuf-offsets.h). */
#define GLIBC_JB_RSP 6
#define GLIBC_JB_PC  7

#endif
