/* SPDX-License-Identifier: MIT */
/*
 * The raw system calls moved to arch/x86_64/sys.h, beneath every layer
 * (compat/ included). This forwards for files not yet moved over.
 */
#include "../../../arch/x86_64/sys.h"
