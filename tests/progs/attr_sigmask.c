/*
 * attr_sigmask - what signal state a new thread starts with:
 *
 *  - its mask is the one pthread_attr_setsigmask_np() put in its attribute,
 *    else its creator's (the creating thread's, also when that is not the
 *    initial thread); an attribute whose mask was reset with NULL inherits;
 *  - a mask given with pthread_setattr_default_np() applies to threads made
 *    without an attribute, C11 threads included, and an explicit attribute
 *    without a mask still inherits; resetting the default inherits again;
 *  - a full set in the attribute blocks what the creator's full set blocks
 *    (SIGKILL and SIGSTOP never are), and SIGRTMAX (bit 63) is kept;
 *  - it starts with no pending signal: a signal its creator sent itself
 *    while blocking it stays the creator's. A new thread that lets it in
 *    (by its attribute, or by unblocking it) neither sees it in
 *    sigpending() nor runs its handler; the creator runs the handler, once,
 *    when it unblocks it. Sent with pthread_kill() and with raise(), from
 *    the initial thread and from another.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <threads.h>

#include "check.h"

/* The first 64 signals, as a bit set (bit sig - 1). */
static uint64_t bits(const sigset_t *set)
{
	uint64_t b = 0;

	for (int sig = 1; sig <= 64; sig++)
		if (sigismember(set, sig) == 1)
			b |= 1ull << (sig - 1);
	return b;
}

static uint64_t bit(int sig)
{
	return 1ull << (sig - 1);
}

static uint64_t cur_mask(void)
{
	sigset_t cur;

	CHECK(pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0, "pthread_sigmask");
	return bits(&cur);
}

static void set_mask(uint64_t b)
{
	sigset_t set;

	sigemptyset(&set);
	for (int sig = 1; sig <= 64; sig++)
		if (b & bit(sig))
			sigaddset(&set, sig);
	CHECK(pthread_sigmask(SIG_SETMASK, &set, NULL) == 0, "setmask");
}

static void attr_mask(pthread_attr_t *attr, uint64_t b)
{
	sigset_t set;

	sigemptyset(&set);
	for (int sig = 1; sig <= 64; sig++)
		if (b & bit(sig))
			sigaddset(&set, sig);
	CHECK(pthread_attr_setsigmask_np(attr, &set) == 0, "setsigmask_np");
}

static void *report_mask(void *arg)
{
	*(uint64_t *)arg = cur_mask();
	return NULL;
}

static int report_mask_c11(void *arg)
{
	*(uint64_t *)arg = cur_mask();
	return 0;
}

