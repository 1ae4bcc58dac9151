/*
 * reaper PROGRAM [ARG...]: run a test and fail it if it leaves a process
 * behind.
 *
 * The reaper makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so
 * that every process the test starts and abandons is re-parented to it
 * rather than to init. It runs PROGRAM, waits for it, then gives the test's
 * other processes a moment (GRACE_MS) to end by themselves. Any still there
 * are named on stderr, killed with SIGKILL (and their own children after
 * them), and the test fails with status 1. Otherwise the reaper ends as
 * PROGRAM did: the same exit status (77 = skip) or the same signal.
 *
 * SIGTERM, SIGINT and SIGHUP (meson's timeout) go to PROGRAM, which gets
 * 100 ms before SIGKILL; the leftovers are then killed at once, with no
 * grace period: meson sends SIGKILL to the process group 500 ms later, and
 * what the test moved out of the group (timeout(1) does) would outlive it.
 *
 * Linked statically: the test's environment (LD_PRELOAD of the shim) is
 * meant for PROGRAM, not for the reaper.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Long enough for a process a test abandons on purpose to end by itself:
 * CPython's test_subprocess times out `sh -c 'sleep 3'` and leaves the
 * sleep to finish. A test whose processes are gone pays nothing.
 */
#define GRACE_MS 5000

static volatile sig_atomic_t child_pid, stopped;

static void forward(int sig)
{
	stopped = sig;
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reap every child that has ended; the number reaped. */
static int reap_ended(void)
{
	int n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		n++;
	return n;
}

/* The parent of pid from /proc/pid/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return -1;
	if (p[2] == 'Z')
		return -1; /* a zombie: waitpid() takes it */
	return (pid_t)atol(p + 4);
}

/* Read the file at path into out (len - 1 bytes at most): its length, or 0. */
static ssize_t read_file(const char *path, char *out, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, out, len - 1);
	close(fd);
	return n > 0 ? n : 0;
}

static void describe(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_file(path, out, len);
	if (n == 0) {
		snprintf(out, len, "?");
		return;
	}
	if (out[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (out[i] == '\0' || !isprint((unsigned char)out[i]))
			out[i] = ' ';
	out[n] = '\0';
}

/* The first line of /proc/pid/task/tid/name into out, or "?". */
static void task_file(pid_t pid, const char *tid, const char *name, char *out,
		      size_t len)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/%s", (int)pid, tid,
		 name);
	n = read_file(path, out, len);
	if (n == 0) {
		snprintf(out, len, "?");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/*
 * What a process left behind is doing, a line per thread: its state, the
 * kernel function it sleeps in and the system call it is in (number
 * first, as /proc/pid/syscall gives it). A hang shows here.
 */
static void describe_threads(pid_t pid)
{
	char path[64], stat[512], wchan[128], sys[256], *p;
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		task_file(pid, de->d_name, "stat", stat, sizeof(stat));
		task_file(pid, de->d_name, "wchan", wchan, sizeof(wchan));
		task_file(pid, de->d_name, "syscall", sys, sizeof(sys));
		p = strrchr(stat, ')');
		fprintf(stderr,
			"reaper:   thread %s: state %c, in %s, syscall %s\n",
			de->d_name, p && p[1] == ' ' ? p[2] : '?', wchan, sys);
	}
	closedir(dir);
}

/*
 * Name and kill the live children of this process (orphans re-parented
 * here); the number found.
 */
static int kill_children(const char *test)
{
	pid_t self = getpid();
	struct dirent *de;
	char cmd[256];
	DIR *dir;
	int n = 0;

	dir = opendir("/proc");
	if (!dir) {
		perror("reaper: /proc");
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atol(de->d_name);
		if (parent_of(pid) != self)
			continue;
		describe(pid, cmd, sizeof(cmd));
		fprintf(stderr,
			"reaper: %s left process %d behind (%s); killed\n",
			test, (int)pid, cmd);
		describe_threads(pid);
		kill(pid, SIGKILL);
		n++;
	}
	closedir(dir);
	return n;
}

static bool has_children(void)
{
	siginfo_t si;

	si.si_pid = 0;
	/* ECHILD: none at all. */
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int status, left = 0, round;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper PROGRAM [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("reaper: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	pid = fork();
	if (pid < 0) {
		perror("reaper: fork");
		return 2;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "reaper: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	if (stopped)
		kill(pid, stopped); /* came before child_pid was set */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("reaper: waitpid");
			return 2;
		}
		if (stopped) {
			for (round = 0; round < 10; round++) {
				if (waitpid(pid, &status, WNOHANG) == pid)
					goto ended;
				sleep_ms(10);
			}
			kill(pid, SIGKILL);
		}
	}
ended:
	child_pid = 0;

	/* Processes ending at the same time as the test are not left. */
	for (round = 0; round < GRACE_MS / 10 && has_children() && !stopped;
	     round++) {
		reap_ended();
		sleep_ms(10);
	}
	reap_ended();
	/* Killing one may orphan its children to us in turn. */
	for (round = 0; round < 100 && has_children(); round++) {
		left += kill_children(argv[1]);
		sleep_ms(10);
		reap_ended();
	}
	if (left) {
		fprintf(stderr, "reaper: FAIL: %s left %d process%s behind\n",
			argv[1], left, left == 1 ? "" : "es");
		return 1;
	}
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0); /* no core of the reaper's own */
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
