/*
 * Proves that process-shared robust mutexes see their owner die across
 * processes, with glibc's lock word, as the kernel's robust-list walk
 * leaves it:
 * - a child that locks one and ends (exit(), _exit(), SIGKILL, execve())
 *   leaves it to the parent with EOWNERDEAD; the lock word then has
 *   FUTEX_OWNER_DIED set and no owner's thread id;
 * - a parent blocked on the mutex while the child holds it wakes with
 *   EOWNERDEAD when the child dies;
 * - a thread of the child that ends holding it, while the child lives
 *   on, also leaves it with EOWNERDEAD to the parent;
 * - while the child holds it the lock word names one of the child's
 *   kernel threads (/proc/CHILD/task/TID), and the parent's trylock gives
 *   EBUSY; the child's trylock of one the parent holds gives EBUSY too;
 * - after pthread_mutex_consistent() and unlock, it works for both again.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"

struct shared {
	pthread_mutex_t m, held;
	sem_t locked, go;
};

static struct shared *sh;
static const char *self_path;

static void init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	CHECK(pthread_mutexattr_init(&a) == 0, "attr");
	CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0,
	      "setrobust");
	CHECK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) == 0,
	      "setpshared");
	CHECK(pthread_mutex_init(m, &a) == 0, "init");
	pthread_mutexattr_destroy(&a);
}

enum death { EXIT, UNDERSCORE_EXIT, KILLED, EXEC, THREAD, NDEATHS };

static const char *names[] = { "exit", "_exit", "SIGKILL", "execve",
			       "thread exit" };

static void *thread_holder(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&sh->m) == 0, "thread lock");
	return NULL;
}

static void child(enum death d)
{
	pthread_t t;

	/* The parent holds this one. */
	CHECK(pthread_mutex_trylock(&sh->held) == EBUSY, "child trylock");
	if (d == THREAD) {
		CHECK(pthread_create(&t, NULL, thread_holder, NULL) == 0,
		      "create");
		CHECK(pthread_join(t, NULL) == 0, "join");
		sem_post(&sh->locked);
		sem_wait20(&sh->go, "go");
		_exit(0);
	}
	CHECK(pthread_mutex_lock(&sh->m) == 0, "child lock");
	sem_post(&sh->locked);
	while (d == KILLED)
		pause(); /* never told to go */
	sem_wait20(&sh->go, "go");
	switch (d) {
	case EXIT:
		exit(0);
	case UNDERSCORE_EXIT:
		_exit(0);
	case EXEC:
		execl("/proc/self/exe", self_path, "exec-child", (char *)NULL);
		CHECK(0, "execl: %s", strerror(errno));
	default:
		break;
	}
	_exit(2);
}

static void one(enum death d, bool blocked)
{
	unsigned int word;
	char path[64];
	pid_t pid;
	int st;

	init_mutex(&sh->m);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		child(d);
	sem_wait20(&sh->locked, "the child's lock");
	if (d != THREAD) {
		word = (unsigned int)sh->m.__data.__lock;
		snprintf(path, sizeof(path), "/proc/%d/task/%u", pid,
			 word & FUTEX_TID_MASK);
		CHECK(access(path, F_OK) == 0,
		      "%s: lock word %#x names no thread of the child",
		      names[d], word);
		CHECK(pthread_mutex_trylock(&sh->m) == EBUSY, "trylock");
	}
	/* Killed while it waits: a post might outlive it, for the next. */
	if (d == KILLED)
		kill(pid, SIGKILL);
	else
		sem_post(&sh->go);
	if (blocked) {
		/* Wait in the lock while the child goes. */
		struct timespec ts = deadline_in(CLOCK_REALTIME, 20000);

		CHECK(pthread_mutex_timedlock(&sh->m, &ts) == EOWNERDEAD,
		      "%s: blocked lock", names[d]);
		st = child_status(pid, names[d]);
	} else {
		st = child_status(pid, names[d]);
		word = (unsigned int)sh->m.__data.__lock;
		CHECK((word & FUTEX_OWNER_DIED) && !(word & FUTEX_TID_MASK),
		      "%s: lock word %#x", names[d], word);
		CHECK(pthread_mutex_lock(&sh->m) == EOWNERDEAD, "%s: lock",
		      names[d]);
	}
	if (d == KILLED)
		CHECK(WIFSIGNALED(st), "%s: status %#x", names[d], st);
	else
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %#x",
		      names[d], st);
	CHECK(pthread_mutex_consistent(&sh->m) == 0, "consistent");
	CHECK(pthread_mutex_unlock(&sh->m) == 0, "unlock");
	CHECK(pthread_mutex_lock(&sh->m) == 0, "relock");
	CHECK(pthread_mutex_unlock(&sh->m) == 0, "unlock");
	CHECK(pthread_mutex_destroy(&sh->m) == 0, "destroy");
}

int main(int argc, char **argv)
{
	int d;

	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return 0; /* the image execve() gave the child */
	self_path = argv[0];
	watchdog(120);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED, "mmap");
	CHECK(sem_init(&sh->locked, 1, 0) == 0, "sem_init");
	CHECK(sem_init(&sh->go, 1, 0) == 0, "sem_init");
	init_mutex(&sh->held);
	CHECK(pthread_mutex_lock(&sh->held) == 0, "lock held");
	for (d = 0; d < NDEATHS; d++) {
		one((enum death)d, false);
		one((enum death)d, true);
	}
	CHECK(pthread_mutex_unlock(&sh->held) == 0, "unlock held");
	return 0;
}
