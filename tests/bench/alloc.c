/* alloc: an allocation-heavy workload, the same program with the C
 * library's allocator (built plain) and with a compartment's private heap
 * (an mpk image): many small objects with a window of live ones, and
 * multi-MiB buffers that are written and freed.  Prints the wall-clock
 * seconds of the workload and the processor time it took (on a shared
 * machine the difference is time spent waiting for a CPU, which is the
 * scheduler's, not the allocator's), the process's resident memory when the
 * workload starts, its peak, and the growth from one to the other: the
 * growth is the allocator's, the start an image's start-up (about 1.3 MiB
 * more in an mpk image: the unwinder's and seccomp's libraries, the
 * runtime's tables), which no allocator change can shrink. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SMALL 2000000
#define LIVE 20000
#define BUFFERS 200

static uint32_t state = 12345;

static uint32_t next(void)
{
	state = state * 1103515245u + 12345u;
	return state >> 8;
}

/* Field `name` ("VmRSS:", "VmHWM:") of /proc/self/status, in KiB. */
static long status_kib(const char *name)
{
	FILE *status = fopen("/proc/self/status", "r");
	char line[128];
	long kib = -1;

	while (status && fgets(line, sizeof(line), status))
		if (!strncmp(line, name, strlen(name)))
			kib = strtol(line + strlen(name), NULL, 10);
	if (status)
		fclose(status);
	return kib;
}

static double seconds_between(const struct timespec *from,
			      const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	       (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

int main(void)
{
	static void *live[LIVE];
	struct timespec start, end, cpu_start, cpu_end;
	unsigned long sum = 0;
	long start_kib = status_kib("VmRSS:");

	clock_gettime(CLOCK_MONOTONIC, &start);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
	for (long i = 0; i < SMALL; i++) {
		uint32_t slot = next() % LIVE;
		free(live[slot]);
		size_t size = 16 + next() % 497;
		char *p = malloc(size);
		if (!p)
			return 1;
		p[0] = (char)i;
		p[size - 1] = (char)size;
		sum += (unsigned char)p[0];
		live[slot] = p;
	}
	for (int i = 0; i < BUFFERS; i++) {
		size_t size = ((size_t)1 + next() % 8) << 20;
		char *buffer = malloc(size);
		if (!buffer)
			return 1;
		memset(buffer, i, size);
		sum += (unsigned char)buffer[size / 2];
		free(buffer);
	}
	for (long i = 0; i < LIVE; i++)
		free(live[i]);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
	clock_gettime(CLOCK_MONOTONIC, &end);
	long peak_kib = status_kib("VmHWM:");
	printf("alloc: %.3f s, cpu %.3f s, peak RSS %ld KiB, grown %ld KiB "
	       "from %ld KiB (checksum %lu)\n",
	       seconds_between(&start, &end),
	       seconds_between(&cpu_start, &cpu_end), peak_kib,
	       peak_kib - start_kib, start_kib, sum);
	return 0;
}
