/*
 * Proves that deferred cancellation (the default type) acts at each
 * cancellation point a program can reach, and only there.
 * - Blocked: for each call of the table points[], a target thread sets a
 *   key (whose destructor counts), pushes a cleanup handler (which
 *   counts), says it is about to block (a semaphore posted right before
 *   the call) and blocks in the call; 50 ms later main cancels it. The
 *   join gives PTHREAD_CANCELED within 10 s, the handler and the key's
 *   destructor ran exactly once, nothing after the call ran. The handler
 *   of a condvar wait runs with the mutex held again (locking the
 *   errorcheck mutex says EDEADLK) and unlocks it.
 * - At entry: the same calls, and a few that would return at once (data
 *   waiting, a posted semaphore, zero timeouts, pthread_testcancel), are
 *   reached with the cancel already pending (the target waits for it in
 *   pthread_mutex_lock, which is not a cancellation point): each acts on
 *   it when entered.
 * - A cancel sent while the target has cancellation disabled (sent twice:
 *   both return 0) does not end its sem_wait, which returns 0 when main
 *   posts; the target is cancelled once it enables cancellation again and
 *   reaches nanosleep.
 * - pthread_cancel of a thread that has exited but is not joined returns
 *   0, and the join gives the thread's own return value.
 * - A cancelled join leaves its target joinable (main joins it at the
 *   end, and gets its value); a cancelled wait leaves the child to its
 *   parent (main reaps it, killed by main's SIGKILL).
 * - After each case as many fds are open as before it (/proc/self/fd).
 * Every wait is bounded (10 s per join of a target; 50 s watchdog).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "check.h"

#define LONG_S	 60 /* how long a call would wait if not cancelled */
#define JOIN_MS	 10000
#define RETURNED ((void *)1) /* the target's value if its call returned */
#define FOREVER	 ((void *)2) /* the value of the thread joined at the end */

/* What the calls of the table wait on; release() resets it after each. */
static struct {
	int pipe[2]; /* read end empty, or holding a byte; or write end full */
	int tcp[2];  /* a connected pair on 127.0.0.1: [0] client, [1] server */
	int listener; /* its listening socket, with no pending connection */
	int unix_[2]; /* a socketpair */
	int ep;	      /* an epoll fd watching pipe[0] */
	pid_t child;  /* a child that sleeps LONG_S */
	int msq;      /* a System V message queue */
	char dir[64]; /* a temporary directory holding a FIFO */
	char fifo[80];
} r = { { -1, -1 }, { -1, -1 }, -1, { -1, -1 }, -1, 0, -1, "", "" };

static pthread_mutex_t mu = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem;	  /* 0, or 1 for a semaphore that is posted */
static pthread_t forever; /* lives until the end: the join target */
static sem_t forever_end;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER; /* at entry */
static pthread_key_t key;
static atomic_int cleanups, destructors;

static struct timespec in_long(clockid_t clk)
{
	return deadline_in(clk, LONG_S * 1000);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		CHECK(close(*fd) == 0, "close %d: %s", *fd, strerror(errno));
	*fd = -1;
}

/* Undo whatever the setup of a row made. */
static void release(void)
{
	int st;

	close_fd(&r.pipe[0]);
	close_fd(&r.pipe[1]);
	close_fd(&r.tcp[0]);
	close_fd(&r.tcp[1]);
	close_fd(&r.listener);
	close_fd(&r.unix_[0]);
	close_fd(&r.unix_[1]);
	close_fd(&r.ep);
	if (r.child > 0) {
		CHECK(kill(r.child, SIGKILL) == 0, "kill: %s", strerror(errno));
		st = child_status(r.child, "the sleeping child");
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		      "the child was reaped by the cancelled wait (status %#x)",
		      st);
		r.child = 0;
	}
	if (r.msq >= 0)
		CHECK(msgctl(r.msq, IPC_RMID, NULL) == 0, "msgctl: %s",
		      strerror(errno));
	r.msq = -1;
	if (r.fifo[0] != '\0') {
		CHECK(unlink(r.fifo) == 0 && rmdir(r.dir) == 0, "rm %s: %s",
		      r.fifo, strerror(errno));
		r.fifo[0] = '\0';
	}
	while (sem_trywait(&sem) == 0)
		;
}

/* Setups: 0, or -1 with errno set to skip the row. */

static int setup_pipe(void)
{
	return pipe2(r.pipe, O_CLOEXEC);
}

