/* SPDX-License-Identifier: MIT */
/* What libc's pthread_attr_t says beyond its public getters. */
#ifndef SPROUT_COMPAT_ATTR_H
#define SPROUT_COMPAT_ATTR_H

#include <pthread.h>
#include <stdbool.h>

/* Does attr carry a caller-supplied stack? If so, *lo and *size are it. */
bool attr_user_stack(const pthread_attr_t *attr, void **lo, size_t *size);

#endif
