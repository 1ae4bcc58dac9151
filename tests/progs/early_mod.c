/*
 * A library whose constructor calls into libc before the program's main
 * (and, preloaded, before sprout's own constructor, as libcap's does in
 * MariaDB): see early_calls.c.
 */
#include <sys/prctl.h>

char early_name[16];
int early_name_ret = -2, early_capbset = -2;

__attribute__((constructor)) static void early(void)
{
	early_capbset = prctl(PR_CAPBSET_READ, 0 /* CAP_CHOWN */, 0, 0, 0);
	early_name_ret = prctl(PR_GET_NAME, early_name, 0, 0, 0);
}