static int setup_pipe_data(void)
{
	if (setup_pipe() != 0)
		return -1;
	return write(r.pipe[1], "x", 1) == 1 ? 0 : -1;
}

/* A pipe with no room left for even one byte. */
static int setup_pipe_full(void)
{
	static char chunk[65536];
	int fl;

	if (setup_pipe() != 0)
		return -1;
	fl = fcntl(r.pipe[1], F_GETFL);
	CHECK(fcntl(r.pipe[1], F_SETFL, fl | O_NONBLOCK) == 0, "F_SETFL");
	while (write(r.pipe[1], chunk, sizeof(chunk)) > 0)
		;
	while (write(r.pipe[1], chunk, 1) == 1)
		;
	CHECK(errno == EAGAIN, "filling the pipe: %s", strerror(errno));
	CHECK(fcntl(r.pipe[1], F_SETFL, fl) == 0, "F_SETFL");
	return 0;
}

static int setup_sem_posted(void)
{
	return sem_post(&sem);
}

static int setup_tcp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	r.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(r.listener >= 0, "socket: %s", strerror(errno));
	CHECK(bind(r.listener, (struct sockaddr *)&sa, len) == 0 &&
		      listen(r.listener, 1) == 0 &&
		      getsockname(r.listener, (struct sockaddr *)&sa, &len) ==
			      0,
	      "listen on 127.0.0.1: %s", strerror(errno));
	r.tcp[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(r.tcp[0] >= 0, "socket: %s", strerror(errno));
	CHECK(connect(r.tcp[0], (struct sockaddr *)&sa, len) == 0,
	      "connect: %s", strerror(errno));
	r.tcp[1] = accept4(r.listener, NULL, NULL, SOCK_CLOEXEC);
	CHECK(r.tcp[1] >= 0, "accept: %s", strerror(errno));
	return 0;
}

static int setup_tcp_data(void)
{
	setup_tcp();
	return send(r.tcp[0], "x", 1, 0) == 1 ? 0 : -1;
}

static int setup_unix(void)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r.unix_);
}

static int setup_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (setup_pipe() != 0)
		return -1;
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (r.ep < 0)
		return -1;
	return epoll_ctl(r.ep, EPOLL_CTL_ADD, r.pipe[0], &ev);
}

static int setup_child(void)
{
	r.child = fork();
	CHECK(r.child >= 0, "fork: %s", strerror(errno));
	if (r.child == 0) {
		sleep(LONG_S);
		_exit(0);
	}
	return 0;
}

static int setup_msq(void)
{
	r.msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	return r.msq < 0 ? -1 : 0;
}

