// SPDX-License-Identifier: MIT
#include <string.h>

#include "tcb.h"

bool tcb_libc_known(const char *version)
{
	size_t i;

	for (i = 0; version && tcb_known_versions[i]; i++)
		if (!strcmp(version, tcb_known_versions[i]))
			return true;
	return false;
}
