/*
 * Proves that every row of the symbol table is interposed: with the shim
 * preloaded, each name resolves to a definition inside libsprout.so, and
 * libc's own definition is a different one.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "shim/symbols.h"

#define X(name, version) { #name, version },
static const struct {
	const char *name, *version;
} rows[] = { SPROUT_SYMBOLS(X) };
#undef X

int main(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	size_t i, bad = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *name = rows[i].name, *version = rows[i].version;
		void *ours = dlsym(RTLD_DEFAULT, name);
		void *theirs = version ? dlvsym(libc, name, version)
				       : dlsym(libc, name);
		Dl_info info;

		if (!ours || !dladdr(ours, &info) ||
		    !strstr(info.dli_fname, "libsprout.so")) {
			fprintf(stderr, "FAIL: %s is not the shim's (%s)\n",
				name, ours ? info.dli_fname : "missing");
			bad++;
		} else if (!theirs || theirs == ours) {
			fprintf(stderr, "FAIL: %s: libc's is %p\n", name,
				theirs);
			bad++;
		}
	}
	printf("%zu names, %zu not interposed\n", i, bad);
	return bad ? 1 : 0;
}
