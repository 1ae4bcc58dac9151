/*
 * Proves that a thread blocked in a system call does not stop the others:
 * for each call below, a blocker thread enters the call and, while it is
 * surely inside (its flag set right before the call, then 50 ms), two other
 * threads make 1,000 mutex + condvar ping-pong round trips; they must finish
 * while the blocker is still blocked (its flag set right after the call is
 * still clear).  Then the main thread releases the blocker, joins it and
 * checks what the call returned.  The calls:
 * - waitpid(), wait(), wait4() and waitid(P_PID, WEXITED) on a child that
 *   _exit(42)s once it reads a byte from a pipe;
 * - open(O_RDONLY) of a FIFO, until main opens it for writing and writes
 *   "hello", which the blocker reads before EOF;
 * - flock(LOCK_EX) while main holds the lock through another open file
 *   description, until main unlocks;
 * - fcntl(F_OFD_SETLKW) likewise against main's F_OFD_SETLK;
 * - fcntl(F_SETLKW) and lockf(F_LOCK) while a forked child holds a POSIX
 *   lock on the file, until the child reads a byte from a pipe and exits;
 * - system("sleep 0.3; exit 7"): the ping-pong must complete (not
 *   necessarily before system() returns) and the status is exit 7.
 * With one processor under the library, the ping-pong can only run if the
 * blocked thread's processor is handed to another kernel thread; without
 * that, the watchdog (60 s for the whole program) fails it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pingpong.h"

enum call {
	WAITPID,
	WAIT,
	WAIT4,
	WAITID,
	OPEN_FIFO,
	FLOCK,
	OFD_SETLKW,
	SETLKW,
	LOCKF,
	SYSTEM,
};

struct job {
	enum call call;
	const char *name;
	pid_t pid;	  /* the child to wait for */
	const char *path; /* the FIFO */
	int fd;		  /* the file to lock */
	pthread_t thread;
	long ret;
	int err;
	int status;
	siginfo_t info;
	char buf[16]; /* what was read from the FIFO */
	size_t len;
	int read_err;
};

static atomic_bool entered, returned;

static struct flock whole_file(short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	return fl;
}

/* Reads the FIFO to EOF (or a full buffer). */
static void read_fifo(struct job *j)
{
	ssize_t n;

	while (j->len < sizeof(j->buf)) {
		n = read((int)j->ret, j->buf + j->len, sizeof(j->buf) - j->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			j->read_err = errno;
		if (n <= 0)
			return;
		j->len += (size_t)n;
	}
}

static void *blocker(void *arg)
{
	struct job *j = arg;
	struct flock fl = whole_file(F_WRLCK);
	struct rusage ru;

	atomic_store(&entered, true);
	switch (j->call) {
	case WAITPID:
		j->ret = waitpid(j->pid, &j->status, 0);
		break;
	case WAIT:
		j->ret = wait(&j->status);
		break;
	case WAIT4:
		j->ret = wait4(j->pid, &j->status, 0, &ru);
		break;
	case WAITID:
		j->ret = waitid(P_PID, (id_t)j->pid, &j->info, WEXITED);
		break;
	case OPEN_FIFO:
		j->ret = open(j->path, O_RDONLY | O_CLOEXEC);
		break;
	case FLOCK:
		j->ret = flock(j->fd, LOCK_EX);
		break;
	case OFD_SETLKW:
		j->ret = fcntl(j->fd, F_OFD_SETLKW, &fl);
		break;
	case SETLKW:
		j->ret = fcntl(j->fd, F_SETLKW, &fl);
		break;
	case LOCKF:
		j->ret = lockf(j->fd, F_LOCK, 0);
		break;
	case SYSTEM:
		j->ret = system("sleep 0.3; exit 7");
		break;
	}
	j->err = errno;
	atomic_store(&returned, true);
	if (j->call == OPEN_FIFO && j->ret >= 0)
		read_fifo(j);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	CHECK(nanosleep(&ts, NULL) == 0, "nanosleep: %s", strerror(errno));
}

/* Starts the blocker and waits until it is surely inside its call. */
static void start(struct job *j)
{
	atomic_store(&entered, false);
	atomic_store(&returned, false);
	CHECK(pthread_create(&j->thread, NULL, blocker, j) == 0,
	      "%s: create blocker", j->name);
	CHECK(wait_until(atomic_load(&entered), 20), "%s: blocker never ran",
	      j->name);
	sleep_ms(50);
}

/* The others progress while the blocker stays blocked. */
static void progress(struct job *j)
{
	pingpong_run(j->name);
	CHECK(!atomic_load(&returned), "%s returned %ld before its release",
	      j->name, j->ret);
}

static void finish(struct job *j)
{
	CHECK(pthread_join(j->thread, NULL) == 0, "%s: join blocker", j->name);
	CHECK(atomic_load(&returned), "%s: blocker did not return", j->name);
}

/* A child that _exit(42)s when it reads a byte from *release. */
static pid_t spawn_waiter(int *release)
{
	int p[2];
	pid_t pid;
	ssize_t n;
	char c;

	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		watchdog(60);
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 42 : 1);
	}
	close(p[0]);
	*release = p[1];
	return pid;
}