/* The mask a thread made with attr (may be NULL) starts with. */
static uint64_t new_mask(const pthread_attr_t *attr)
{
	uint64_t m = ~0ull;
	pthread_t t;

	CHECK(pthread_create(&t, attr, report_mask, &m) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	return m;
}

static uint64_t new_mask_c11(void)
{
	uint64_t m = ~0ull;
	thrd_t t;

	CHECK(thrd_create(&t, report_mask_c11, &m) == thrd_success, "thrd");
	CHECK(thrd_join(t, NULL) == thrd_success, "thrd_join");
	return m;
}

#define EXPECT_MASK(got, want, what)                                    \
	do {                                                            \
		uint64_t g_ = (got), w_ = (want);                       \
		CHECK(g_ == w_, "%s: mask %#llx, expected %#llx", what, \
		      (unsigned long long)g_, (unsigned long long)w_);  \
	} while (0)

/* Run in a thread whose own mask is USR2 (not the initial thread's). */
static void *nested(void *arg)
{
	pthread_attr_t attr;

	(void)arg;
	EXPECT_MASK(cur_mask(), bit(SIGUSR2), "thread made with USR2");
	EXPECT_MASK(new_mask(NULL), bit(SIGUSR2), "made by it, no attr");
	EXPECT_MASK(new_mask_c11(), bit(SIGUSR2), "C11, made by it");
	CHECK(pthread_attr_init(&attr) == 0, "attr_init");
	attr_mask(&attr, bit(SIGTERM));
	EXPECT_MASK(new_mask(&attr), bit(SIGTERM), "made by it, TERM attr");
	EXPECT_MASK(cur_mask(), bit(SIGUSR2), "its own after creating");
	pthread_attr_destroy(&attr);
	return NULL;
}

static void masks(void)
{
	pthread_attr_t attr;
	sigset_t set;
	uint64_t full;
	pthread_t t;

	set_mask(bit(SIGUSR1));
	EXPECT_MASK(new_mask(NULL), bit(SIGUSR1), "no attr");
	EXPECT_MASK(new_mask_c11(), bit(SIGUSR1), "C11");

	CHECK(pthread_attr_init(&attr) == 0, "attr_init");
	CHECK(pthread_attr_getsigmask_np(&attr, &set) ==
		      PTHREAD_ATTR_NO_SIGMASK_NP,
	      "a fresh attribute has no mask");
	EXPECT_MASK(new_mask(&attr), bit(SIGUSR1), "attr without a mask");
	attr_mask(&attr, bit(SIGUSR2) | bit(64));
	EXPECT_MASK(new_mask(&attr), bit(SIGUSR2) | bit(64), "USR2|64 attr");
	EXPECT_MASK(cur_mask(), bit(SIGUSR1), "creator's after");
	attr_mask(&attr, 0);
	EXPECT_MASK(new_mask(&attr), 0, "empty attr mask");

	/* From a thread with a mask of its own. */
	attr_mask(&attr, bit(SIGUSR2));
	CHECK(pthread_create(&t, &attr, nested, NULL) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");

	/* A full set blocks what it blocks for the creator. */
	sigfillset(&set);
	CHECK(pthread_sigmask(SIG_SETMASK, &set, NULL) == 0, "fill");
	full = cur_mask();
	CHECK(!(full & (bit(SIGKILL) | bit(SIGSTOP))), "KILL/STOP blocked");
	CHECK(full & bit(64), "a full mask without signal 64");
	set_mask(bit(SIGUSR1));
	CHECK(pthread_attr_setsigmask_np(&attr, &set) == 0, "setsigmask");
	EXPECT_MASK(new_mask(&attr), full, "full attr mask");

	/* NULL takes the mask out of the attribute: inheritance again. */
	CHECK(pthread_attr_setsigmask_np(&attr, NULL) == 0, "setsigmask NULL");
	EXPECT_MASK(new_mask(&attr), bit(SIGUSR1), "attr mask reset");

	/* The default attribute's mask. */
	attr_mask(&attr, bit(SIGHUP));
	CHECK(pthread_setattr_default_np(&attr) == 0, "setattr_default");
	pthread_attr_destroy(&attr);
	EXPECT_MASK(new_mask(NULL), bit(SIGHUP), "default HUP, no attr");
	EXPECT_MASK(new_mask_c11(), bit(SIGHUP), "default HUP, C11");
	CHECK(pthread_attr_init(&attr) == 0, "attr_init");
	EXPECT_MASK(new_mask(&attr), bit(SIGUSR1), "default HUP, attr");
	attr_mask(&attr, bit(SIGUSR2));
	EXPECT_MASK(new_mask(&attr), bit(SIGUSR2), "default HUP, USR2 attr");
	pthread_attr_destroy(&attr);
	CHECK(pthread_attr_init(&attr) == 0, "attr_init");
	CHECK(pthread_setattr_default_np(&attr) == 0, "setattr_default");
	pthread_attr_destroy(&attr);
	EXPECT_MASK(new_mask(NULL), bit(SIGUSR1), "default reset");
	EXPECT_MASK(new_mask_c11(), bit(SIGUSR1), "default reset, C11");
	set_mask(0);
}

static atomic_int usr1_count;
static _Atomic(pthread_t) usr1_on;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_store(&usr1_on, pthread_self());
	atomic_fetch_add(&usr1_count, 1);
}

/* What a new thread saw of the creator's pending SIGUSR1. */
struct seen {
	bool pending;	 /* sigpending() named it */
	int handled;	 /* handlers run for it meanwhile */
	bool handled_on; /* one ran on this thread */
};

static void look(struct seen *s)
{
	struct timespec ms = { 0, 1000000 };
	sigset_t pend;

	CHECK(sigpending(&pend) == 0, "sigpending");
	s->pending = sigismember(&pend, SIGUSR1) == 1;
	/* Time and chances for a signal to arrive: yields, sleeps. */
	for (int i = 0; i < 5; i++) {
		sched_yield();
		nanosleep(&ms, NULL);
	}
	s->handled = atomic_load(&usr1_count);
	s->handled_on = s->handled &&
			pthread_equal(atomic_load(&usr1_on), pthread_self());
}

/* Made with SIGUSR1 unblocked by its attribute. */
static void *let_in(void *arg)
{
	look(arg);
	return NULL;
}

/* Made with the creator's mask (SIGUSR1 blocked): unblocks it. */
static void *unblock(void *arg)
{
	set_mask(0);
	look(arg);
	return NULL;
}

static void expect_not_seen(const struct seen *s, const char *what)
{
	CHECK(!s->pending, "%s: the creator's signal pending in it", what);
	CHECK(!s->handled_on, "%s: the creator's signal handled on it", what);
	CHECK(s->handled == 0, "%s: the creator's signal handled (%d)", what,
	      s->handled);
}

/*
 * The creator's pending SIGUSR1, sent to itself with pthread_kill() or
 * raise(), is not a new thread's.
 */
static void pending(bool by_raise)
{
	struct seen s = { 0 };
	pthread_attr_t attr;
	pthread_t t;

	atomic_store(&usr1_count, 0);
	set_mask(bit(SIGUSR1));
	if (by_raise)
		CHECK(raise(SIGUSR1) == 0, "raise");
	else
		CHECK(pthread_kill(pthread_self(), SIGUSR1) == 0, "kill");
	CHECK(atomic_load(&usr1_count) == 0, "a blocked signal ran");

	CHECK(pthread_attr_init(&attr) == 0, "attr_init");
	attr_mask(&attr, 0);
	CHECK(pthread_create(&t, &attr, let_in, &s) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	expect_not_seen(&s, "made with it unblocked");
	pthread_attr_destroy(&attr);

	memset(&s, 0, sizeof(s));
	CHECK(pthread_create(&t, NULL, unblock, &s) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	expect_not_seen(&s, "unblocking it");

	set_mask(0); /* runs it here, before returning */
	CHECK(atomic_load(&usr1_count) == 1, "handled %d times, not once",
	      atomic_load(&usr1_count));
	CHECK(pthread_equal(atomic_load(&usr1_on), pthread_self()),
	      "handled on another thread");
}

static void *pending_both(void *arg)
{
	(void)arg;
	pending(false);
	pending(true);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t t;

	watchdog(30);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	EXPECT_MASK(cur_mask(), 0, "initial");
	masks();
	pending_both(NULL);
	CHECK(pthread_create(&t, NULL, pending_both, NULL) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	printf("attr_sigmask: ok\n");
	return 0;
}
