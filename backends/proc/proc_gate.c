/* Gates between processes: the caller's half (flexos_proc__call), the
 * callee's half (serve), and the threads that stand in for a caller thread
 * in every other compartment. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

struct entry {
	uintptr_t fn;
	const struct flexos_library *lib;
};

/* Every gate site records (fn, lib) here (see <flexos/gate.h>). */
extern const struct entry __start_flexos_entries[] __attribute__((weak));
extern const struct entry __stop_flexos_entries[] __attribute__((weak));

/* This process's entry points, sorted. */
static uintptr_t *entries;
static size_t nentries;

static __thread int my_channel = -1;
static __thread bool owns_channel;

static int by_address(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

void flexos_proc__load_entries(void)
{
	const struct entry *e;
	size_t n = (size_t)(__stop_flexos_entries - __start_flexos_entries);

	entries = __libc_calloc(n ? n : 1, sizeof(*entries));
	if (!entries)
		flexos__die(FLEXOS_EXIT_SETUP, "out of memory for entry points");
	for (e = __start_flexos_entries; e < __stop_flexos_entries; e++)
		if (e->lib->compartment == flexos__self.current)
			entries[nentries++] = e->fn;
	qsort(entries, nentries, sizeof(*entries), by_address);
}

static bool is_entry(uintptr_t fn)
{
	return bsearch(&fn, entries, nentries, sizeof(*entries),
		       by_address) != NULL;
}

static struct proc_channel *channel_of_thread(void)
{
	struct proc_control *control = flexos_proc__control;

	if (my_channel >= 0)
		return &control->channels[my_channel];
	for (int k = 0; k < PROC_CHANNELS; k++) {
		uint32_t free_slot = 0;
		if (atomic_compare_exchange_strong(&control->channels[k].in_use,
						   &free_slot, 1)) {
			my_channel = k;
			owns_channel = true;
			return &control->channels[k];
		}
	}
	flexos__die(FLEXOS_EXIT_SETUP, "proc: more than %d threads make gates",
		    PROC_CHANNELS);
}

/* Makes sure a thread of `dest` serves this channel: its dispatcher starts
 * one on the first call. */
static void ensure_server(struct proc_channel *ch, unsigned dest)
{
	uint32_t none = SERVER_NONE;

	if (atomic_compare_exchange_strong(&ch->server[dest], &none,
					   SERVER_REQUESTED)) {
		atomic_fetch_add(&flexos_proc__control->doorbell[dest], 1);
		flexos_proc__futex_wake(&flexos_proc__control->doorbell[dest]);
	}
}

static __attribute__((noreturn)) void refuse(uintptr_t fn, unsigned from)
{
	char name[512];

	flexos__describe_address(fn, name, sizeof(name));
	fflush(stdout);
	fprintf(stderr,
		"flexos: compartment '%s' refused a call from '%s' to %#lx "
		"(%s): not an entry point of '%s'\n",
		flexos__rt.compartments[flexos__self.current].name,
		flexos__rt.compartments[from].name, (unsigned long)fn, name,
		flexos__rt.compartments[flexos__self.current].name);
	fprintf(stderr, "flexos: stopping the image (exit status %d)\n",
		FLEXOS_EXIT_FAULT);
	_exit(FLEXOS_EXIT_FAULT);
}

/* Runs the call waiting in the channel and passes the turn back. */
static void serve(struct proc_channel *ch)
{
	_Alignas(16) struct flexos__gate_frame frame = ch->frame;
	_Alignas(16) char stack_args[GATE_STACK_ARGS];
	unsigned from = ch->from;

	memcpy(stack_args, ch->stack_args, sizeof(stack_args));
	if (!is_entry(frame.fn))
		refuse(frame.fn, from);
	flexos__invoke(&frame, stack_args);
	ch->frame.ret_rax = frame.ret_rax;
	ch->frame.ret_rdx = frame.ret_rdx;
	memcpy(ch->frame.ret_xmm0, frame.ret_xmm0, sizeof(frame.ret_xmm0));
	memcpy(ch->frame.ret_xmm1, frame.ret_xmm1, sizeof(frame.ret_xmm1));
	ch->kind = PROC_RETURN;
	ch->from = flexos__self.current;
	flexos_proc__post(ch, from);
}

/* The gate's results when the callee is gone and FLEXOS_PROC_ON_CRASH=error:
 * -1 in the integer registers (also (void *)-1), NaN in the vector ones. */
static void crashed(struct flexos__gate_frame *frame)
{
	frame->ret_rax = frame->ret_rdx = UINT64_MAX;
	memset(frame->ret_xmm0, 0xff, sizeof(frame->ret_xmm0));
	memset(frame->ret_xmm1, 0xff, sizeof(frame->ret_xmm1));
	errno = EOWNERDEAD;
}

void flexos_proc__call(struct flexos__gate_frame *frame,
		       const void *stack_args)
{
	unsigned me = flexos__self.current, dest = (unsigned)frame->dest;
	struct proc_channel *ch = channel_of_thread();

	if (atomic_load(&flexos_proc__control->dead[dest])) {
		crashed(frame);
		return;
	}
	ensure_server(ch, dest);
	ch->kind = PROC_CALL;
	ch->from = me;
	memcpy(&ch->frame, frame, sizeof(*frame));
	memcpy(ch->stack_args, stack_args, sizeof(ch->stack_args));
	if (flexos__hooks.domain_switch)
		flexos__hooks.domain_switch(me, dest, flexos__hooks.context);
	flexos_proc__post(ch, dest);
	for (;;) {
		if (!flexos_proc__wait(ch, me, dest)) {
			crashed(frame);
			return;
		}
		if (ch->kind == PROC_CALL) {
			serve(ch);
			continue;
		}
		frame->ret_rax = ch->frame.ret_rax;
		frame->ret_rdx = ch->frame.ret_rdx;
		memcpy(frame->ret_xmm0, ch->frame.ret_xmm0,
		       sizeof(frame->ret_xmm0));
		memcpy(frame->ret_xmm1, ch->frame.ret_xmm1,
		       sizeof(frame->ret_xmm1));
		break;
	}
	if (flexos__hooks.domain_switch)
		flexos__hooks.domain_switch(dest, me, flexos__hooks.context);
}

/* A thread of this compartment standing in for one caller thread. */
static void *server(void *arg)
{
	unsigned me = flexos__self.current;
	struct proc_channel *ch = arg;

	my_channel = (int)(ch - flexos_proc__control->channels);
	for (;;) {
		flexos_proc__wait(ch, me, me);
		if (ch->kind == PROC_EXIT)
			break;
		serve(ch);
	}
	atomic_store(&ch->server[me], SERVER_NONE);
	return NULL;
}

/* The main thread of a compartment process: starts servers on request and
 * exits the process when the image shuts down. */
void flexos_proc__dispatch(void)
{
	struct proc_control *control = flexos_proc__control;
	unsigned me = flexos__self.current;

	for (;;) {
		uint32_t seen = atomic_load(&control->doorbell[me]);
		if (atomic_load(&control->shutdown))
			exit(0);
		for (unsigned k = 0; k < PROC_CHANNELS; k++) {
			struct proc_channel *ch = &control->channels[k];
			uint32_t requested = SERVER_REQUESTED;
			pthread_t thread;
			if (!atomic_compare_exchange_strong(
				    &ch->server[me], &requested, SERVER_RUNNING))
				continue;
			if (pthread_create(&thread, NULL, server, ch) != 0)
				flexos__die(FLEXOS_EXIT_SETUP, "proc: cannot "
					    "start a server thread");
			pthread_detach(thread);
		}
		flexos_proc__futex_wait(&control->doorbell[me], seen);
	}
}

/* A caller thread ends: its stand-ins in other compartments end too, and
 * the channel is free again. */
void flexos_proc__thread_end(unsigned compartment)
{
	struct proc_channel *ch;

	(void)compartment;
	if (!owns_channel)
		return;
	ch = &flexos_proc__control->channels[my_channel];
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		if (atomic_load(&ch->server[c]) == SERVER_NONE ||
		    atomic_load(&flexos_proc__control->dead[c]))
			continue;
		ch->kind = PROC_EXIT;
		flexos_proc__post(ch, c);
		while (atomic_load(&ch->server[c]) != SERVER_NONE)
			sched_yield();
	}
	my_channel = -1;
	owns_channel = false;
	atomic_store(&ch->in_use, 0);
}
