/*
 * token_ring - how long a thread waits for its turn beside threads that
 * hand the CPU to each other.
 *
 * PAIRS pairs of threads pass a token back and forth, half through a
 * condition variable, half through a pair of semaphores, while one more
 * thread calls sched_yield() 200 times (30 s at most). Each pass readies
 * the partner, which a green-thread scheduler runs next with the rest of
 * the passer's time slice, so a pair can keep a processor between
 * passes; the yielding thread waits behind them all.
 *
 * metric token_ring_yield_p50	a yield's median length, us
 * metric token_ring_yield_max	the longest yield, ms
 * metric token_ring_passes	passes of all pairs per second, meanwhile
 *
 * Usage: token_ring [PAIRS]   (default 1000)
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define YIELDS	200
#define LIMIT_S 30 /* the yields stop after this long */

struct pair {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int turn; /* by condvar: whose turn */
	sem_t sem[2];
	atomic_long passes;
};

static struct pair *pairs;
static int npairs;
static atomic_bool stop;

static long passes(void)
{
	long n = 0;
	int i;

	for (i = 0; i < npairs; i++)
		n += atomic_load_explicit(&pairs[i].passes,
					  memory_order_relaxed);
	return n;
}

static void *passer(void *arg)
{
	struct pair *p = &pairs[(intptr_t)arg / 2];
	int side = (int)((intptr_t)arg % 2);
	bool by_cond = ((intptr_t)arg / 2) % 2 == 0;

	while (!atomic_load(&stop)) {
		if (by_cond) {
			pthread_mutex_lock(&p->mu);
			while (p->turn != side && !atomic_load(&stop))
				pthread_cond_wait(&p->cv, &p->mu);
			p->turn = !side;
			pthread_cond_signal(&p->cv);
			pthread_mutex_unlock(&p->mu);
		} else {
			while (sem_wait(&p->sem[side]) != 0)
				if (errno != EINTR)
					fail("sem_wait", errno);
			sem_post(&p->sem[!side]);
		}
		atomic_fetch_add_explicit(&p->passes, 1, memory_order_relaxed);
	}
	return NULL;
}

static double took[YIELDS];
static int nyields;

/* The thread that yields, one of the program's like the pairs. */
static void *yielder(void *arg)
{
	double start = now_ns();

	(void)arg;
	for (nyields = 0; nyields < YIELDS && now_ns() - start < LIMIT_S * 1e9;
	     nyields++) {
		double t0 = now_ns();

		sched_yield();
		took[nyields] = now_ns() - t0;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	pthread_t *t, y;
	double start, end;
	long p0, p1;
	int i, err;

	npairs = argc > 1 ? atoi(argv[1]) : 1000;
	if (npairs < 1)
		npairs = 1000;
	pairs = calloc((size_t)npairs, sizeof(*pairs));
	t = calloc(2 * (size_t)npairs, sizeof(*t));
	if (!pairs || !t)
		fail("calloc", ENOMEM);
	for (i = 0; i < npairs; i++) {
		pthread_mutex_init(&pairs[i].mu, NULL);
		pthread_cond_init(&pairs[i].cv, NULL);
		sem_init(&pairs[i].sem[0], 0, 1);
		sem_init(&pairs[i].sem[1], 0, 0);
	}
	for (i = 0; i < 2 * npairs; i++) {
		err = pthread_create(&t[i], NULL, passer, (void *)(intptr_t)i);
		if (err)
			fail("pthread_create", err);
	}

	p0 = passes();
	start = now_ns();
	err = pthread_create(&y, NULL, yielder, NULL);
	if (err)
		fail("pthread_create", err);
	pthread_join(y, NULL);
	end = now_ns();
	p1 = passes();

	atomic_store(&stop, true);
	for (i = 0; i < npairs; i++) {
		pthread_mutex_lock(&pairs[i].mu);
		pthread_cond_broadcast(&pairs[i].cv);
		pthread_mutex_unlock(&pairs[i].mu);
		sem_post(&pairs[i].sem[0]);
		sem_post(&pairs[i].sem[1]);
	}
	for (i = 0; i < 2 * npairs; i++)
		pthread_join(t[i], NULL);

	qsort(took, (size_t)nyields, sizeof(took[0]), cmp);
	printf("metric token_ring_yield_p50 %.1f us\n",
	       took[nyields / 2] / 1e3);
	printf("metric token_ring_yield_max %.2f ms\n",
	       took[nyields - 1] / 1e6);
	printf("metric token_ring_passes %.0f passes/s\n",
	       (p1 - p0) / ((end - start) / 1e9));
	return 0;
}
