/*
 * Proves that a thread stopped where it spins gets back every vector
 * register as it left it: threads load all sixteen vector registers (the
 * whole 256 bits with AVX, else 128) with patterns of their own and spin,
 * without a call, until the initial thread, after a sleep, says stop; then
 * each compares its registers with its pattern. With one P under sprout
 * the spinners run by turns only through preemption, each stopped and
 * resumed many times with the others' patterns loaded in between; each
 * must also have run (its spin count moved), and the sleep must end
 * within 3 s (a spinner that is never stopped keeps the sleeper waiting).
 */
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#define N     3
#define WORDS 8 /* 32-bit words of a 256-bit register */

static volatile int stop;
static bool avx;

struct spin {
	uint32_t pat[16][WORDS], out[16][WORDS];
	long count;
};

static struct spin spins[N];

/* op between memory row i (32 bytes apart) and register i, 0 to 15. */
/* clang-format off */
#define LD(op, i) op " " #i "*32(%[p]), %%" R #i "\n\t"
#define ST(op, i) op " %%" R #i ", " #i "*32(%[o])\n\t"
#define ALL(X, op)                                                    \
	X(op, 0) X(op, 1) X(op, 2) X(op, 3) X(op, 4) X(op, 5) X(op, 6) \
	X(op, 7) X(op, 8) X(op, 9) X(op, 10) X(op, 11) X(op, 12)       \
	X(op, 13) X(op, 14) X(op, 15)
/* clang-format on */
#define LOOP                   \
	"1:\n\t"               \
	"incq %[n]\n\t"        \
	"cmpl $0, %[stop]\n\t" \
	"je 1b\n\t"

#define CLOBBER                                                              \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",      \
		"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", \
		"xmm15", "cc", "memory"

static void spin_sse(struct spin *s)
{
#define R "xmm"
	__asm__ volatile(ALL(LD, "movdqu") LOOP ALL(ST, "movdqu")
			 : [n] "+r"(s->count)
			 : [p] "r"(s->pat), [o] "r"(s->out), [stop] "m"(stop)
			 : CLOBBER);
#undef R
}

__attribute__((target("avx"))) static void spin_avx(struct spin *s)
{
#define R "ymm"
	__asm__ volatile(ALL(LD, "vmovdqu")
				 LOOP ALL(ST, "vmovdqu") "vzeroupper\n\t"
			 : [n] "+r"(s->count)
			 : [p] "r"(s->pat), [o] "r"(s->out), [stop] "m"(stop)
			 : CLOBBER);
#undef R
}

static void *spinner(void *arg)
{
	struct spin *s = arg;

	if (avx)
		spin_avx(s);
	else
		spin_sse(s);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	int i, r, w, words;
	uint64_t t0, slept;

	watchdog(60);
	avx = __builtin_cpu_supports("avx");
	words = avx ? WORDS : WORDS / 2;
	for (i = 0; i < N; i++)
		for (r = 0; r < 16; r++)
			for (w = 0; w < WORDS; w++)
				spins[i].pat[r][w] =
					(uint32_t)(0x9e3779b9u *
						   (uint32_t)(i * 1000 +
							      r * 10 + w + 1));
	for (i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, spinner, &spins[i]) == 0,
		      "pthread_create");
	t0 = now_ns();
	usleep(300000);
	slept = now_ns() - t0;
	stop = 1;
	CHECK(slept < 3000 * MS, "a 300 ms sleep took %llu ms",
	      (unsigned long long)(slept / MS));
	for (i = 0; i < N; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	for (i = 0; i < N; i++) {
		CHECK(spins[i].count > 0, "thread %d never ran", i);
		for (r = 0; r < 16; r++)
			for (w = 0; w < words; w++)
				CHECK(spins[i].out[r][w] == spins[i].pat[r][w],
				      "thread %d, register %d, word %d: %#x, "
				      "want %#x",
				      i, r, w, spins[i].out[r][w],
				      spins[i].pat[r][w]);
	}
	printf("preempt_vector: %s, spins %ld %ld %ld\n", avx ? "ymm" : "xmm",
	       spins[0].count, spins[1].count, spins[2].count);
	return 0;
}
