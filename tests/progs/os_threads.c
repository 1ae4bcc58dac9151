/*
 * Proves that sprout multiplexes many threads onto few kernel tasks: with
 * 10,000 threads alive at once (each spinning on sched_yield() until
 * released), /proc/self/task holds at most procs + 8 entries under sprout
 * (procs = $SPROUT_PROCS, else the CPUs in our affinity mask), while a
 * native run really has >= 10,001 tasks.  All threads are then released
 * and joined.
 *
 * Natively, 10,000 runnable kernel threads would leave main about 1/10,000
 * of the CPU to create the rest (tens of seconds), so in native mode only
 * the spinners put themselves in SCHED_IDLE.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NTHREADS 10000

static bool idle_spinners;
static atomic_int arrived;
static atomic_bool release;

static void *spinner(void *arg)
{
	const struct sched_param param = { 0 };
	int err;

	(void)arg;
	if (idle_spinners) {
		err = pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
		CHECK(err == 0, "SCHED_IDLE: %s", strerror(err));
	}
	atomic_fetch_add(&arrived, 1);
	while (!atomic_load(&release))
		sched_yield();
	return NULL;
}

int main(void)
{
	static pthread_t tids[NTHREADS];
	const char *mode = getenv("PROG_MODE");
	bool sprout = mode != NULL && strcmp(mode, "sprout") == 0;
	int i, err, tasks;

	idle_spinners = !sprout;
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, spinner, NULL);
		CHECK(err == 0, "pthread_create #%d: %s", i, strerror(err));
	}
	CHECK(wait_until(atomic_load(&arrived) == NTHREADS, 60),
	      "only %d of %d threads arrived", atomic_load(&arrived), NTHREADS);

	tasks = count_tasks();
	printf("os threads with %d live threads: %d\n", NTHREADS, tasks);
	if (sprout) {
		int procs = logical_procs();

		CHECK(tasks <= procs + 8, "%d tasks for %d procs", tasks,
		      procs);
	} else {
		CHECK(tasks >= NTHREADS + 1, "only %d tasks natively", tasks);
	}

	atomic_store(&release, true);
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_join(tids[i], NULL);
		CHECK(err == 0, "pthread_join #%d: %s", i, strerror(err));
	}
	return 0;
}
