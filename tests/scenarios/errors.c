/* Errors raised across compartments with longjmp: from the peer into the
 * host's setjmp, from a callback of the host's out of the peer's call, and
 * from the host into the peer's own setjmp; each 100,000 times, after
 * which both stacks stand where they stood.  And what longjmp must not
 * allow: a compromised peer that rewrites where the host resumes, and a
 * longjmp to a setjmp whose frame is gone. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

#include "check.h"
#include "errors.h"
#include "peer.h"


#define ROUNDS 100000

/* The peer longjmps here: it must be able to read it. */
FLEXOS_SHARED static jmp_buf shared_catch;
/* Only the host's own code longjmps here. */
static jmp_buf private_catch;
static char host_secret[] = "host-secret-5678";

static __attribute__((noinline)) uintptr_t stack_mark(void)
{
	volatile char here = 0;

	return (uintptr_t)&here;
}

static int raise_from_callback(int code)
{
	longjmp(private_catch, code);
}

static void throw_into_peer(void)
{
	flexos_gate(peer, peer_throw, 7);
}

static int caught_errors(void)
{
	uintptr_t host_mark = stack_mark(), peer_mark, after;
	volatile int from_peer = 0, from_callback = 0, in_peer = 0;

	flexos_gate_r(peer_mark, peer, peer_stack_mark);
	for (int i = 1; i <= ROUNDS; i++) {
		int code = setjmp(shared_catch);
		if (!code) {
			flexos_gate(peer, peer_raise, &shared_catch, i);
			CHECK(!"peer_raise returned");
		}
		CHECK(code == i);
		from_peer++;
	}
	for (int i = 1; i <= ROUNDS; i++) {
		int code = setjmp(private_catch);
		if (!code) {
			flexos_gate(peer, peer_call_back,
				    flexos_callback(scenario, raise_from_callback),
				    i);
			CHECK(!"the callback returned");
		}
		CHECK(code == i);
		from_callback++;
	}
	for (int i = 0; i < ROUNDS; i++) {
		int code;
		flexos_gate_r(code, peer, peer_protect,
			      flexos_callback(scenario, throw_into_peer));
		CHECK(code == 7);
		in_peer++;
	}
	/* Back in the host with its rights, every gate usable. */
	CHECK(flexos_current_compartment() == 0);
	CHECK(!strcmp(host_secret, "host-secret-5678"));
	long sum;
	flexos_gate_r(sum, peer, peer_sum6, 1, 2, 3, 4, 5, 6);
	CHECK(sum == 21);
	flexos_gate_r(after, peer, peer_stack_mark);
	CHECK(after == peer_mark);
	CHECK(stack_mark() == host_mark);
	printf("longjmp: %d errors raised in the peer, %d in a callback, %d "
	       "into the peer's own setjmp; stacks unchanged\n",
	       from_peer, from_callback, in_peer);
	return 0;
}

/* Where the compromised peer wants the host to resume: it prints the
 * host's secret, as attacker-chosen code of the host's would. */
static void hijacked(void)
{
	printf("hijacked: the host resumed where the peer chose and read "
	       "'%s'\n", host_secret);
	fflush(stdout);
	exit(0);
}

static int forged_resume(void)
{
	if (setjmp(shared_catch)) {
		printf("the host resumed at its own setjmp, not where the peer "
		       "chose\n");
		return 0;
	}
	flexos_gate(peer, peer_forge_resume, &shared_catch, hijacked, 1);
	CHECK(!"peer_forge_resume returned");
	return 1;
}

/* The same when the host's own callback raises the error: the jmp_buf the
 * peer rewrote says the longjmp stays in the callback's activation. */
static int raise_into_shared(int code)
{
	longjmp(shared_catch, code);
}

static int forged_callback_resume(void)
{
	if (setjmp(shared_catch)) {
		printf("the host resumed at its own setjmp, not where the peer "
		       "chose\n");
		return 0;
	}
	flexos_gate(peer, peer_forge_then_call_back, &shared_catch, hijacked,
		    flexos_callback(scenario, raise_into_shared));
	CHECK(!"the callback returned");
	return 1;
}

/* siglongjmp brings back the mask sigsetjmp saved, across the gate. */
FLEXOS_SHARED static sigjmp_buf masked_catch;

