/*
 * echo_client - closed-loop load on a TCP echo server: one thread, epoll.
 *
 *	echo_client CONNS SECONDS SERVER_CMD [ARGS...]
 *	echo_client CONNS SECONDS PORT
 *
 * Starts SERVER_CMD ARGS... PORTFILE as a child process (PORTFILE in a
 * fresh directory under /tmp, removed once read; a SERVER_CMD without a
 * "/" is looked up first next to this program, then in PATH) and waits for
 * the server to write its port there, or uses a server already listening
 * on 127.0.0.1:PORT.
 *
 * Opens CONNS connections to it, 100 at a time, each batch's connections
 * doing one round trip before the next batch connects, so that the listen
 * backlog never overflows. Then every connection keeps one 64-byte
 * request in flight: when the whole echo is back (and equal to the
 * request), its latency is recorded and the next request is sent. After a
 * warm-up of 1 s, it measures for SECONDS and reports:
 *
 *	metric echo_rps	requests per second, all connections together
 *	metric echo_p50, echo_p99	latency percentiles in ns (1% buckets)
 *	metric echo_fairness	echoes of the least served connection over
 *				the mean: 1 is even, 0 means one starved
 *	metric server_threads	most OS threads of the server child seen
 *	metric server_rss	peak RSS (VmHWM) of the server child, MiB
 *	metric server_cpu	CPU time (user + system) of the server child
 *				per request while measuring, ns
 *	metric client_cpu	the same of this client, ns
 *
 * The server numbers come from /proc/PID/status of the child, polled every
 * 10 ms from its start to the end of the measurement (not in PORT mode).
 * Then it closes the connections and the server's stdin (a pipe), on which
 * echo_server exits, and waits for it (SIGKILL after 5 s).
 *
 * The client is the load and always runs natively: if LD_PRELOAD is set,
 * it moves the value to ECHO_SERVER_PRELOAD and re-executes itself without
 * it; the server child gets LD_PRELOAD back from ECHO_SERVER_PRELOAD
 * (setting ECHO_SERVER_PRELOAD yourself preloads only the server too).
 * Other variables, SPROUT_* say, reach the server unchanged.
 *
 * Exits 1 with a message if anything fails: a connection refused, reset or
 * closed, an echo that differs from the request, the server exiting, no
 * echo at all for 10 s, or connections not set up within 120 s.
 * It raises RLIMIT_NOFILE to the hard limit.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MSG	    64	  /* bytes per request */
#define BATCH	    100	  /* connections opened at a time */
#define WARMUP_NS   1e9	  /* not measured */
#define SAMPLE_NS   10e6  /* /proc sampling period of the server */
#define STALL_NS    10e9  /* no echo at all for this long: fail */
#define SETUP_NS    120e9 /* to open all connections */
#define START_NS    10e9  /* for the server to write its port */
#define STOP_NS	    5e9	  /* for the server to exit */
#define PRELOAD_VAR "ECHO_SERVER_PRELOAD"

enum state { CONNECTING, RUNNING };

struct conn {
	int fd;
	enum state state;
	int want_out;	    /* EPOLLOUT registered: a write is pending */
	unsigned int seq;   /* number of the request in flight */
	unsigned int wpos;  /* bytes of req written */
	unsigned int rpos;  /* bytes of resp read */
	unsigned long done; /* echoes while measuring */
	double sent;	    /* when req was first written to */
	unsigned char req[MSG];
	unsigned char resp[MSG];
};

/*
 * Latency histogram, log-linear: values below 256 ns exactly, above in 128
 * buckets per power of two (under 0.8% wide).
 */
#define NBUCKETS (256 + 56 * 128)
static uint64_t hist[NBUCKETS];
static uint64_t hist_n;

static pid_t server_pid;      /* child not yet reaped, or 0 */
static int server_stdin = -1; /* write end of the server's stdin pipe */
static char tmpdir[] = "/tmp/echo_client.XXXXXX";
static char portfile[sizeof(tmpdir) + 16];
static int have_tmpdir;
static long max_threads, max_hwm_kib;

static void cleanup_tmpdir(void)
{
	if (have_tmpdir) {
		unlink(portfile);
		strcat(portfile, ".tmp");
		unlink(portfile);
		rmdir(tmpdir);
		have_tmpdir = 0;
	}
}

static void cleanup(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	cleanup_tmpdir();
}

static void die(const char *msg)
{
	fprintf(stderr, "echo_client: %s\n", msg);
	exit(1);
}

static unsigned int bucket(uint64_t v)
{
	int e;

	if (v < 256)
		return (unsigned int)v;
	e = 63 - __builtin_clzll(v);
	return 256 + (unsigned int)(e - 8) * 128 +
	       (unsigned int)((v >> (e - 7)) - 128);
}