static void release_byte(int fd, const char *what)
{
	CHECK(write(fd, "x", 1) == 1, "%s: release: %s", what, strerror(errno));
	CHECK(close(fd) == 0, "%s: close", what);
}

static void scenario_wait(enum call call, const char *name)
{
	struct job j = { .call = call, .name = name };
	int release;

	j.pid = spawn_waiter(&release);
	start(&j);
	progress(&j);
	release_byte(release, name);
	finish(&j);
	if (call == WAITID) {
		CHECK(j.ret == 0, "%s: %s", name, strerror(j.err));
		CHECK(j.info.si_pid == j.pid, "%s: si_pid %d, want %d", name,
		      (int)j.info.si_pid, (int)j.pid);
		CHECK(j.info.si_code == CLD_EXITED && j.info.si_status == 42,
		      "%s: si_code %d si_status %d, want exit 42", name,
		      j.info.si_code, j.info.si_status);
		return;
	}
	CHECK(j.ret == j.pid, "%s returned %ld (%s), want %d", name, j.ret,
	      j.ret < 0 ? strerror(j.err) : "", (int)j.pid);
	CHECK(WIFEXITED(j.status) && WEXITSTATUS(j.status) == 42,
	      "%s: status %#x, want exit 42", name, j.status);
}

/* Temporary paths, removed at exit if a check fails midway. */
static char dir[64], fifo[96], lockfile[64];

static void cleanup(void)
{
	if (fifo[0])
		unlink(fifo);
	if (dir[0])
		rmdir(dir);
	if (lockfile[0])
		unlink(lockfile);
}

static void scenario_fifo(void)
{
	struct job j = { .call = OPEN_FIFO, .name = "open(FIFO)" };
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/sprout-fifo-XXXXXX");
	CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	j.path = fifo;

	start(&j);
	progress(&j);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open(FIFO, O_WRONLY): %s", strerror(errno));
	CHECK(write(fd, "hello", 5) == 5, "write: %s", strerror(errno));
	CHECK(close(fd) == 0, "close");
	finish(&j);
	CHECK(j.ret >= 0, "open(FIFO, O_RDONLY): %s", strerror(j.err));
	CHECK(j.read_err == 0, "read(FIFO): %s", strerror(j.read_err));
	CHECK(j.len == 5 && memcmp(j.buf, "hello", 5) == 0,
	      "read %zu bytes \"%.*s\", want \"hello\" then EOF", j.len,
	      (int)j.len, j.buf);
	CHECK(close((int)j.ret) == 0, "close");

	CHECK(unlink(fifo) == 0, "unlink: %s", strerror(errno));
	fifo[0] = '\0';
	CHECK(rmdir(dir) == 0, "rmdir: %s", strerror(errno));
	dir[0] = '\0';
}

