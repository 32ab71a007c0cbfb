#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

#include "peer.h"

static int peer_private = 4242;

int peer_nothing(void)
{
	return 0;
}

long peer_sum6(long a, long b, long c, long d, long e, long f)
{
	return a + b + c + d + e + f;
}

long peer_sum10(long a, long b, long c, long d, long e, long f, long g,
		long h, long i, long j)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h +
	       9 * i + 10 * j;
}

double peer_mix(int a, double b, float c, long d, double e, char f,
		double g, double h, double i, double j, double k, double l,
		double m)
{
	return a + b + c + d + e + f + g + h + i + j + k + l * 2 + m * 3;
}

struct pair peer_pair(struct pair p, struct small s)
{
	return (struct pair){ p.a * s.x, p.b * s.y };
}

int64_t peer_big(struct big b)
{
	return b.v[0] + b.v[1] * 10 + b.v[2] * 100 + b.v[3] * 1000 +
	       b.v[4] * 10000;
}

int peer_compartment(void)
{
	return (int)flexos_current_compartment();
}

int peer_call_back(int (*cb)(int), int x)
{
	return cb(x) + 1;
}

int peer_hold_memory(size_t private_bytes, size_t shared_bytes,
		     size_t stack_bytes)
{
	char *private = malloc(private_bytes);
	char *shared = flexos_shared_malloc(shared_bytes);
	char *stack = __builtin_alloca(stack_bytes);

	if (!private || !shared)
		return -1;
	memset(private, 1, private_bytes);
	memset(shared, 2, shared_bytes);
	memset(stack, 3, stack_bytes);
	return private[0] + shared[0] + ((volatile char *)stack)[0];
}

int peer_exhaust_heap(int most)
{
	void *blocks[128];
	int n = 0;

	errno = 0;
	while (n < most && n < 128 && (blocks[n] = malloc(1 << 20)))
		n++;
	int exhausted = n < most && errno == ENOMEM;
	while (n)
		free(blocks[--n]);
	return exhausted ? -1 : most;
}

int peer_call_back_with_local(int (*cb)(const int *))
{
	volatile int local = 5151;

	return cb((const int *)&local);
}

int peer_read(const int *p)
{
	return *p;
}

void peer_write(int *p, int value)
{
	*p = value;
}

/* A const table of pointers: .data.rel.ro, read-only once relocated. */
static const struct peer_ops peer_ops = { peer_read, "peer-ops" };

const struct peer_ops *peer_const_table(void)
{
	return &peer_ops;
}

void peer_exit(int status)
{
	_exit(status);
}

int peer_swap_errno(int value)
{
	int seen = errno;

	errno = value;
	return seen;
}

int *peer_static_object(void)
{
	return &peer_private;
}

int *peer_heap_object(void)
{
	int *p = malloc(sizeof(*p));

	*p = 77;
	return p;
}

/* A static function of the same name as one of scenario.c's: the policy's
 * share-heap twin_object names both. */
__attribute__((noinline)) static int *twin_object(void)
{
	int *p = malloc(sizeof(*p));

	*p = 32;
	return p;
}

int *peer_twin_object(void)
{
	return twin_object();
}

char *peer_strdup(const char *s)
{
	return strdup(s);
}

/* `return strdup(s);` as an optimizing compiler builds it: a jump, so that
 * the allocator returns straight into the gate.  Written out, so that
 * every build type has the jump. */
__asm__(".text\n"
	".globl peer_dup\n"
	".type peer_dup, @function\n"
	"peer_dup:\n\t"
	".cfi_startproc\n\t"
	"jmp strdup@PLT\n\t"
	".cfi_endproc\n"
	".size peer_dup, .-peer_dup\n");

char *peer_alloc(const char *how)
{
	char *p = NULL;

	if (!strcmp(how, "strdup"))
		return strdup("peer");
	if (!strcmp(how, "asprintf"))
		return asprintf(&p, "%s", "peer") < 0 ? NULL : p;
	if (!strcmp(how, "getline")) {
		FILE *text = fmemopen("peer\nmore\n", 10, "r");
		size_t size = 0;
		ssize_t got = text ? getline(&p, &size, text) : -1;
		if (text)
			fclose(text);
		if (got != 5)
			return NULL;
		p[4] = '\0';
		return p;
	}
	if (!strcmp(how, "strndup"))
		return strndup("peer and more", 4);
	if (!strcmp(how, "malloc"))
		p = malloc(8);
	else if (!strcmp(how, "calloc"))
		p = calloc(1, 8);
	else if (!strcmp(how, "realloc"))
		p = realloc(malloc(2), 8000);
	else if (!strcmp(how, "posix_memalign") && posix_memalign((void **)&p, 64, 8))
		p = NULL;
	else if (!strcmp(how, "aligned_alloc"))
		p = aligned_alloc(256, 256);
	else if (!strcmp(how, "memalign"))
		p = memalign(128, 8);
	else if (!strcmp(how, "reallocarray"))
		p = reallocarray(NULL, 2, 4);
	if (p)
		strcpy(p, "peer");
	return p;
}

int peer_pid(void)
{
	return getpid();
}

int peer_kill(int pid)
{
	kill(pid, SIGKILL);
	sleep(5);
	return 0;
}

void peer_exit_thread(void)
{
	pthread_exit(NULL);
}

int peer_not_an_entry(void)
{
	return 31337;
}
