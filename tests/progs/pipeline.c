/*
 * Proves that mutexes and condition variables carry a long producer /
 * consumer pipeline without losing, duplicating or corrupting items: one
 * producer feeds 2,000,000 sequence-numbered items through a bounded queue
 * (capacity 64) to 4 workers, which transform each value and pass it
 * through a second bounded queue to one consumer.  Each queue is one mutex
 * and two condvars (not_full, not_empty).  The consumer checks that every
 * sequence number arrives exactly once (bitmap), that each value is its
 * sequence number transformed, and that the sum of the values equals the
 * one computed serially.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

#define NITEMS	 2000000u
#define NWORKERS 4
#define CAPACITY 64
#define POISON	 UINT32_MAX

struct item {
	uint32_t seq;
	uint64_t val;
};

struct queue {
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
	struct item buf[CAPACITY];
	unsigned int head, count;
};

static struct queue q_in = { .m = PTHREAD_MUTEX_INITIALIZER,
			     .not_full = PTHREAD_COND_INITIALIZER,
			     .not_empty = PTHREAD_COND_INITIALIZER };
static struct queue q_out = { .m = PTHREAD_MUTEX_INITIALIZER,
			      .not_full = PTHREAD_COND_INITIALIZER,
			      .not_empty = PTHREAD_COND_INITIALIZER };
static uint8_t seen[NITEMS / 8];
static uint64_t sum;

static uint64_t transform(uint64_t v)
{
	return v * 6364136223846793005ull + 1442695040888963407ull;
}

static void push(struct queue *q, struct item it)
{
	CHECK(pthread_mutex_lock(&q->m) == 0, "lock");
	while (q->count == CAPACITY)
		CHECK(pthread_cond_wait(&q->not_full, &q->m) == 0, "wait");
	q->buf[(q->head + q->count) % CAPACITY] = it;
	q->count++;
	CHECK(pthread_cond_signal(&q->not_empty) == 0, "signal");
	CHECK(pthread_mutex_unlock(&q->m) == 0, "unlock");
}

static struct item pop(struct queue *q)
{
	struct item it;

	CHECK(pthread_mutex_lock(&q->m) == 0, "lock");
	while (q->count == 0)
		CHECK(pthread_cond_wait(&q->not_empty, &q->m) == 0, "wait");
	it = q->buf[q->head];
	q->head = (q->head + 1) % CAPACITY;
	q->count--;
	CHECK(pthread_cond_signal(&q->not_full) == 0, "signal");
	CHECK(pthread_mutex_unlock(&q->m) == 0, "unlock");
	return it;
}

static void *producer(void *arg)
{
	uint32_t i;

	(void)arg;
	for (i = 0; i < NITEMS; i++)
		push(&q_in, (struct item){ i, i });
	for (i = 0; i < NWORKERS; i++)
		push(&q_in, (struct item){ POISON, 0 });
	return NULL;
}

static void *worker(void *arg)
{
	struct item it;

	(void)arg;
	while ((it = pop(&q_in)).seq != POISON) {
		it.val = transform(it.val);
		push(&q_out, it);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	uint32_t i;

	(void)arg;
	for (i = 0; i < NITEMS; i++) {
		struct item it = pop(&q_out);

		CHECK(it.seq < NITEMS, "item %u: sequence number %u", i,
		      it.seq);
		CHECK(!(seen[it.seq / 8] & (1u << it.seq % 8)),
		      "sequence number %u arrived twice", it.seq);
		seen[it.seq / 8] |= 1u << it.seq % 8;
		CHECK(it.val == transform(it.seq),
		      "sequence number %u: value %#llx, want %#llx", it.seq,
		      (unsigned long long)it.val,
		      (unsigned long long)transform(it.seq));
		sum += it.val;
	}
	return NULL;
}

int main(void)
{
	pthread_t prod, cons, workers[NWORKERS];
	uint64_t want = 0, t0 = now_ns();
	uint32_t i;
	int err;

	watchdog(30);

	err = pthread_create(&cons, NULL, consumer, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	for (i = 0; i < NWORKERS; i++) {
		err = pthread_create(&workers[i], NULL, worker, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	err = pthread_create(&prod, NULL, producer, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));

	CHECK(pthread_join(prod, NULL) == 0, "pthread_join producer");
	for (i = 0; i < NWORKERS; i++)
		CHECK(pthread_join(workers[i], NULL) == 0, "pthread_join");
	CHECK(pthread_join(cons, NULL) == 0, "pthread_join consumer");

	for (i = 0; i < NITEMS; i++)
		want += transform(i);
	CHECK(sum == want, "checksum %#llx, want %#llx",
	      (unsigned long long)sum, (unsigned long long)want);
	CHECK(q_in.count == 0 && q_out.count == 0, "queues hold %u and %u",
	      q_in.count, q_out.count);
	printf("%u items in %llu ms\n", NITEMS,
	       (unsigned long long)((now_ns() - t0) / 1000000));
	return 0;
}
