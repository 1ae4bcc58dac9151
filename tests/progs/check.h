/*
 * Shared helpers for the test programs in tests/progs.
 *
 * CHECK(cond, fmt, ...) prints "FAIL: file:line: cond: <message>" to stderr
 * and exits 1 when cond is false.  SKIP(fmt, ...) exits 77.  now_ns() reads
 * CLOCK_MONOTONIC.  wait_until(cond, seconds) re-evaluates cond, calling
 * sched_yield() in between, until it holds or the deadline passes; its value
 * is whether cond held.  Usable from C and C++.
 */
#ifndef SPROUT_TESTS_CHECK_H
#define SPROUT_TESTS_CHECK_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define EXIT_SKIP 77

#define CHECK(cond, fmt, ...)                                              \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL: %s:%d: %s: " fmt "\n",      \
				__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
			exit(1);                                           \
		}                                                          \
	} while (0)

#define SKIP(fmt, ...)                                    \
	do {                                              \
		printf("SKIP: " fmt "\n", ##__VA_ARGS__); \
		exit(EXIT_SKIP);                          \
	} while (0)

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define wait_until(cond, seconds)                                     \
	({                                                            \
		const uint64_t wu_deadline_ =                         \
			now_ns() + (uint64_t)((seconds)*1e9);         \
		bool wu_ok_;                                          \
		while (!(wu_ok_ = (cond)) && now_ns() < wu_deadline_) \
			sched_yield();                                \
		wu_ok_;                                               \
	})

#endif /* SPROUT_TESTS_CHECK_H */
