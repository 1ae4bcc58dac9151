/*
 * Preprocessed (cc -E -P) into the linker's version script: export the
 * table's names and the runtime's root for debuggers (sched/stack.h), hide
 * everything else.
 */
#include "symbols.h"
#define X(name, version) name;
{
global:
	SPROUT_SYMBOLS(X)
	sprout_debug;
local:
	*;
};
