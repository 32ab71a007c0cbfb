/* Counts the instructions of one gate round trip by single-stepping it
 * (the trap flag, one SIGTRAP per instruction): how many run outside the
 * callee, and how many of them are WRPKRU.  Usage: steps <target>
 * <max-outside> <wrpkrus>: prints each figure beside <target>, the
 * instructions outside the callee aimed at, and exits 1 when a round trip
 * runs more than <max-outside> (the bound a regression would cross) or
 * another number of WRPKRUs than <wrpkrus>.
 *
 * Each figure is the gate's count minus that of a plain call of the same
 * function through the same harness, so the harness and the call and
 * return instructions themselves do not count.
 *
 * The gates are what flexos_gate() makes for these calls, whose arguments
 * all travel in registers; flexos_callback() would make the stub a
 * callback's, which copies the stack arguments a caller might pass. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include <flexos/flexos.h>

#include "callee.h"

/* The stub flexos_gate(callee, fn, <integer arguments>) calls. */
#if defined(FLEXOS_BACKEND_FCALL)
#define REGISTER_GATE(fn) ((void *)(fn))
#else
#define REGISTER_GATE(fn) ((void *)FLEXOS__STUB(callee, fn, 1, 0))
#endif

struct count {
	unsigned long total, in_callee, wrpkru;
};

/* Shared: the handler runs with the rights Linux gives signal handlers,
 * which hold no compartment's key. */
FLEXOS_SHARED static volatile struct count counted;

static void on_trap(int sig, siginfo_t *info, void *context)
{
	const ucontext_t *uc = context;
	const unsigned char *ip =
		(const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	(void)info;
	counted.total++;
	if ((uintptr_t)ip >= (uintptr_t)steps_nothing &&
	    (uintptr_t)ip < (uintptr_t)steps_callees_end)
		counted.in_callee++;
	if (ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xef)
		counted.wrpkru++;
}

/* Calls fn(1, 2, 3, 4, 5, 6) with the trap flag set. */
long steps_run(void *fn);
__asm__(".text\n"
	"steps_run:\n\t"
	"pushq %rbx\n\t"
	"movq %rdi, %rbx\n\t"
	"movl $1, %edi\n\tmovl $2, %esi\n\tmovl $3, %edx\n\t"
	"movl $4, %ecx\n\tmovl $5, %r8d\n\tmovl $6, %r9d\n\t"
	"pushfq\n\torq $0x100, (%rsp)\n\tpopfq\n\t"
	"call *%rbx\n\t"
	"pushfq\n\tandq $-0x101, (%rsp)\n\tpopfq\n\t"
	"popq %rbx\n\t"
	"ret\n");

static struct count step(void *fn)
{
	struct count result;

	memset((void *)&counted, 0, sizeof(counted));
	steps_run(fn);
	result = counted;
	return result;
}

/* Prints the round trip through `gate` of `fn`; false when it misses. */
static bool measure(const char *what, void *gate, void *fn,
		    unsigned long target, unsigned long max_outside,
		    unsigned long wrpkrus)
{
	step(gate); /* the first entry may take the slow path */
	struct count through = step(gate), plain = step(fn);
	unsigned long outside = (through.total - through.in_callee) -
				(plain.total - plain.in_callee);
	bool ok = outside <= max_outside && through.wrpkru == wrpkrus;

	printf("%s: %lu instructions outside the callee (target <= %lu: "
	       "%s; bound %lu), %lu WRPKRU (want %lu): %s\n",
	       what, outside, target, outside <= target ? "met" : "missed",
	       max_outside, through.wrpkru, wrpkrus, ok ? "ok" : "FAILED");
	return ok;
}

int main(int argc, char **argv)
{
	struct sigaction action = { .sa_sigaction = on_trap,
				    .sa_flags = SA_SIGINFO | SA_ONSTACK };
	bool ok;

	if (argc != 4) {
		fprintf(stderr,
			"usage: steps <target> <max-outside> <wrpkrus>\n");
		return 2;
	}
	unsigned long target = strtoul(argv[1], NULL, 0);
	unsigned long max_outside = strtoul(argv[2], NULL, 0);
	unsigned long wrpkrus = strtoul(argv[3], NULL, 0);
	sigemptyset(&action.sa_mask);
	sigaction(SIGTRAP, &action, NULL);
	printf("backend %s\n", flexos_backend_name());
	ok = measure("gate, 0 arguments", REGISTER_GATE(steps_nothing),
		     (void *)steps_nothing, target, max_outside, wrpkrus);
	ok &= measure("gate, 6 arguments", REGISTER_GATE(steps_sum6),
		      (void *)steps_sum6, target, max_outside, wrpkrus);
	return ok ? 0 : 1;
}
