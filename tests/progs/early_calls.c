/*
 * Proves that libc calls from a library constructor that runs before the
 * shim's (a dependency of the program, initialised before the preloaded
 * library) work as natively: early_mod's constructor calls prctl() with
 * PR_CAPBSET_READ and PR_GET_NAME, and main finds the answers the kernel
 * gives it now.
 */
#include <sys/prctl.h>

#include "check.h"

extern char early_name[16];
extern int early_name_ret, early_capbset;

int main(void)
{
	char name[16];

	CHECK(early_capbset == prctl(PR_CAPBSET_READ, 0, 0, 0, 0),
	      "PR_CAPBSET_READ in the constructor gave %d", early_capbset);
	CHECK(early_name_ret == 0, "PR_GET_NAME in the constructor gave %d",
	      early_name_ret);
	CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0, "PR_GET_NAME: %s",
	      strerror(errno));
	CHECK(!strcmp(name, early_name),
	      "the constructor read the name \"%s\", main \"%s\"", early_name,
	      name);
	puts("ok");
	return 0;
}
