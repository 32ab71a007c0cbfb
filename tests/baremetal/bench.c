/* Baremetal benchmark, in one image and one run:
 *   boot      kernel entry -> program entry -> main, in the guest's clock
 *   gate      round trip of an empty gate into another compartment
 *   floor     a bare WRPKRU pair (close a key, open it again): what any
 *             switch of protection keys costs, the gate's floor (one
 *             write each way)
 *   call      the same WRPKRU pair around a plain call of the gate's
 *             callee: the least a gate can do.  Under TCG every WRPKRU
 *             flushes QEMU's TLB and jump cache, so the first jump to
 *             another code page after it (the call, the return) costs as
 *             much as a third of the pair: this floor shows how much of the
 *             gate's cost is that, and how much is the gate's own.
 * A sample is the mean over a batch; series are interleaved sample by
 * sample; the median is reported.  bench.sh adds the host's view (QEMU
 * launch to main, launch to exit).  Argument: samples (default 200). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/baremetal/abi.h"
#include "pkru.h"

#define BATCH 200

int bench_nothing(void);
/* Called through a pointer, as the gate calls it. */
static int (*volatile plain_callee)(void) = bench_nothing;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return v[n / 2];
}

/* One batch of each floor; their times go to t[0] and t[1].  These
 * WRPKRUs lie outside the runtime's gate: the kernel boots the image only
 * when told that this function may write PKRU (bench.sh:
 * flexos.wrpkru=bench_floors). */
__attribute__((noinline)) void bench_floors(uint32_t closed, uint32_t open,
					    uint64_t t[2])
{
	uint64_t t0 = now_ns();
	for (int i = 0; i < BATCH; i++) {
		flexos__wrpkru(closed);
		flexos__wrpkru(open);
	}
	uint64_t t1 = now_ns();
	for (int i = 0; i < BATCH; i++) {
		flexos__wrpkru(closed);
		plain_callee();
		flexos__wrpkru(open);
	}
	t[0] = t1 - t0;
	t[1] = now_ns() - t1;
}

int main(int argc, char **argv)
{
	struct flexos_baremetal_times times;
	int samples = argc > 1 ? atoi(argv[1]) : 200;

	syscall(FLEXOS_BAREMETAL_SYS_BOOT_TIMES, &times);
	/* The host times this line (bench.sh): straight out, unbuffered. */
	write(1, "main\n", 5);
	if (samples < 1 || samples > 100000)
		samples = 200;
	double *gate = malloc(sizeof(double) * (size_t)samples);
	double *floor = malloc(sizeof(double) * (size_t)samples);
	double *call = malloc(sizeof(double) * (size_t)samples);
	/* The floor toggles a key this compartment does not use (15). */
	uint32_t open = flexos__rdpkru(), closed = open ^ PKRU_KEY_BITS(15);

	for (int i = 0; i < 20; i++)
		flexos_gate(benchlib, bench_nothing);
	for (int s = 0; s < samples; s++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			flexos_gate(benchlib, bench_nothing);
		uint64_t t1 = now_ns(), floors[2];
		bench_floors(closed, open, floors);
		gate[s] = (double)(t1 - t0) / BATCH;
		floor[s] = (double)floors[0] / BATCH;
		call[s] = (double)floors[1] / BATCH;
	}
	double g = median(gate, samples), f = median(floor, samples);
	double c = median(call, samples);
	printf("boot: kernel entry to program entry %.1f ms, to main %.1f ms "
	       "(TSC %.0f MHz)\n", times.user_entry / 1e6, times.now / 1e6,
	       times.tsc_hz / 1e6);
	printf("gate round trip %.0f ns, floor (WRPKRU pair) %.0f ns, ratio "
	       "%.2fx (target <= 1.3x): %s\n", g, f, g / f,
	       g <= 1.3 * f ? "PASS" : "FAIL");
	printf("floor (WRPKRU pair around a plain call) %.0f ns: %.2fx the "
	       "pair; gate %.2fx this floor\n", c, c / f, g / c);
	return 0;
}