static int open_lockfile(void)
{
	int fd = open(lockfile, O_RDWR | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", lockfile, strerror(errno));
	return fd;
}

/* flock() or an OFD lock held by main through fd1; blocker on fd2. */
static void scenario_ofd(enum call call, const char *name, int fd1)
{
	struct job j = { .call = call, .name = name };
	struct flock fl = whole_file(F_WRLCK);
	int ret;

	j.fd = open_lockfile();
	if (call == FLOCK) {
		CHECK(flock(fd1, LOCK_EX) == 0, "flock: %s", strerror(errno));
		ret = flock(j.fd, LOCK_EX | LOCK_NB);
	} else {
		CHECK(fcntl(fd1, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK: %s",
		      strerror(errno));
		ret = fcntl(j.fd, F_OFD_SETLK, &fl);
	}
	CHECK(ret == -1 && (errno == EWOULDBLOCK || errno == EAGAIN),
	      "%s: the lock does not conflict (%d, %s)", name, ret,
	      strerror(errno));

	start(&j);
	progress(&j);
	if (call == FLOCK) {
		CHECK(flock(fd1, LOCK_UN) == 0, "unlock: %s", strerror(errno));
	} else {
		fl = whole_file(F_UNLCK);
		CHECK(fcntl(fd1, F_OFD_SETLK, &fl) == 0, "unlock: %s",
		      strerror(errno));
	}
	finish(&j);
	CHECK(j.ret == 0, "%s returned %ld: %s", name, j.ret, strerror(j.err));
	CHECK(close(j.fd) == 0, "close");
}

/* A child that holds a POSIX lock on the file until it reads a byte. */
static pid_t spawn_holder(int *release)
{
	struct flock fl = whole_file(F_WRLCK);
	int go[2], ready[2], fd;
	pid_t pid;
	ssize_t n;
	char c;

	CHECK(pipe2(go, O_CLOEXEC) == 0 && pipe2(ready, O_CLOEXEC) == 0,
	      "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		watchdog(60);
		close(go[1]);
		close(ready[0]);
		fd = open(lockfile, O_RDWR);
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0)
			_exit(2);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		do
			n = read(go[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 4);
	}
	close(go[0]);
	close(ready[1]);
	do
		n = read(ready[0], &c, 1);
	while (n < 0 && errno == EINTR);
	CHECK(n == 1, "the lock holder did not take its lock");
	close(ready[0]);
	*release = go[1];
	return pid;
}

static void scenario_posix(enum call call, const char *name)
{
	struct job j = { .call = call, .name = name };
	struct flock fl = whole_file(F_WRLCK);
	int release, status, ret;
	pid_t holder;

	holder = spawn_holder(&release);
	j.fd = open_lockfile();
	if (call == SETLKW)
		ret = fcntl(j.fd, F_SETLK, &fl);
	else
		ret = lockf(j.fd, F_TEST, 0);
	CHECK(ret == -1 && (errno == EAGAIN || errno == EACCES),
	      "%s: the child's lock does not conflict (%d, %s)", name, ret,
	      strerror(errno));

	start(&j);
	progress(&j);
	release_byte(release, name);
	finish(&j);
	CHECK(j.ret == 0, "%s returned %ld: %s", name, j.ret, strerror(j.err));
	CHECK(waitpid(holder, &status, 0) == holder, "waitpid: %s",
	      strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "lock holder status %#x", status);
	if (call == SETLKW) {
		fl = whole_file(F_UNLCK);
		CHECK(fcntl(j.fd, F_SETLK, &fl) == 0, "unlock: %s",
		      strerror(errno));
	} else {
		CHECK(lockf(j.fd, F_ULOCK, 0) == 0, "unlock: %s",
		      strerror(errno));
	}
	CHECK(close(j.fd) == 0, "close");
}

static void scenario_system(void)
{
	struct job j = { .call = SYSTEM, .name = "system()" };

	start(&j);
	/* Whether system() is still running here depends on the load. */
	pingpong_run(j.name);
	finish(&j);
	CHECK(j.ret != -1, "system: %s", strerror(j.err));
	CHECK(WIFEXITED(j.ret) && WEXITSTATUS(j.ret) == 7,
	      "system: status %#lx, want exit 7", j.ret);
}

int main(void)
{
	int fd;

	watchdog(60);
	atexit(cleanup);

	scenario_wait(WAITPID, "waitpid()");
	scenario_wait(WAIT, "wait()");
	scenario_wait(WAIT4, "wait4()");
	scenario_wait(WAITID, "waitid()");

	scenario_fifo();

	snprintf(lockfile, sizeof(lockfile), "/tmp/sprout-lock-XXXXXX");
	fd = mkostemp(lockfile, O_CLOEXEC);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	scenario_ofd(FLOCK, "flock()", fd);
	scenario_ofd(OFD_SETLKW, "fcntl(F_OFD_SETLKW)", fd);
	CHECK(close(fd) == 0, "close");
	scenario_posix(SETLKW, "fcntl(F_SETLKW)");
	scenario_posix(LOCKF, "lockf(F_LOCK)");
	CHECK(unlink(lockfile) == 0, "unlink: %s", strerror(errno));
	lockfile[0] = '\0';

	scenario_system();
	return 0;
}