/* The middle of bucket i. */
static double bucket_value(unsigned int i)
{
	unsigned int e, m;

	if (i < 256)
		return i;
	e = (i - 256) / 128 + 8;
	m = (i - 256) % 128 + 128;
	return (m + 0.5) * (double)(1ull << (e - 7));
}

static double percentile(double p)
{
	uint64_t want = (uint64_t)(p * (double)hist_n + 0.999999), sum = 0;
	unsigned int i;

	if (want < 1)
		want = 1;
	for (i = 0; i < NBUCKETS; i++) {
		sum += hist[i];
		if (sum >= want)
			return bucket_value(i);
	}
	return 0;
}

static void raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		fail("getrlimit", errno);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fail("setrlimit", errno);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)need > rl.rlim_cur) {
		fprintf(stderr,
			"echo_client: %ld connections need about %ld file "
			"descriptors; the hard limit is %lu\n",
			need - 16, need, (unsigned long)rl.rlim_cur);
		exit(1);
	}
}

/*
 * Run natively: take LD_PRELOAD out of the environment, keep it for the
 * server in PRELOAD_VAR, and start again. After the exec LD_PRELOAD is
 * unset, so this happens at most once.
 */
static void drop_preload(char **argv)
{
	const char *pre = getenv("LD_PRELOAD");
	static char self[PATH_MAX];
	ssize_t n;

	if (!pre || !*pre)
		return;
	if (setenv(PRELOAD_VAR, pre, 1) || unsetenv("LD_PRELOAD"))
		fail("setenv", errno);
	/* The real path, not /proc/self/exe, which would name us "exe". */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		fail("readlink /proc/self/exe", n < 0 ? errno : ENAMETOOLONG);
	self[n] = '\0';
	execv(self, argv);
	fail("execv", errno);
}

/* Report how the server ended (status from waitpid) and exit 1. */
static void server_died(int status)
{
	server_pid = 0;
	if (WIFEXITED(status))
		fprintf(stderr,
			"echo_client: the server exited with status %d\n",
			WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "echo_client: the server was killed by %s\n",
			strsignal(WTERMSIG(status)));
	exit(1);
}

static void check_server(void)
{
	int status;

	if (server_pid > 0 && waitpid(server_pid, &status, WNOHANG) > 0)
		server_died(status);
}

/*
 * A connection failed: if that is because the server is gone, say so (give
 * it 200 ms to be seen exiting), else report the connection's error.
 */
static void conn_fail(long i, const char *what, int err)
{
	double t0 = now_ns();
	struct timespec ms = { 0, 1000000 };

	while (server_pid > 0 && now_ns() - t0 < 200e6) {
		check_server();
		nanosleep(&ms, NULL);
	}
	fprintf(stderr, "echo_client: connection %ld: %s%s%s\n", i, what,
		err ? ": " : "", err ? strerror(err) : "");
	exit(1);
}

static void sample_server(void)
{
	char path[64], line[256];
	long v;
	FILE *f;

	if (server_pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)server_pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Threads: %ld", &v) == 1 && v > max_threads)
			max_threads = v;
		else if (sscanf(line, "VmHWM: %ld", &v) == 1 && v > max_hwm_kib)
			max_hwm_kib = v;
	}
	fclose(f);
}

/* CPU time (user + system) of the server child so far, in ns. */
static double server_cpu_ns(void)
{
	unsigned long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	if (server_pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)server_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* Fields 14 and 15, counted after the command's closing ")". */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1e9 / (double)sysconf(_SC_CLK_TCK);
}

/* CPU time (user + system) of this process so far, in ns. */
static double self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* SERVER_CMD without a "/": next to this program if there, else PATH. */
static const char *server_path(const char *name)
{
	static char buf[PATH_MAX];
	ssize_t n;
	char *slash;

	if (strchr(name, '/'))
		return name;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return name;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + strlen(name) + 2 > sizeof(buf))
		return name;
	strcpy(slash + 1, name);
	return access(buf, X_OK) == 0 ? buf : name;
}

