// SPDX-License-Identifier: MIT
/*
 * What musl's pthread_attr_t keeps (src/internal/pthread_impl.h of musl
 * 1.2.3: the _a_ fields, in size_t and int slots of the union).
 */
#include "attr.h"

#define SU (sizeof(size_t) / sizeof(int))

struct musl_attr {
	union {
		int i[14];
		size_t s[7];
	};
};

_Static_assert(sizeof(struct musl_attr) == sizeof(pthread_attr_t),
	       "musl's pthread_attr_t");

static const struct musl_attr *musl(const pthread_attr_t *attr)
{
	return (const struct musl_attr *)attr;
}

#define A_STACKSIZE(a) musl(a)->s[0]
#define A_STACKADDR(a) musl(a)->s[2] /* the top; 0: none set */
#define A_SCHED(a)     musl(a)->i[3 * SU + 1]
#define A_POLICY(a)    musl(a)->i[3 * SU + 2]
#define A_PRIO(a)      musl(a)->i[3 * SU + 3]

bool attr_user_stack(const pthread_attr_t *attr, void **lo, size_t *size)
{
	if (!A_STACKADDR(attr))
		return false;
	*size = A_STACKSIZE(attr);
	*lo = (char *)A_STACKADDR(attr) - *size;
	return true;
}

/*
 * musl's pthread_attr_init() writes its default size into the attribute,
 * so a size equal to that default reads as not set: the shim's applies.
 */
size_t attr_stacksize(const pthread_attr_t *attr)
{
	pthread_attr_t fresh;
	size_t def = 0;

	if (!pthread_attr_init(&fresh)) {
		def = A_STACKSIZE(&fresh);
		pthread_attr_destroy(&fresh);
	}
	return A_STACKSIZE(attr) == def ? 0 : A_STACKSIZE(attr);
}

/*
 * musl keeps no "set" marks: with PTHREAD_EXPLICIT_SCHED its
 * pthread_create() applies the policy and priority the attribute holds,
 * SCHED_OTHER and 0 unless set. It has no CPU set in attributes.
 */
void attr_sched(const pthread_attr_t *attr, struct attr_sched *as)
{
	bool explicit = A_SCHED(attr) != 0;

	as->has_policy = explicit;
	as->has_prio = explicit;
	as->policy = A_POLICY(attr);
	as->prio = A_PRIO(attr);
	as->cpus = NULL;
	as->cpussize = 0;
}