static int setup_fifo(void)
{
	strcpy(r.dir, "/tmp/cancel_points.XXXXXX");
	CHECK(mkdtemp(r.dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(r.fifo, sizeof(r.fifo), "%s/fifo", r.dir);
	CHECK(mkfifo(r.fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	return 0;
}

/* The calls: each waits (or returns at once, for the rows that say so). */

static char byte, buf[4096];
static struct iovec iov_byte = { &byte, 1 }, iov_buf = { buf, sizeof(buf) };

static long do_sleep(void)
{
	return sleep(LONG_S);
}

static long do_usleep(void)
{
	return usleep(LONG_S * 1000000u);
}

static long do_nanosleep(void)
{
	struct timespec ts = { LONG_S, 0 };

	return nanosleep(&ts, NULL);
}

static long do_nanosleep_0(void)
{
	struct timespec ts = { 0, 0 };

	return nanosleep(&ts, NULL);
}

static long do_clock_nanosleep(void)
{
	struct timespec ts = { LONG_S, 0 };

	return clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static long do_clock_nanosleep_abs(void)
{
	struct timespec ts = in_long(CLOCK_REALTIME);

	return clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
}

/* A condvar wait: on a spurious wakeup, wait again. */
static long cond_wait_as(int how)
{
	struct timespec rt = in_long(CLOCK_REALTIME);
	struct timespec mono = in_long(CLOCK_MONOTONIC);
	int err;

	CHECK(pthread_mutex_lock(&mu) == 0, "lock");
	do {
		if (how == 0)
			err = pthread_cond_wait(&cv, &mu);
		else if (how == 1)
			err = pthread_cond_timedwait(&cv, &mu, &rt);
		else
			err = pthread_cond_clockwait(&cv, &mu, CLOCK_MONOTONIC,
						     &mono);
	} while (err == 0);
	CHECK(pthread_mutex_unlock(&mu) == 0, "unlock");
	return err;
}

static long do_cond_wait(void)
{
	return cond_wait_as(0);
}

static long do_cond_timedwait(void)
{
	return cond_wait_as(1);
}

static long do_cond_clockwait(void)
{
	return cond_wait_as(2);
}

/* The cleanup handler of a condvar wait: the mutex is held again. */
static const char *holds_mutex(void)
{
	int err = pthread_mutex_lock(&mu);

	if (err == 0) {
		pthread_mutex_unlock(&mu);
		return "the handler ran without the mutex (lock gave 0)";
	}
	if (err != EDEADLK)
		return "locking the mutex in the handler did not say EDEADLK";
	if (pthread_mutex_unlock(&mu) != 0)
		return "the handler could not unlock the mutex";
	return NULL;
}

static long do_sem_wait(void)
{
	return sem_wait(&sem);
}

static long do_sem_timedwait(void)
{
	struct timespec ts = in_long(CLOCK_REALTIME);

	return sem_timedwait(&sem, &ts);
}

static long do_sem_clockwait(void)
{
	struct timespec ts = in_long(CLOCK_MONOTONIC);

	return sem_clockwait(&sem, CLOCK_MONOTONIC, &ts);
}

static long do_join(void)
{
	return pthread_join(forever, NULL);
}

static long do_timedjoin(void)
{
	struct timespec ts = in_long(CLOCK_REALTIME);

	return pthread_timedjoin_np(forever, NULL, &ts);
}

static long do_clockjoin(void)
{
	struct timespec ts = in_long(CLOCK_MONOTONIC);

	return pthread_clockjoin_np(forever, NULL, CLOCK_MONOTONIC, &ts);
}

static long do_read_pipe(void)
{
	return read(r.pipe[0], &byte, 1);
}

static long do_readv_pipe(void)
{
	return readv(r.pipe[0], &iov_byte, 1);
}

static long do_write_pipe(void)
{
	return write(r.pipe[1], buf, sizeof(buf));
}

static long do_writev_pipe(void)
{
	return writev(r.pipe[1], &iov_buf, 1);
}

static long do_recv(void)
{
	return recv(r.tcp[1], &byte, 1, 0);
}

static long do_recvfrom(void)
{
	return recvfrom(r.tcp[1], &byte, 1, 0, NULL, NULL);
}

static long do_recvmsg(void)
{
	struct msghdr mh = { .msg_iov = &iov_byte, .msg_iovlen = 1 };

	return recvmsg(r.tcp[1], &mh, 0);
}

static long do_accept(void)
{
	return accept(r.listener, NULL, NULL);
}

static long do_accept4(void)
{
	return accept4(r.listener, NULL, NULL, SOCK_CLOEXEC);
}

static long do_read_unix(void)
{
	return read(r.unix_[0], &byte, 1);
}

static long do_poll(void)
{
	struct pollfd pfd = { r.pipe[0], POLLIN, 0 };

	return poll(&pfd, 1, LONG_S * 1000);
}

static long do_poll_0(void)
{
	struct pollfd pfd = { r.pipe[0], POLLIN, 0 };

	return poll(&pfd, 1, 0);
}

static long do_ppoll(void)
{
	struct pollfd pfd = { r.pipe[0], POLLIN, 0 };
	struct timespec ts = { LONG_S, 0 };

	return ppoll(&pfd, 1, &ts, NULL);
}

static long do_select(void)
{
	struct timeval tv = { LONG_S, 0 };
	fd_set set;

	FD_ZERO(&set);
	FD_SET(r.pipe[0], &set);
	return select(r.pipe[0] + 1, &set, NULL, NULL, &tv);
}

static long do_pselect(void)
{
	struct timespec ts = { LONG_S, 0 };
	fd_set set;

	FD_ZERO(&set);
	FD_SET(r.pipe[0], &set);
	return pselect(r.pipe[0] + 1, &set, NULL, NULL, &ts, NULL);
}

static long do_epoll_wait(void)
{
	struct epoll_event ev;

	return epoll_wait(r.ep, &ev, 1, LONG_S * 1000);
}

static long do_epoll_pwait(void)
{
	struct epoll_event ev;

	return epoll_pwait(r.ep, &ev, 1, LONG_S * 1000, NULL);
}

static long do_pause(void)
{
	return pause();
}

static long do_sigsuspend(void)
{
	sigset_t mask;

	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	return sigsuspend(&mask);
}

/* SIGUSR2, blocked in the target, and never sent. */
static sigset_t *usr2_blocked(void)
{
	static sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0, "sigmask");
	return &set;
}

static long do_sigwait(void)
{
	int sig;

	return sigwait(usr2_blocked(), &sig);
}

static long do_sigwaitinfo(void)
{
	return sigwaitinfo(usr2_blocked(), NULL);
}

static long do_sigtimedwait(void)
{
	struct timespec ts = { LONG_S, 0 };

	return sigtimedwait(usr2_blocked(), NULL, &ts);
}

static long do_waitpid(void)
{
	return waitpid(r.child, NULL, 0);
}

static long do_wait(void)
{
	return wait(NULL);
}

static long do_waitid(void)
{
	siginfo_t si;

	return waitid(P_PID, r.child, &si, WEXITED);
}

static long do_msgrcv(void)
{
	struct {
		long type;
		char text[16];
	} msg;

	return msgrcv(r.msq, &msg, sizeof(msg.text), 0, 0);
}

static long do_open_fifo(void)
{
	int fd = open(r.fifo, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static long do_testcancel(void)
{
	pthread_testcancel();
	return 0;
}

struct point {
	const char *name;
	int (*setup)(void); /* NULL, or 0 / -1 and errno to skip the row */
	long (*call)(void);
	const char *(*in_handler)(void); /* the cleanup handler's check */
	bool returns; /* returns at once if not cancelled: at entry only */
};

static const struct point points[] = {
	{ "sleep", .call = do_sleep },
	{ "usleep", .call = do_usleep },
	{ "nanosleep", .call = do_nanosleep },
	{ "clock_nanosleep", .call = do_clock_nanosleep },
	{ "clock_nanosleep abs", .call = do_clock_nanosleep_abs },
	{ "pthread_cond_wait", .call = do_cond_wait,
	  .in_handler = holds_mutex },
	{ "pthread_cond_timedwait", .call = do_cond_timedwait,
	  .in_handler = holds_mutex },
	{ "pthread_cond_clockwait", .call = do_cond_clockwait,
	  .in_handler = holds_mutex },
	{ "sem_wait", .call = do_sem_wait },
	{ "sem_timedwait", .call = do_sem_timedwait },
	{ "sem_clockwait", .call = do_sem_clockwait },
	{ "pthread_join", .call = do_join },
	{ "pthread_timedjoin_np", .call = do_timedjoin },
	{ "pthread_clockjoin_np", .call = do_clockjoin },
	{ "read pipe", .setup = setup_pipe, .call = do_read_pipe },
	{ "readv pipe", .setup = setup_pipe, .call = do_readv_pipe },
	{ "write full pipe", .setup = setup_pipe_full, .call = do_write_pipe },
	{ "writev full pipe", .setup = setup_pipe_full,
	  .call = do_writev_pipe },
	{ "recv tcp", .setup = setup_tcp, .call = do_recv },
	{ "recvfrom tcp", .setup = setup_tcp, .call = do_recvfrom },
	{ "recvmsg tcp", .setup = setup_tcp, .call = do_recvmsg },
	{ "accept tcp", .setup = setup_tcp, .call = do_accept },
	{ "accept4 tcp", .setup = setup_tcp, .call = do_accept4 },
	{ "read socketpair", .setup = setup_unix, .call = do_read_unix },
	{ "poll", .setup = setup_pipe, .call = do_poll },
	{ "ppoll", .setup = setup_pipe, .call = do_ppoll },
	{ "select", .setup = setup_pipe, .call = do_select },
	{ "pselect", .setup = setup_pipe, .call = do_pselect },
	{ "epoll_wait", .setup = setup_epoll, .call = do_epoll_wait },
	{ "epoll_pwait", .setup = setup_epoll, .call = do_epoll_pwait },
	{ "pause", .call = do_pause },
	{ "sigsuspend", .call = do_sigsuspend },
	{ "sigwait", .call = do_sigwait },
	{ "sigwaitinfo", .call = do_sigwaitinfo },
	{ "sigtimedwait", .call = do_sigtimedwait },
	{ "waitpid", .setup = setup_child, .call = do_waitpid },
	{ "wait", .setup = setup_child, .call = do_wait },
	{ "waitid", .setup = setup_child, .call = do_waitid },
	{ "msgrcv", .setup = setup_msq, .call = do_msgrcv },
	{ "open fifo", .setup = setup_fifo, .call = do_open_fifo },
	/* Calls that would return at once: cancelled on entry all the same. */
	{ "pthread_testcancel", .call = do_testcancel, .returns = true },
	{ "nanosleep 0", .call = do_nanosleep_0, .returns = true },
	{ "sem_wait posted", .setup = setup_sem_posted, .call = do_sem_wait,
	  .returns = true },
	{ "read pipe with data", .setup = setup_pipe_data, .call = do_read_pipe,
	  .returns = true },
	{ "recv with data", .setup = setup_tcp_data, .call = do_recv,
	  .returns = true },
	{ "poll 0", .setup = setup_pipe, .call = do_poll_0, .returns = true },
};

enum mode { BLOCKED, AT_ENTRY };
static const char *const mode_name[] = { "blocked", "at entry" };

struct run {
	const struct point *pt; /* NULL for the cases outside the table */
	enum mode mode;
	sem_t about_to_block;
	atomic_int stage; /* how far the target got */
	long ret;	  /* what its call returned, if it did */
	int err;
	const char *handler_fail;
};

static void on_cleanup(void *arg)
{
	struct run *run = arg;

	atomic_fetch_add(&cleanups, 1);
	if (run->pt != NULL && run->pt->in_handler != NULL)
		run->handler_fail = run->pt->in_handler();
}

static void on_key_destroyed(void *value)
{
	(void)value;
	atomic_fetch_add(&destructors, 1);
}

static void *target(void *arg)
{
	struct run *run = arg;

	CHECK(pthread_setspecific(key, run) == 0, "setspecific");
	pthread_cleanup_push(on_cleanup, run);
	CHECK(sem_post(&run->about_to_block) == 0, "sem_post");
	if (run->mode == AT_ENTRY) {
		/* Not a cancellation point: main cancels, then unlocks. */
		CHECK(pthread_mutex_lock(&gate) == 0, "lock gate");
		CHECK(pthread_mutex_unlock(&gate) == 0, "unlock gate");
	}
	errno = 0;
	run->ret = run->pt->call();
	run->err = errno;
	pthread_cleanup_pop(0);
	return RETURNED;
}

static pthread_t start(void *(*fn)(void *), struct run *run)
{
	pthread_t t;
	int err;

	atomic_store(&cleanups, 0);
	atomic_store(&destructors, 0);
	CHECK(sem_init(&run->about_to_block, 0, 0) == 0, "sem_init");
	err = pthread_create(&t, NULL, fn, run);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	sem_wait20(&run->about_to_block, "the target about to block");
	return t;
}

/* The value the target ended with, failing if it has not in 10 s. */
static void *join(pthread_t t, const char *what)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, JOIN_MS);
	void *res;
	int err = pthread_timedjoin_np(t, &res, &ts);

	CHECK(err == 0, "%s: not ended %d s after pthread_cancel (%s)", what,
	      JOIN_MS / 1000, strerror(err));
	return res;
}

static void cancel(pthread_t t, const char *what)
{
	int err = pthread_cancel(t);

	CHECK(err == 0, "%s: pthread_cancel: %s", what, strerror(err));
}

static void check_cleaned(const char *what)
{
	CHECK(atomic_load(&cleanups) == 1, "%s: %d cleanup handlers ran", what,
	      atomic_load(&cleanups));
	CHECK(atomic_load(&destructors) == 1, "%s: %d key destructors ran",
	      what, atomic_load(&destructors));
}

static void run_point(const struct point *pt, enum mode mode)
{
	struct run run = { .pt = pt, .mode = mode };
	int fds = count_fds();
	char what[80];
	pthread_t t;
	void *res;

	snprintf(what, sizeof(what), "%s (%s)", pt->name, mode_name[mode]);
	if (pt->setup != NULL && pt->setup() != 0) {
		printf("%s: skipped: %s\n", what, strerror(errno));
		release();
		return;
	}
	if (mode == AT_ENTRY)
		CHECK(pthread_mutex_lock(&gate) == 0, "lock gate");
	t = start(target, &run);
	if (mode == BLOCKED)
		nap_ms(50);
	cancel(t, what);
	if (mode == AT_ENTRY)
		CHECK(pthread_mutex_unlock(&gate) == 0, "unlock gate");
	res = join(t, what);
	CHECK(res == PTHREAD_CANCELED,
	      "%s: the call returned %ld (%s) instead of being cancelled", what,
	      run.ret, strerror(run.err));
	check_cleaned(what);
	CHECK(run.handler_fail == NULL, "%s: %s", what, run.handler_fail);
	CHECK(pthread_mutex_trylock(&mu) == 0 && pthread_mutex_unlock(&mu) == 0,
	      "%s: the condvar's mutex is left locked", what);
	sem_destroy(&run.about_to_block);
	release();
	CHECK(count_fds() == fds, "%s: %d fds open before, %d after", what, fds,
	      count_fds());
}

static void *disabled_target(void *arg)
{
	struct run *run = arg;
	struct timespec ts = { LONG_S, 0 };
	int old;

	CHECK(pthread_setspecific(key, run) == 0, "setspecific");
	CHECK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old) == 0 &&
		      old == PTHREAD_CANCEL_ENABLE,
	      "disable");
	pthread_cleanup_push(on_cleanup, run);
	atomic_store(&run->stage, 1);
	CHECK(sem_post(&run->about_to_block) == 0, "sem_post");
	run->ret = sem_wait(&sem);
	atomic_store(&run->stage, 2);
	CHECK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old) == 0 &&
		      old == PTHREAD_CANCEL_DISABLE,
	      "enable");
	atomic_store(&run->stage, 3);
	nanosleep(&ts, NULL);
	atomic_store(&run->stage, 4);
	pthread_cleanup_pop(0);
	return RETURNED;
}