/* Start the server child; return its port. */
static int start_server(char **cmd, int ncmd)
{
	char **av = calloc((size_t)ncmd + 2, sizeof(*av));
	const char *path = server_path(cmd[0]), *pre;
	struct timespec ms = { 0, 1000000 };
	int pfd[2], port = 0, i;
	pid_t parent = getpid();
	double t0;
	FILE *f;

	if (!av)
		fail("calloc", ENOMEM);
	if (!mkdtemp(tmpdir))
		fail("mkdtemp", errno);
	have_tmpdir = 1;
	snprintf(portfile, sizeof(portfile), "%s/port", tmpdir);
	for (i = 0; i < ncmd; i++)
		av[i] = cmd[i];
	av[ncmd] = portfile;
	if (pipe2(pfd, O_CLOEXEC))
		fail("pipe2", errno);
	fflush(NULL);

	server_pid = fork();
	if (server_pid < 0)
		fail("fork", errno);
	if (server_pid == 0) {
		/* Dies with us even if it stops reading its stdin. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		dup2(pfd[0], STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO); /* our stdout: metrics */
		pre = getenv(PRELOAD_VAR);
		if (pre && *pre)
			setenv("LD_PRELOAD", pre, 1);
		unsetenv(PRELOAD_VAR);
		execvp(path, av);
		fprintf(stderr, "echo_client: exec %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	close(pfd[0]);
	server_stdin = pfd[1];
	free(av);

	t0 = now_ns();
	while (!(f = fopen(portfile, "r"))) {
		check_server();
		sample_server();
		if (now_ns() - t0 > START_NS)
			die("the server wrote no port file within 10 s");
		nanosleep(&ms, NULL);
	}
	if (fscanf(f, "%d", &port) != 1 || port <= 0 || port > 65535)
		die("bad port file from the server");
	fclose(f);
	cleanup_tmpdir(); /* nothing left behind even if we are killed */
	return port;
}

static struct conn *conns;
static long nconns, opened, primed;
static int epfd;
static int running; /* set up: keep a request in flight */
static int measuring;
static uint64_t completed; /* echoes, counted only while measuring */
static double last_echo;

static void set_events(long i, uint32_t ev)
{
	struct epoll_event e = { .events = ev | EPOLLET,
				 .data.u64 = (uint64_t)i };

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, conns[i].fd, &e))
		fail("epoll_ctl", errno);
}

static void open_conn(long i, struct sockaddr_in *sa)
{
	struct conn *c = &conns[i];
	struct epoll_event e = { .events = EPOLLOUT, .data.u64 = (uint64_t)i };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		conn_fail(i, "socket", errno);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)sa, sizeof(*sa)) &&
	    errno != EINPROGRESS)
		conn_fail(i, "connect", errno);
	c->state = CONNECTING;
	c->want_out = 1;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e))
		fail("epoll_ctl", errno);
}

/* Write (the rest of) the request in flight; wait for EPOLLOUT if full. */
static void send_req(long i)
{
	struct conn *c = &conns[i];
	ssize_t n;

	while (c->wpos < MSG) {
		n = write(c->fd, c->req + c->wpos, MSG - c->wpos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			conn_fail(i, "write", errno);
		c->wpos += (unsigned int)n;
	}
	if ((c->wpos < MSG) != c->want_out) {
		c->want_out = c->wpos < MSG;
		set_events(i, EPOLLIN | (c->want_out ? EPOLLOUT : 0));
	}
}

static void next_req(long i)
{
	struct conn *c = &conns[i];
	unsigned int k;

	c->seq++;
	for (k = 0; k < MSG; k++)
		c->req[k] = (unsigned char)(i * 131 + c->seq * 7 + k);
	c->wpos = 0;
	c->rpos = 0;
	c->sent = now_ns();
	send_req(i);
}

static void recv_resp(long i)
{
	struct conn *c = &conns[i];
	double now;
	ssize_t n;

	/* Edge-triggered: read until the echo is whole or nothing is left. */
	do
		n = read(c->fd, c->resp + c->rpos, MSG - c->rpos);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0)
		conn_fail(i, "read", errno);
	if (n == 0)
		conn_fail(i, "the server closed the connection", 0);
	c->rpos += (unsigned int)n;
	if (c->rpos > c->wpos)
		conn_fail(i, "echo of bytes not yet sent", 0);
	if (c->rpos < MSG) {
		recv_resp(i);
		return;
	}
	if (memcmp(c->req, c->resp, MSG))
		conn_fail(i, "the echo differs from the request", 0);
	now = now_ns();
	last_echo = now;
	if (measuring) {
		uint64_t ns = now > c->sent ? (uint64_t)(now - c->sent) : 0;

		hist[bucket(ns)]++;
		hist_n++;
		completed++;
		c->done++;
	}
	if (c->seq == 1)
		primed++;
	if (running)
		next_req(i);
}

static void connected(long i)
{
	struct conn *c = &conns[i];
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err)
		conn_fail(i, "connect", err);
	c->state = RUNNING;
	c->want_out = 0;
	set_events(i, EPOLLIN);
	next_req(i);
}

