// SPDX-License-Identifier: MIT
/*
 * Queued signals: a signal left pending for a G (signal.c) keeps its
 * siginfo_t here, and a real-time one is kept once per send, as the
 * kernel queues it for a thread. The G's sigpend says which signals are
 * pending; its queue says with what, and for a real-time signal how many
 * times.
 *
 * Signals are queued from handlers too (a signal that lands in runtime
 * code, or on sysmon), so queueing takes no lock and allocates from a
 * fixed pool: a node is a bit taken in a bitmap, and the queue a stack
 * pushed with compare-and-swap. Taking from a queue is done outside
 * handlers, under the queue's lock: the taker moves the stack, oldest
 * first, to the end of a list of its own and takes from that list.
 *
 * The program's own sends of real-time signals stop short of the end of
 * the pool, failing with EAGAIN as at the kernel's limit on queued
 * signals (sigq_room()): the rest is for signals the kernel has given
 * the process already, which cannot be refused. Should even that be used
 * up, a signal is still pending, as a bit in sigpend: it keeps its number
 * only, and a real-time one merges.
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "runtime.h"
#include "../arch/x86_64/sys.h"

static struct sigq_node pool[SIGQ_NODES];
static _Atomic uint64_t used[SIGQ_NODES / 64];
static _Atomic unsigned int inuse;

static struct sigq_node *node_alloc(void)
{
	unsigned int w;

	for (w = 0; w < SIGQ_NODES / 64; w++) {
		uint64_t u =
			atomic_load_explicit(&used[w], memory_order_relaxed);

		while (~u) {
			int b = __builtin_ctzll(~u);

			if (atomic_compare_exchange_weak(&used[w], &u,
							 u | (1ull << b))) {
				atomic_fetch_add_explicit(&inuse, 1,
							  memory_order_relaxed);
				return &pool[w * 64 + b];
			}
		}
	}
	return NULL;
}

static void node_free(struct sigq_node *n)
{
	size_t i = (size_t)(n - pool);

	atomic_fetch_and(&used[i / 64], ~(1ull << (i % 64)));
	atomic_fetch_sub_explicit(&inuse, 1, memory_order_relaxed);
}

/* Is there room for another send of the program's own? */
bool sigq_room(void)
{
	return atomic_load_explicit(&inuse, memory_order_relaxed) <
	       SIGQ_NODES - SIGQ_RESERVE;
}

/*
 * Queue info for sig on q; process: it was sent to the process; back:
 * it came back from the kernel, sent before anything still queued (a
 * signal the runtime sent on that landed where it had to wait again),
 * and goes ahead of it. False if the pool is used up: the caller keeps
 * the signal's number only. Async-signal-safe.
 */
bool sigq_push(struct sigq *q, int sig, const siginfo_t *info, bool process,
	       bool back)
{
	struct sigq_node *_Atomic *stack = back ? &q->back : &q->in;
	struct sigq_node *n = node_alloc(), *head;

	if (!n)
		return false;
	n->info = *info;
	n->info.si_signo = sig;
	n->process = process;
	head = atomic_load_explicit(stack, memory_order_relaxed);
	do
		n->next = head;
	while (!atomic_compare_exchange_weak(stack, &head, n));
	return true;
}

/* A pushed stack, oldest first. */
static struct sigq_node *reversed(struct sigq_node *n)
{
	struct sigq_node *fifo = NULL;

	while (n) {
		struct sigq_node *next = n->next;

		n->next = fifo;
		fifo = n;
		n = next;
	}
	return fifo;
}

/*
 * q->lock held: what came back goes to the head of q's list, what was
 * pushed to its end, each in order.
 */
static void splice(struct sigq *q)
{
	struct sigq_node *back = reversed(atomic_exchange(&q->back, NULL));
	struct sigq_node *in = reversed(atomic_exchange(&q->in, NULL));
	struct sigq_node **tail;

	if (back) {
		for (tail = &back; *tail; tail = &(*tail)->next)
			;
		*tail = q->list;
		q->list = back;
	}
	for (tail = &q->list; *tail; tail = &(*tail)->next)
		;
	*tail = in;
}

/*
 * Take sig's nodes off q (every node with sig 0), oldest first, as a list
 * the caller gives back with sigq_free(); NULL if none. Not in a handler.
 */
struct sigq_node *sigq_take(struct sigq *q, int sig)
{
	struct sigq_node **pp, *taken = NULL, **tp = &taken;

	if (!atomic_load_explicit(&q->in, memory_order_relaxed) &&
	    !atomic_load_explicit(&q->back, memory_order_relaxed) && !q->list)
		return NULL;
	lock(&q->lock);
	splice(q);
	for (pp = &q->list; *pp;) {
		struct sigq_node *n = *pp;

		if (sig && n->info.si_signo != sig) {
			pp = &n->next;
			continue;
		}
		*pp = n->next;
		n->next = NULL;
		*tp = n;
		tp = &n->next;
	}
	unlock(&q->lock);
	return taken;
}

void sigq_free(struct sigq_node *n)
{
	while (n) {
		struct sigq_node *next = n->next;

		node_free(n);
		n = next;
	}
}

/* An empty queue. */
void sigq_init(struct sigq *q)
{
	memset(q, 0, sizeof(*q));
	lock_init(&q->lock, RANK_SIGQ);
}

/*
 * In the child of fork(): no signal is pending in a new process, and the
 * nodes of the Gs left behind are free again. q is the forking G's,
 * if any.
 */
void sigq_afterfork_child(struct sigq *q)
{
	if (q)
		sigq_init(q);
	memset(used, 0, sizeof(used));
	atomic_store(&inuse, 0);
}
