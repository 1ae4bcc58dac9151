// SPDX-License-Identifier: MIT
/*
 * RLIMIT_AS lowered while the program runs, as glibc's tst-create-detached
 * does (800 MiB): threads that fit natively fit under the shim too, whose
 * reservations made before the limit must not keep the space from them.
 * 20 threads with the default stack, all alive at once, are made; then one
 * thread makes 3,000 detached threads with 16 MiB stacks that exit at once,
 * trying again on EAGAIN (threads not yet gone may hold the space, natively
 * too): the threads that wait to run and exit must get to, even on one
 * kernel thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "check.h"

#define ALIVE	 20
#define DETACHED 3000

static sem_t go;
static _Atomic int ran;

static void *waiter(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ran, 1);
	sem_wait20(&go, "go");
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	static pthread_t t[ALIVE];
	pthread_attr_t detached;
	struct rlimit rl;
	long failed = 0;
	int i, made, err;

	watchdog(60);
	CHECK(sem_init(&go, 0, 0) == 0, "sem_init: %s", strerror(errno));
	CHECK(getrlimit(RLIMIT_AS, &rl) == 0, "getrlimit: %s", strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= 800ul << 20)
		SKIP("RLIMIT_AS is already low");
	rl.rlim_cur = 800ul << 20;
	CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit: %s", strerror(errno));

	for (i = 0; i < ALIVE; i++) {
		err = pthread_create(&t[i], NULL, waiter, NULL);
		CHECK(err == 0, "thread %d of %d under 800 MiB: %s", i, ALIVE,
		      strerror(err));
	}
	CHECK(wait_until(atomic_load(&ran) == ALIVE, 20), "%d of %d ran",
	      atomic_load(&ran), ALIVE);
	for (i = 0; i < ALIVE; i++)
		CHECK(sem_post(&go) == 0, "sem_post: %s", strerror(errno));
	for (i = 0; i < ALIVE; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join %d", i);

	CHECK(pthread_attr_init(&detached) == 0, "attr init");
	CHECK(pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED) ==
		      0,
	      "setdetachstate");
	CHECK(pthread_attr_setstacksize(&detached, 16ul << 20) == 0,
	      "setstacksize");
	for (made = 0; made < DETACHED;) {
		pthread_t d;

		err = pthread_create(&d, &detached, nothing, NULL);
		if (err == 0)
			made++;
		else
			CHECK(err == EAGAIN && ++failed < 100000000,
			      "detached thread %d: %s (%ld failures)", made,
			      strerror(err), failed);
	}
	CHECK(pthread_attr_destroy(&detached) == 0, "attr destroy");
	printf("%d detached threads made, %ld EAGAIN on the way\n", made,
	       failed);
	return 0;
}