/* Handle events for up to timeout_ms; poll the server every SAMPLE_NS. */
static void run_events(int timeout_ms)
{
	static struct epoll_event ev[256];
	static double last_sample;
	double now;
	int n, k;
	long i;

	n = epoll_wait(epfd, ev, 256, timeout_ms);
	if (n < 0 && errno != EINTR)
		fail("epoll_wait", errno);
	for (k = 0; k < n; k++) {
		i = (long)ev[k].data.u64;
		if (conns[i].state == CONNECTING) {
			connected(i);
			continue;
		}
		if (ev[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			recv_resp(i);
		if (conns[i].want_out && ev[k].events & EPOLLOUT)
			send_req(i);
	}
	now = now_ns();
	if (now - last_sample >= SAMPLE_NS) {
		last_sample = now;
		check_server();
		sample_server();
	}
	if (now - last_echo > STALL_NS) {
		fprintf(stderr,
			"echo_client: no echo for 10 s (%ld of %ld "
			"connections open, %ld answered)\n",
			opened, nconns, primed);
		exit(1);
	}
}

static long parse(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "echo_client: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static void stop_server(void)
{
	struct timespec ms = { 0, 1000000 };
	double t0 = now_ns();
	int status;
	pid_t r;

	close(server_stdin);
	while ((r = waitpid(server_pid, &status, WNOHANG)) == 0) {
		if (now_ns() - t0 > STOP_NS)
			die("the server did not exit within 5 s of EOF on its "
			    "stdin");
		nanosleep(&ms, NULL);
	}
	if (r < 0)
		fail("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		server_died(status);
	server_pid = 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long min_done = ULONG_MAX;
	double t0, secs, elapsed, server_cpu = 0, client_cpu = 0;
	long i;
	int port;

	drop_preload(argv);
	if (argc < 4) {
		fprintf(stderr, "usage: echo_client CONNS SECONDS "
				"(SERVER_CMD [ARGS...] | PORT)\n");
		return 2;
	}
	nconns = parse(argv[1], "CONNS");
	secs = (double)parse(argv[2], "SECONDS");
	raise_nofile(nconns + 16);
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);

	if (argc == 4 && strspn(argv[3], "0123456789") == strlen(argv[3]))
		port = (int)parse(argv[3], "PORT");
	else
		port = start_server(argv + 3, argc - 3);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);

	conns = calloc((size_t)nconns, sizeof(*conns));
	if (!conns)
		fail("calloc", ENOMEM);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		fail("epoll_create1", errno);

	/* Connect a batch at a time, each after the last one's first echo. */
	t0 = last_echo = now_ns();
	while (primed < nconns) {
		if (primed == opened) {
			long end = opened + BATCH < nconns ? opened + BATCH
							   : nconns;

			for (; opened < end; opened++)
				open_conn(opened, &sa);
		}
		run_events(10);
		if (now_ns() - t0 > SETUP_NS) {
			fprintf(stderr,
				"echo_client: only %ld of %ld connections "
				"answered within 120 s\n",
				primed, nconns);
			exit(1);
		}
	}

	running = 1;
	for (i = 0; i < nconns; i++)
		next_req(i);
	t0 = now_ns();
	while (now_ns() - t0 < WARMUP_NS)
		run_events(10);
	measuring = 1;
	server_cpu = server_cpu_ns();
	client_cpu = self_cpu_ns();
	t0 = now_ns();
	while (now_ns() - t0 < secs * 1e9)
		run_events(10);
	elapsed = now_ns() - t0;
	measuring = 0;
	server_cpu = server_cpu_ns() - server_cpu;
	client_cpu = self_cpu_ns() - client_cpu;
	sample_server();

	for (i = 0; i < nconns; i++)
		if (conns[i].done < min_done)
			min_done = conns[i].done;
	for (i = 0; i < nconns; i++)
		close(conns[i].fd);
	if (server_pid > 0)
		stop_server();

	printf("metric echo_rps %.0f ops/s\n",
	       (double)completed * 1e9 / elapsed);
	printf("metric echo_p50 %.0f ns\n", percentile(0.50));
	printf("metric echo_p99 %.0f ns\n", percentile(0.99));
	printf("metric echo_fairness %.3f x\n",
	       completed ? (double)min_done * (double)nconns / (double)completed
			 : 0.0);
	if (max_threads) {
		printf("metric server_threads %ld threads\n", max_threads);
		printf("metric server_rss %.1f MiB\n", max_hwm_kib / 1024.0);
		if (completed)
			printf("metric server_cpu %.0f ns\n",
			       server_cpu / (double)completed);
	}
	if (completed)
		printf("metric client_cpu %.0f ns\n",
		       client_cpu / (double)completed);
	free(conns);
	return 0;
}