static void run_disabled(void)
{
	const char *what = "cancel while disabled";
	struct run run = { 0 };
	pthread_t t = start(disabled_target, &run);

	nap_ms(50);
	cancel(t, what);
	cancel(t, what);
	nap_ms(50);
	CHECK(atomic_load(&run.stage) == 1,
	      "%s: sem_wait ended (stage %d) before its post", what,
	      atomic_load(&run.stage));
	CHECK(sem_post(&sem) == 0, "sem_post");
	CHECK(join(t, what) == PTHREAD_CANCELED, "%s: not cancelled (stage %d)",
	      what, atomic_load(&run.stage));
	CHECK(run.ret == 0, "%s: sem_wait returned %ld", what, run.ret);
	CHECK(atomic_load(&run.stage) == 3, "%s: cancelled at stage %d", what,
	      atomic_load(&run.stage));
	check_cleaned(what);
	sem_destroy(&run.about_to_block);
}

static void *exiting_target(void *arg)
{
	CHECK(pthread_setspecific(key, arg) == 0, "setspecific");
	CHECK(sem_post(&((struct run *)arg)->about_to_block) == 0, "sem_post");
	return (void *)42;
}

static void run_exited(void)
{
	const char *what = "cancel of an exited thread";
	struct run run = { 0 };
	pthread_t t = start(exiting_target, &run);

	/* Its key's destructor is about the last thing it runs. */
	CHECK(wait_until(atomic_load(&destructors) == 1, 10),
	      "%s: the key's destructor did not run", what);
	nap_ms(100);
	cancel(t, what);
	CHECK(join(t, what) == (void *)42, "%s: joined with another value",
	      what);
	CHECK(atomic_load(&cleanups) == 0, "%s: a cleanup handler ran", what);
	sem_destroy(&run.about_to_block);
}

