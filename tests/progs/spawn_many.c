/*
 * Proves that posix_spawn() and system() work from several threads at
 * once: four threads each start children both ways, ten times, each child
 * exiting with its own status, which the thread checks; meanwhile another
 * thread keeps sleeping and waking. glibc's posix_spawn() runs its child
 * in the parent's memory (CLONE_VM | CLONE_VFORK) on raw system calls,
 * and system() spawns the shell the same way.
 */
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "allps.h"

#define THREADS 4
#define TIMES	10

extern char **environ;
static atomic_bool stop;
static atomic_int ticks;

static void *ticker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		atomic_fetch_add(&ticks, 1);
		usleep(500);
	}
	return NULL;
}

static void *spawner(void *arg)
{
	int id = (int)(intptr_t)arg, i, st;
	char cmd[64];
	pid_t pid;

	for (i = 0; i < TIMES; i++) {
		int want = id * TIMES + i + 1;
		char code[16];
		char *argv[] = { "sh", "-c", cmd, NULL };

		snprintf(code, sizeof(code), "%d", want);
		snprintf(cmd, sizeof(cmd), "exit %s", code);
		CHECK(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) ==
			      0,
		      "posix_spawn");
		CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s",
		      strerror(errno));
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == want,
		      "posix_spawn child: status %#x, want %d", st, want);
		st = system(cmd);
		CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == want,
		      "system(\"%s\"): status %#x", cmd, st);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS], k;
	int i;

	watchdog(120);
	CHECK(pthread_create(&k, NULL, ticker, NULL) == 0, "pthread_create");
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, spawner,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, true);
	pthread_join(k, NULL);
	CHECK(atomic_load(&ticks) > 0, "the ticking thread never ran");
	CHECK(all_ps_run(), "a P was lost");
	puts("posix_spawn() and system() from several threads at once");
	return 0;
}
