/* SPDX-License-Identifier: MIT */
/* What dl_iterate_phdr() tells of the TLS modules, for compat/'s files. */
#ifndef SPROUT_COMPAT_TLSMOD_H
#define SPROUT_COMPAT_TLSMOD_H

#include <link.h>
#include <stddef.h>

static int tlsmod_max_of(struct dl_phdr_info *info, size_t size, void *data)
{
	size_t *max = data;

	(void)size;
	if (info->dlpi_tls_modid > *max)
		*max = info->dlpi_tls_modid;
	return 0;
}

/* The highest module id of the loaded objects (glibc's dl_tls_max_dtv_idx). */
static inline size_t tlsmod_max(void)
{
	size_t max = 0;

	dl_iterate_phdr(tlsmod_max_of, &max);
	return max;
}

#endif
