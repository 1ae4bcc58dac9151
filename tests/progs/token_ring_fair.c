/*
 * Proves that threads passing a token back and forth do not keep other
 * threads waiting long behind them: 1,000 pairs pass a token, half
 * through a condition variable, half through a pair of semaphores, while
 * another thread calls sched_yield() 100 times and sleeps 20 ms twenty
 * times; each yield must return, and each nap end, within 500 ms, and
 * every pair must have passed its token.
 *
 * Each pass readies the partner, which runs next with the rest of the
 * passer's time slice: a pair keeps the processor between passes. With
 * only a time slice to end that (2 ms), the 1,000 pairs took 2 s and
 * more to come round, and a thread that yielded waited behind all of
 * them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

#define PAIRS  1000
#define NAPS   20
#define NAP    (20 * MS)
#define YIELDS 100
#define LATE   (500 * MS)

struct pair {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int turn; /* by condvar: whose turn */
	sem_t sem[2];
	long passes;
};

static struct pair pairs[PAIRS];
static atomic_bool stop;

/* Side side of pair p passes the token until told to stop. */
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
			p->passes++;
			p->turn = !side;
			pthread_cond_signal(&p->cv);
			pthread_mutex_unlock(&p->mu);
		} else {
			while (sem_wait(&p->sem[side]) != 0)
				CHECK(errno == EINTR, "sem_wait: %m");
			p->passes++;
			CHECK(sem_post(&p->sem[!side]) == 0, "sem_post: %m");
		}
	}
	return NULL;
}

/* The longest yield and the latest nap, in ns. */
struct worst {
	uint64_t yield, nap;
};

static void *other(void *arg)
{
	struct worst *worst = arg;
	int i;

	for (i = 0; i < YIELDS; i++) {
		uint64_t t0 = now_ns(), took;

		CHECK(sched_yield() == 0, "sched_yield: %m");
		took = now_ns() - t0;
		if (took > worst->yield)
			worst->yield = took;
	}
	for (i = 0; i < NAPS; i++) {
		struct timespec ts = { 0, NAP };
		uint64_t t0 = now_ns(), late;

		CHECK(nanosleep(&ts, NULL) == 0, "nanosleep: %m");
		late = now_ns() - t0 - NAP;
		if (late > worst->nap)
			worst->nap = late;
	}
	return NULL;
}

int main(void)
{
	static pthread_t t[2 * PAIRS];
	struct worst worst = { 0, 0 };
	pthread_t s;
	int i;

	watchdog(120);
	for (i = 0; i < PAIRS; i++) {
		pthread_mutex_init(&pairs[i].mu, NULL);
		pthread_cond_init(&pairs[i].cv, NULL);
		CHECK(sem_init(&pairs[i].sem[0], 0, 1) == 0, "sem_init: %m");
		CHECK(sem_init(&pairs[i].sem[1], 0, 0) == 0, "sem_init: %m");
	}
	for (i = 0; i < 2 * PAIRS; i++)
		CHECK(pthread_create(&t[i], NULL, passer,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create %d", i);
	CHECK(pthread_create(&s, NULL, other, &worst) == 0, "pthread_create");
	CHECK(pthread_join(s, NULL) == 0, "pthread_join");

	atomic_store(&stop, true);
	for (i = 0; i < PAIRS; i++) {
		/* Wake whichever side waits. */
		pthread_mutex_lock(&pairs[i].mu);
		pthread_cond_broadcast(&pairs[i].cv);
		pthread_mutex_unlock(&pairs[i].mu);
		sem_post(&pairs[i].sem[0]);
		sem_post(&pairs[i].sem[1]);
	}
	for (i = 0; i < 2 * PAIRS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join %d", i);
	for (i = 0; i < PAIRS; i++)
		CHECK(pairs[i].passes > 0, "pair %d never passed its token", i);
	CHECK(worst.yield <= LATE, "a sched_yield() took %.1f ms",
	      worst.yield / 1e6);
	CHECK(worst.nap <= LATE, "a %llu ms nap ended %.1f ms late", NAP / MS,
	      worst.nap / 1e6);
	printf("token_ring_fair: yields took at most %.1f ms, naps ended at "
	       "most %.1f ms late\n",
	       worst.yield / 1e6, worst.nap / 1e6);
	return 0;
}
