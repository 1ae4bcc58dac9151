// SPDX-License-Identifier: MIT
/*
 * RLIMIT_AS reached: pthread_create() fails with EAGAIN, as glibc's does
 * when it cannot map a stack, and nothing crashes. With 256 MiB of
 * address space left, threads with the default stack are made until one
 * fails: some must be made first (the shim's stack arenas shrink to fit
 * rather than fail whole), the failure must be EAGAIN, every thread made
 * must run and be joined, and once the limit is lifted a thread is made
 * again.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "check.h"

#define MAX 1000

static sem_t go;
static _Atomic int ran;

static void *waiter(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ran, 1);
	sem_wait20(&go, "go");
	return NULL;
}

static long vm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	CHECK(f != NULL, "fopen: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	fclose(f);
	CHECK(kib > 0, "no VmSize");
	return kib;
}

int main(void)
{
	static pthread_t t[MAX];
	struct rlimit old, rl;
	int i, made = 0, err = 0;

	watchdog(60);
	CHECK(sem_init(&go, 0, 0) == 0, "sem_init: %s", strerror(errno));
	CHECK(getrlimit(RLIMIT_AS, &old) == 0, "getrlimit: %s",
	      strerror(errno));
	rl = old;
	rl.rlim_cur = (rlim_t)(vm_kib() + 256 * 1024) * 1024;
	if (old.rlim_max != RLIM_INFINITY && rl.rlim_cur > old.rlim_max)
		SKIP("RLIMIT_AS is already low");
	CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit: %s", strerror(errno));
	for (i = 0; i < MAX; i++) {
		err = pthread_create(&t[made], NULL, waiter, NULL);
		if (err)
			break;
		made++;
	}
	CHECK(setrlimit(RLIMIT_AS, &old) == 0, "setrlimit: %s",
	      strerror(errno));
	CHECK(err == EAGAIN, "pthread_create after %d threads: %s", made,
	      err ? strerror(err) : "no failure");
	CHECK(made > 0, "no thread made under the limit");
	CHECK(wait_until(atomic_load(&ran) == made, 20), "%d of %d ran",
	      atomic_load(&ran), made);
	for (i = 0; i < made; i++)
		CHECK(sem_post(&go) == 0, "sem_post: %s", strerror(errno));
	for (i = 0; i < made; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join %d", i);
	CHECK(pthread_create(&t[0], NULL, waiter, NULL) == 0,
	      "pthread_create after the limit was lifted");
	CHECK(sem_post(&go) == 0, "sem_post: %s", strerror(errno));
	CHECK(pthread_join(t[0], NULL) == 0, "pthread_join");
	printf("%d threads made before EAGAIN\n", made);
	return 0;
}
