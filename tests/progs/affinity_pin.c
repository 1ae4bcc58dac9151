/*
 * Proves that a thread pinned to one CPU runs there only, and holds no
 * logical processor while it spins: two threads pinned to each CPU in
 * turn (one through pthread_setaffinity_np on itself, one through its
 * creation attribute) spin reading their CPU with getcpu(), which never
 * enters the shim, while the initial thread goes on ping-ponging with an
 * ordinary thread and creating and joining others. With one P, a pinned
 * thread that kept it would stop the initial thread for good.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "check.h"

#define ROUNDS 2000

static atomic_bool stop;
static sem_t ping, pong;

struct pinned {
	int cpu;
	bool self; /* pins itself; else its attribute pinned it */
	atomic_long spins, off;
	atomic_bool started;
};

static void *spin(void *arg)
{
	struct pinned *p = arg;
	unsigned int cpu;
	cpu_set_t one;

	if (p->self) {
		CPU_ZERO(&one);
		CPU_SET(p->cpu, &one);
		CHECK(pthread_setaffinity_np(pthread_self(), sizeof(one),
					     &one) == 0,
		      "pin to %d", p->cpu);
	}
	atomic_store(&p->started, true);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		getcpu(&cpu, NULL); /* the vDSO: no call into the shim */
		if ((int)cpu != p->cpu)
			atomic_fetch_add(&p->off, 1);
		atomic_fetch_add_explicit(&p->spins, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		sem_wait20(&ping, "ping");
		sem_post(&pong);
	}
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	struct pinned p[4];
	pthread_t t[4], pt, q;
	pthread_attr_t attr;
	cpu_set_t all, one;
	int cpus[2], n = 0;

	watchdog(60);
	CHECK(sched_getaffinity(0, sizeof(all), &all) == 0, "getaffinity");
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &all))
			cpus[n++] = c;
	if (n < 2)
		SKIP("needs two CPUs");
	sem_init(&ping, 0, 0);
	sem_init(&pong, 0, 0);
	for (int i = 0; i < 4; i++) {
		p[i].cpu = cpus[i % 2];
		p[i].self = i < 2;
		atomic_init(&p[i].spins, 0);
		atomic_init(&p[i].off, 0);
		atomic_init(&p[i].started, false);
		pthread_attr_init(&attr);
		if (!p[i].self) {
			CPU_ZERO(&one);
			CPU_SET(p[i].cpu, &one);
			CHECK(pthread_attr_setaffinity_np(&attr, sizeof(one),
							  &one) == 0,
			      "attr");
		}
		CHECK(pthread_create(&t[i], &attr, spin, &p[i]) == 0,
		      "create pinned %d", i);
		pthread_attr_destroy(&attr);
	}
	/* The initial thread goes on: it needs a P, and so does pt. */
	CHECK(pthread_create(&pt, NULL, ponger, NULL) == 0, "create ponger");
	for (int i = 0; i < ROUNDS; i++) {
		sem_post(&ping);
		sem_wait20(&pong, "pong");
		if (i % 100 == 0) {
			CHECK(pthread_create(&q, NULL, nothing, NULL) == 0,
			      "create");
			CHECK(pthread_join(q, NULL) == 0, "join");
		}
	}
	CHECK(pthread_join(pt, NULL) == 0, "join ponger");
	for (int i = 0; i < 4; i++)
		CHECK(wait_until(atomic_load(&p[i].spins) > 1000, 20),
		      "pinned %d never spun", i);
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++) {
		CHECK(pthread_join(t[i], NULL) == 0, "join pinned %d", i);
		CHECK(atomic_load(&p[i].off) == 0,
		      "pinned %d to CPU %d ran elsewhere %ld times", i,
		      p[i].cpu, atomic_load(&p[i].off));
	}
	return 0;
}