static void *wait_for_end(void *arg)
{
	(void)arg;
	while (sem_wait(&forever_end) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	return FOREVER;
}

/* The netpoller of a library may open fds of its own, once. */
static void warm_up(void)
{
	struct pollfd pfd = { -1, POLLIN, 0 };
	int p[2];

	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	pfd.fd = p[0];
	CHECK(poll(&pfd, 1, 1) == 0, "poll: %s", strerror(errno));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	size_t i;
	void *res;
	int err;

	watchdog(50);
	CHECK(sem_init(&sem, 0, 0) == 0 && sem_init(&forever_end, 0, 0) == 0,
	      "sem_init");
	CHECK(pthread_key_create(&key, on_key_destroyed) == 0, "key_create");
	err = pthread_create(&forever, NULL, wait_for_end, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	warm_up();

	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		if (!points[i].returns)
			run_point(&points[i], BLOCKED);
		run_point(&points[i], AT_ENTRY);
	}
	run_disabled();
	run_exited();

	CHECK(sem_post(&forever_end) == 0, "sem_post");
	err = pthread_join(forever, &res);
	CHECK(err == 0 && res == FOREVER,
	      "the target of the cancelled joins: %s, value %p", strerror(err),
	      res);
	printf("%zu cancellation points, blocked and at entry\n", i);
	return 0;
}
