/*
 * Preprocessed (cc -E -P) into the linker's version script: export the
 * table's names, hide everything else.
 */
#include "symbols.h"
#define X(name, version) name;
{
global:
	SPROUT_SYMBOLS(X)
local:
	*;
};