static int mask_restored(void)
{
	sigset_t now;

	if (!sigsetjmp(masked_catch, 1)) {
		flexos_gate(peer, peer_block_and_raise, &masked_catch, 1);
		CHECK(!"peer_block_and_raise returned");
	}
	CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0);
	printf("SIGUSR1 blocked after the peer's siglongjmp: %s\n",
	       sigismember(&now, SIGUSR1) ? "yes" : "no");
	return 0;
}

/* A handler that saves the host's jmp_buf, sets it for itself and puts it
 * back: the peer's error later reaches the outer setjmp. */
static int nested_handler(int x)
{
	jmp_buf saved;

	memcpy(saved, shared_catch, sizeof(saved));
	if (!setjmp(shared_catch))
		x++;
	memcpy(shared_catch, saved, sizeof(saved));
	return x;
}

static int outer_after_nested(void)
{
	int code = setjmp(shared_catch);

	if (code) {
		printf("the outer setjmp caught the peer's error %d\n", code);
		return 0;
	}
	int x;
	flexos_gate_r(x, peer, peer_call_back,
		      flexos_callback(scenario, nested_handler), 1);
	CHECK(x == 3);
	flexos_gate(peer, peer_raise, &shared_catch, 5);
	CHECK(!"peer_raise returned");
	return 1;
}

/* The direction flag and the floating-point controls as they are now,
 * then the ABI's own again (a set DF would run the next copy backwards). */
static void report_controls(const char *when)
{
	uint64_t flags;
	uint32_t mxcsr, mxcsr_default = 0x1f80;
	uint16_t x87, x87_default = 0x037f;

	__asm__ volatile("pushfq; popq %0; stmxcsr %1; fnstcw %2; cld"
			 : "=r"(flags), "=m"(mxcsr), "=m"(x87)::"memory");
	__asm__ volatile("ldmxcsr %0; fldcw %1" ::"m"(mxcsr_default),
			 "m"(x87_default));
	printf("%s: DF %d, MXCSR %#x, x87 control %#x\n", when,
	       (int)(flags >> 10 & 1), mxcsr, x87);
}

/* A callee that leaves the direction flag and the floating-point
 * controls changed, on return and through a longjmp. */
static int dirty_controls(void)
{
	flexos_gate(peer, peer_dirty_controls);
	report_controls("after the gate");
	if (!setjmp(shared_catch)) {
		flexos_gate(peer, peer_dirty_raise, &shared_catch, 1);
		CHECK(!"peer_dirty_raise returned");
	}
	report_controls("after the longjmp");
	return 0;
}

/* A setjmp in a helper that returned, then a call made from a frame that
 * took the helper's place: the point lies above the gate's frame, where a
 * live one would, but its function no longer runs. */
FLEXOS_SHARED static jmp_buf helper_catch;

static __attribute__((noinline)) int set_in_helper(void)
{
	if (setjmp(helper_catch)) {
		printf("resumed the helper's setjmp, whose function had "
		       "returned\n");
		exit(0);
	}
	return 0;
}

static __attribute__((noinline)) void raise_over_helper(void)
{
	volatile char request[1024];

	memset((char *)request, 'r', sizeof(request));
	flexos_gate(peer, peer_raise, &helper_catch, 1);
}

static int returned_helper(void)
{
	set_in_helper();
	raise_over_helper();
	return 1;
}

/* A setjmp whose function returned before the longjmp: the host's
 * callback sets it, then returns to the peer. */
FLEXOS_SHARED static jmp_buf returned_catch;

static int set_and_return(int x)
{
	if (setjmp(returned_catch))
		printf("resumed a setjmp whose frame was gone\n");
	return x;
}

static int stale_setjmp(void)
{
	int x;

	flexos_gate_r(x, peer, peer_call_back,
		      flexos_callback(scenario, set_and_return), 1);
	CHECK(x == 2);
	flexos_gate(peer, peer_raise, &returned_catch, 1);
	return 1;
}

int errors(const char *name)
{
	if (!strcmp(name, "longjmp"))
		return caught_errors();
	if (!strcmp(name, "longjmp-forged-resume"))
		return forged_resume();
	if (!strcmp(name, "longjmp-stale"))
		return stale_setjmp();
	if (!strcmp(name, "longjmp-forged-callback"))
		return forged_callback_resume();
	if (!strcmp(name, "longjmp-returned-helper"))
		return returned_helper();
	if (!strcmp(name, "dirty-controls"))
		return dirty_controls();
	if (!strcmp(name, "siglongjmp-mask"))
		return mask_restored();
	if (!strcmp(name, "longjmp-nested-handler"))
		return outer_after_nested();
	return -1;
}
