// SPDX-License-Identifier: MIT
/*
 * Configuration from the environment (DESIGN.md section 9). A malformed
 * value is reported once, with the value used instead; it never stops the
 * program.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "../arch/x86_64/sys.h"

#define MAX_PROCS 1024

static void complain(const char *name, const char *value, const char *want,
		     unsigned long used)
{
	fprintf(stderr, "sprout: %s=%s is not %s; using %lu\n", name, value,
		want, used);
}

/*
 * Read a small file with raw system calls: open(), read() and close() are
 * the shim's own entry points, for the program.
 */
static int read_file(const char *path, char *buf, size_t len)
{
	long fd =
		sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	long n;

	if (fd < 0)
		return -1;
	n = sys3(SYS_read, fd, (long)buf, (long)(len - 1));
	sys1(SYS_close, fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* CPUs allowed by the cgroup (v2) quota, or 0 if there is none. */
static int cgroup_cpus(void)
{
	char cg[512], path[600], max[64];
	char *rel, *nl;
	long quota, period;

	if (read_file("/proc/self/cgroup", cg, sizeof(cg)))
		return 0;
	rel = strstr(cg, "0::");
	if (!rel)
		return 0;
	rel += 3;
	nl = strchr(rel, '\n');
	if (nl)
		*nl = 0;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", rel);
	if (read_file(path, max, sizeof(max)) ||
	    sscanf(max, "%ld %ld", &quota, &period) != 2 || period <= 0)
		return 0;
	return (int)((quota + period - 1) / period);
}

/* The CPUs this process may use: affinity mask and cgroup quota. */
static int available_cpus(void)
{
	cpu_set_t set;
	int n = 1, q = cgroup_cpus();

	if (REAL(sched_getaffinity)(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (q > 0 && q < n)
		n = q;
	return n > 0 ? n : 1;
}

static int procs(void)
{
	const char *name = "SPROUT_PROCS";
	const char *v = getenv(name);
	int dflt = available_cpus();
	char *end;
	long n;

	if (!v || !*v) {
		name = "GOMAXPROCS";
		v = getenv(name);
	}
	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > MAX_PROCS) {
		complain(name, v, "a whole number from 1 to 1024",
			 (unsigned long)dflt);
		return dflt;
	}
	return (int)n;
}

/* A whole number from lo to hi in value v of variable name, or dflt. */
static long whole(const char *name, const char *v, long lo, long hi,
		  const char *want, long dflt)
{
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi) {
		complain(name, v, want, (unsigned long)dflt);
		return dflt;
	}
	return n;
}

/*
 * A signal for SPROUT_DEBUG=dumpsig: a number or a name (QUIT, SIGQUIT),
 * one of the 31 standard signals the program can catch (glibc keeps 32
 * and 33, and the real-time ones are the program's queue).
 */
static const char *const signames[32] = {
	[SIGHUP] = "HUP",	[SIGINT] = "INT",	[SIGQUIT] = "QUIT",
	[SIGILL] = "ILL",	[SIGTRAP] = "TRAP",	[SIGABRT] = "ABRT",
	[SIGBUS] = "BUS",	[SIGFPE] = "FPE",	[SIGKILL] = "KILL",
	[SIGUSR1] = "USR1",	[SIGSEGV] = "SEGV",	[SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE",	[SIGALRM] = "ALRM",	[SIGTERM] = "TERM",
	[SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD",	[SIGCONT] = "CONT",
	[SIGSTOP] = "STOP",	[SIGTSTP] = "TSTP",	[SIGTTIN] = "TTIN",
	[SIGTTOU] = "TTOU",	[SIGURG] = "URG",	[SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ",	[SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",
	[SIGWINCH] = "WINCH",	[SIGIO] = "IO",		[SIGPWR] = "PWR",
	[SIGSYS] = "SYS",
};

static int dump_sig(const char *v)
{
	const char *name = strncmp(v, "SIG", 3) ? v : v + 3;
	char *end;
	long n = strtol(v, &end, 10);
	int sig;

	if (*end || end == v) {
		n = 0;
		for (sig = 1; sig < 32 && !n; sig++)
			if (signames[sig] && !strcmp(signames[sig], name))
				n = sig;
	}
	if (n < 1 || n >= 32 || n == SIGKILL || n == SIGSTOP) {
		fprintf(stderr,
			"sprout: SPROUT_DEBUG=dumpsig=%s is not a signal the "
			"program may catch (a number or a name: QUIT, USR2); "
			"using none\n",
			v);
		return 0;
	}
	return (int)n;
}

/*
 * SPROUT_DEBUG: a comma-separated list; schedtrace=MS prints the
 * scheduler's state every MS milliseconds, dumpsig=SIG prints every
 * thread (`sprout dump`) on signal SIG. Unknown items are reported.
 */
static void debug_items(struct runtime_config *cfg)
{
	const char *v = getenv("SPROUT_DEBUG"), *item, *end;
	char val[32];

	cfg->schedtrace_ms = 0;
	cfg->dumpsig = 0;
	for (item = v; item && *item; item = *end ? end + 1 : end) {
		const char *eq;
		size_t len, key = 0;

		end = strchr(item, ',');
		if (!end)
			end = item + strlen(item);
		len = (size_t)(end - item);
		/* key=value, the value not empty and short enough for val */
		eq = memchr(item, '=', len);
		if (eq && end - eq > 1 && (size_t)(end - eq) <= sizeof(val)) {
			key = (size_t)(eq - item);
			memcpy(val, eq + 1, (size_t)(end - eq - 1));
			val[end - eq - 1] = 0;
		}
		if (key == 10 && !strncmp(item, "schedtrace", 10)) {
			cfg->schedtrace_ms = (int)whole(
				"SPROUT_DEBUG=schedtrace", val, 1, 3600000,
				"a number of milliseconds", 1000);
		} else if (key == 7 && !strncmp(item, "dumpsig", 7)) {
			cfg->dumpsig = dump_sig(val);
		} else if (len) {
			fprintf(stderr,
				"sprout: SPROUT_DEBUG=%s: unknown item '%.*s'; "
				"known: schedtrace=MS, dumpsig=SIG\n",
				v, (int)len, item);
		}
	}
}

/*
 * `sprout dump`'s program: beside this library (a build directory), else
 * where it is installed.
 */
static const char *dump_path(void)
{
	static char path[PATH_MAX];
	Dl_info info;
	char *slash;

	if (dladdr((void *)dump_path, &info) && info.dli_fname &&
	    strlen(info.dli_fname) < sizeof(path)) {
		strcpy(path, info.dli_fname);
		slash = strrchr(path, '/');
		if (slash && (size_t)(slash - path) + sizeof("/sprout-dump") <=
				     sizeof(path)) {
			strcpy(slash, "/sprout-dump");
			if (!access(path, X_OK))
				return path;
		}
	}
	return access(SPROUT_DUMP_PATH, X_OK) ? NULL : SPROUT_DUMP_PATH;
}

/* A size in bytes, with an optional K, M or G suffix (powers of 1024). */
static size_t stack_size(size_t dflt)
{
	const char *v = getenv("SPROUT_STACK");
	unsigned long long n;
	char *end;

	if (!v || !*v)
		return dflt;
	n = strtoull(v, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		n <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		n <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		n <<= 30;
		end++;
		break;
	}
	if (*end || v[0] == '-' || n < (unsigned long long)PTHREAD_STACK_MIN ||
	    n > (1ull << 40)) {
		complain("SPROUT_STACK", v,
			 "a size from 16K to 1024G (bytes, or with K, M or G)",
			 (unsigned long)dflt);
		return dflt;
	}
	return (size_t)n;
}

void config_read(struct runtime_config *cfg)
{
	pthread_attr_t attr;
	size_t size = 8 << 20, guard = 4096;

	/* glibc's default: RLIMIT_STACK, or what setattr_default_np set. */
	if (REAL(pthread_getattr_default_np)(&attr) == 0) {
		pthread_attr_getstacksize(&attr, &size);
		pthread_attr_getguardsize(&attr, &guard);
		pthread_attr_destroy(&attr);
	}
	cfg->procs = procs();
	cfg->stack_size = stack_size(size);
	cfg->guard_size = guard;
	/* Go's default; the kernel's thread limits are higher here. */
	cfg->maxm = (int)whole("SPROUT_MAXM", getenv("SPROUT_MAXM"), 4, 1000000,
			       "a whole number from 4 to 1000000", 10000);
	debug_items(cfg);
	cfg->dump_path = dump_path();
	/* The runtime's own handlers go in with libc's, not the shim's. */
	cfg->sigaction = REAL(sigaction);
}
