/*
 * Proves that threads looping on calls that make and close fds, and never
 * block, do not keep the others from running (loopers.h): two threads
 * loop on socket() and close(). Under sprout at one P the loopers held the
 * P for ever, main's timer never ran: their calls were no scheduling
 * points and the preemption kicks landed in libc.
 */
#include <sys/socket.h>

#include "loopers.h"

static void *looper(void *arg)
{
	(void)arg;
	while (!atomic_load(&loopers_stop)) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		CHECK(s >= 0, "socket: %s", strerror(errno));
		CHECK(close(s) == 0, "close: %s", strerror(errno));
		atomic_fetch_add(&loopers_loops, 1);
	}
	return NULL;
}

int main(void)
{
	return beside_loopers(looper);
}
