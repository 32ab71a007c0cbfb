/* Gates between processes: the caller's half (flexos_proc__call), the
 * callee's half (serve), and the threads that stand in for a caller thread
 * in every other compartment. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* Every gate site records an entry here (see <flexos/gate.h>). */
extern const struct flexos__entry_record __start_flexos_entries[]
	__attribute__((weak));
extern const struct flexos__entry_record __stop_flexos_entries[]
	__attribute__((weak));

/* This process's entry points, sorted by address, one each: register_args
 * only when every site that names it passes register arguments only;
 * callers, bit c for compartment c, those some site that names it admits
 * (decision 45). */
struct entry_point {
	uintptr_t fn;
	bool register_args;
	uint32_t callers;
};
static struct entry_point *entries;
static size_t nentries;

static __thread int my_channel = -1;
static __thread bool owns_channel;
/* The compartment whose call on this thread's channel it serves, if any:
 * what a fault report names when a result comes back for another call. */
static __thread int serving_for = -1;
/* Which of this compartment's channels its threads hold: in the process's
 * own memory, so that no other compartment can hand one out twice. */
static _Atomic bool taken[PROC_CHANNELS];

static int by_address(const void *a, const void *b)
{
	uintptr_t x = ((const struct entry_point *)a)->fn;
	uintptr_t y = ((const struct entry_point *)b)->fn;

	return x < y ? -1 : x > y;
}

void flexos_proc__load_entries(void)
{
	const struct flexos__entry_record *e;
	size_t n = (size_t)(__stop_flexos_entries - __start_flexos_entries);
	size_t kept = 0;

	entries = __libc_calloc(n ? n : 1, sizeof(*entries));
	if (!entries)
		flexos__die(FLEXOS_EXIT_SETUP, "out of memory for entry points");
	for (e = __start_flexos_entries; e < __stop_flexos_entries; e++)
		if (e->lib->compartment == flexos__self.current)
			entries[nentries++] = (struct entry_point){
				e->fn, e->register_args != 0,
				flexos__entry_of((uintptr_t)e)->callers
			};
	qsort(entries, nentries, sizeof(*entries), by_address);
	for (size_t i = 0; i < nentries; i++) {
		if (kept && entries[kept - 1].fn == entries[i].fn) {
			entries[kept - 1].register_args &=
				entries[i].register_args;
			entries[kept - 1].callers |= entries[i].callers;
		} else
			entries[kept++] = entries[i];
	}
	nentries = kept;
}

static const struct entry_point *entry_point(uintptr_t fn)
{
	struct entry_point key = { fn, false, 0 };

	return bsearch(&key, entries, nentries, sizeof(*entries), by_address);
}

static unsigned channel_of_thread(void)
{
	unsigned me = flexos__self.current;

	if (my_channel >= 0)
		return (unsigned)my_channel;
	for (unsigned i = 0; i < PROC_CHANNELS; i++) {
		bool free_slot = false;
		unsigned k = me * PROC_CHANNELS + i;
		if (atomic_compare_exchange_strong(&taken[i], &free_slot,
						   true)) {
			/* A caller that ended may have left a message. */
			for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
				if (c != me)
					atomic_store(&flexos_proc__box(
						flexos_proc__link(me, c, k),
						me, c)->turn, 0);
			my_channel = (int)k;
			owns_channel = true;
			return k;
		}
	}
	flexos__die(FLEXOS_EXIT_SETUP, "proc: more than %d threads of "
		    "compartment '%s' make gates", PROC_CHANNELS,
		    flexos__rt.compartments[me].name);
}

/* Makes sure a thread of `dest` serves this channel: its dispatcher starts
 * one on the first call. */
static void ensure_server(unsigned k, unsigned dest)
{
	struct proc_channel *ch = &flexos_proc__control->channels[k];
	uint32_t none = SERVER_NONE;

	if (dest == flexos_proc__owner(k))
		return; /* the owner serves calls back into it itself */
	if (atomic_load_explicit(&ch->server[dest], memory_order_relaxed) !=
	    SERVER_NONE)
		return; /* the common case: no locked instruction per call */
	if (atomic_compare_exchange_strong(&ch->server[dest], &none,
					   SERVER_REQUESTED)) {
		atomic_fetch_add(&flexos_proc__control->doorbell[dest], 1);
		flexos_proc__futex_wake(&flexos_proc__control->doorbell[dest]);
	}
}

static __attribute__((noreturn)) void refuse(uintptr_t fn, unsigned from,
					     bool entry)
{
	char name[512];

	flexos__describe_address(fn, name, sizeof(name));
	fflush(stdout);
	fprintf(stderr,
		"flexos: compartment '%s' refused a call from '%s' to %#lx "
		"(%s): ", flexos__rt.compartments[flexos__self.current].name,
		flexos__rt.compartments[from].name, (unsigned long)fn, name);
	if (entry)
		fprintf(stderr, "no gate site that names this entry point "
			"admits '%s'\n", flexos__rt.compartments[from].name);
	else
		fprintf(stderr, "not an entry point of '%s'\n",
			flexos__rt.compartments[flexos__self.current].name);
	fprintf(stderr, "flexos: stopping the image (exit status %d)\n",
		FLEXOS_EXIT_FAULT);
	_exit(FLEXOS_EXIT_FAULT);
}

/* A message no call of this thread waits for: a compartment that is no
 * party to the call answered it, answered another call in its place, or
 * sent what the channel's protocol has no place for.  The image stops:
 * taking it would put the sender's word in the mouth of another. */
static __attribute__((noreturn)) void out_of_turn(unsigned from,
						   unsigned kind,
						   int waiting_for,
						   bool another_call)
{
	fflush(stdout);
	fprintf(stderr, "flexos: isolation fault: compartment '%s' sent "
		"compartment '%s' %s%s ", flexos__rt.compartments[from].name,
		flexos__rt.compartments[flexos__self.current].name,
		kind == PROC_RETURN   ? "the result of "
		: kind == PROC_UNWIND ? "a longjmp out of "
				      : "a message",
		kind == PROC_RETURN || kind == PROC_UNWIND
			? (another_call ? "another call" : "a call")
			: "");
	if (waiting_for < 0)
		fprintf(stderr, "it did not make\n");
	else if (another_call && serving_for >= 0 &&
		 (unsigned)serving_for != from)
		fprintf(stderr, "it made to '%s' (a call from '%s' came in "
			"out of turn)\n",
			flexos__rt.compartments[waiting_for].name,
			flexos__rt.compartments[serving_for].name);
	else
		fprintf(stderr, "it made to '%s'\n",
			flexos__rt.compartments[waiting_for].name);
	fprintf(stderr, "flexos:   backend proc\n"
		"flexos: stopping the image (exit status %d)\n",
		FLEXOS_EXIT_FAULT);
	_exit(FLEXOS_EXIT_FAULT);
}

/* Runs the call numbered `number` that `from` left in our mailbox of
 * channel k and passes the turn back, with the results in its mailbox. */
static void serve(unsigned k, unsigned from, uint32_t number)
{
	unsigned me = flexos__self.current;
	struct proc_link *link = flexos_proc__link(me, from, k);
	const struct proc_mailbox *box = flexos_proc__box(link, me, from);
	_Alignas(16) struct flexos__gate_frame frame = { .fn = box->call.fn };
	_Alignas(16) char stack_args[GATE_STACK_ARGS] = { 0 };
	const struct entry_point *entry;
	struct proc_mailbox *back;

	if (box->kind != PROC_CALL)
		out_of_turn(from, box->kind, -1, false);
	entry = entry_point(frame.fn);
	if (!entry || !(entry->callers >> from & 1))
		refuse(frame.fn, from, entry != NULL);
	memcpy(frame.gpr, box->call.gpr, sizeof(box->call.gpr));
	if (!entry->register_args) {
		frame.gpr[6] = link->rax;
		memcpy(frame.xmm, link->xmm, sizeof(frame.xmm));
		memcpy(stack_args, link->stack_args, sizeof(stack_args));
	}
	errno = link->error;
	struct flexos__thread *self = &flexos__self;
	char *outer_from = self->served_from;
	void **outer_unwind = self->serve_unwind;
	uintptr_t outer_fn = self->served_fn;
	int outer_serving_for = serving_for;
	void *unwind[5];
	if (__builtin_setjmp(unwind)) {
		/* A longjmp left the call (longjmp.c): the caller's process
		 * goes on with it. */
		self->served_from = outer_from;
		self->serve_unwind = outer_unwind;
		self->served_fn = outer_fn;
		serving_for = outer_serving_for;
		back = flexos_proc__outbox(k, me, from);
		link->error = errno;
		back->kind = PROC_UNWIND;
		back->unwind.buf = self->leaving_buf;
		back->unwind.value = self->leaving_value;
		flexos_proc__post(k, me, from, number);
		return;
	}
	self->served_from = __builtin_frame_address(0);
	self->serve_unwind = unwind;
	self->served_fn = frame.fn;
	serving_for = (int)from;
	flexos__invoke(&frame, stack_args);
	self->served_from = outer_from;
	self->serve_unwind = outer_unwind;
	self->served_fn = outer_fn;
	serving_for = outer_serving_for;
	back = flexos_proc__outbox(k, me, from);
	link->error = errno;
	back->kind = PROC_RETURN;
	back->ret.rax = frame.ret_rax;
	back->ret.rdx = frame.ret_rdx;
	memcpy(back->ret.xmm0, frame.ret_xmm0, sizeof(back->ret.xmm0));
	memcpy(back->ret.xmm1, frame.ret_xmm1, sizeof(back->ret.xmm1));
	flexos_proc__post(k, me, from, number);
}

/* The callee is gone.  By default (FLEXOS_PROC_ON_CRASH=stop) the image
 * stops with its status: the monitor (proc.c) is saying so, and until it
 * has the caller must not run on as if the call had happened (it would
 * finish, and exit 0, first).  With FLEXOS_PROC_ON_CRASH=error, or once
 * the image ends, the gate's results: -1 in the integer registers (also
 * (void *)-1), NaN in the vector ones. */
static void crashed(struct flexos__gate_frame *frame, unsigned dest)
{
	/* Once the image ends (a destructor's gate), no monitor will stop
	 * it: the gate fails instead. */
	if (!flexos_proc__errors_on_crash && !flexos_proc__ending()) {
		struct timespec tick = { 0, 1000000 };
		for (int i = 0; i < 10000; i++)
			nanosleep(&tick, NULL);
		int code = (int)flexos_proc__dead(dest) - 1;
		_exit(code > 0 ? code : 1);
	}
	frame->ret_rax = frame->ret_rdx = UINT64_MAX;
	memset(frame->ret_xmm0, 0xff, sizeof(frame->ret_xmm0));
	memset(frame->ret_xmm1, 0xff, sizeof(frame->ret_xmm1));
	errno = EOWNERDEAD;
}

void flexos_proc__call(struct flexos__gate_frame *frame,
		       const void *stack_args)
{
	unsigned me = flexos__self.current, dest = (unsigned)frame->dest;
	unsigned k = channel_of_thread();
	struct proc_link *link = flexos_proc__link(me, dest, k);
	uint32_t mine = flexos_proc__number(frame), number;
	struct proc_mailbox *call;

	if (flexos_proc__dead(dest)) {
		crashed(frame, dest);
		return;
	}
	ensure_server(k, dest);
	call = flexos_proc__outbox(k, me, dest);
	call->kind = PROC_CALL;
	call->call.fn = frame->fn;
	memcpy(call->call.gpr, frame->gpr, sizeof(call->call.gpr));
	/* Written always, read only by entry points that need them: when
	 * they are not read, these lines stay in our cache. */
	link->rax = frame->gpr[6];
	link->error = errno;
	memcpy(link->xmm, frame->xmm, sizeof(link->xmm));
	memcpy(link->stack_args, stack_args, sizeof(link->stack_args));
	if (flexos__sealed.hooks.domain_switch)
		flexos__sealed.hooks.domain_switch(me, dest, flexos__sealed.hooks.context);
	flexos_proc__post(k, me, dest, mine);
	for (;;) {
		int from = flexos_proc__wait(k, me, dest, &number);
		if (from < 0) {
			crashed(frame, dest);
			return;
		}
		const struct proc_mailbox *box = flexos_proc__box(
			flexos_proc__link(me, (unsigned)from, k), me,
			(unsigned)from);
		if (box->kind == PROC_CALL) {
			serve(k, (unsigned)from, number);
			continue;
		}
		/* A result, or a longjmp out of the call: only the callee
		 * may send either, for this call. */
		if ((unsigned)from != dest ||
		    (box->kind != PROC_RETURN && box->kind != PROC_UNWIND) ||
		    number != mine)
			out_of_turn((unsigned)from, box->kind, (int)dest,
				    (unsigned)from == dest);
		if (box->kind == PROC_UNWIND) {
			/* As on the other backends, no domain_switch hook
			 * for the way out of a call a longjmp leaves. */
			errno = link->error;
			flexos__longjmp_arrived(box->unwind.buf,
						(int)box->unwind.value, dest);
		}
		frame->ret_rax = box->ret.rax;
		frame->ret_rdx = box->ret.rdx;
		errno = link->error;
		memcpy(frame->ret_xmm0, box->ret.xmm0, sizeof(frame->ret_xmm0));
		memcpy(frame->ret_xmm1, box->ret.xmm1, sizeof(frame->ret_xmm1));
		break;
	}
	if (flexos__sealed.hooks.domain_switch)
		flexos__sealed.hooks.domain_switch(dest, me, flexos__sealed.hooks.context);
}

/* A thread of this compartment standing in for one caller thread. */
static void *server(void *arg)
{
	unsigned me = flexos__self.current;
	struct proc_channel *ch = arg;
	unsigned k = (unsigned)(ch - flexos_proc__control->channels);

	my_channel = (int)k;
	for (;;) {
		uint32_t number;
		/* Its caller's process gone (FLEXOS_PROC_ON_CRASH=error): no
		 * call will come. */
		int from = flexos_proc__wait(k, me, flexos_proc__owner(k),
					     &number);
		if (from < 0)
			break;
		const struct proc_mailbox *box = flexos_proc__box(
			flexos_proc__link(me, (unsigned)from, k), me,
			(unsigned)from);
		if (box->kind == PROC_EXIT &&
		    (unsigned)from == flexos_proc__owner(k))
			break;
		serve(k, (unsigned)from, number);
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
		if (atomic_load(&control->shutdown)) {
			/* A thread of ours reports a fault: the report ends
			 * the process with its status, which the image must
			 * not lose to a 0 of ours. */
			while (flexos__stopping)
				pause();
			/* Not exit: the program's destructors and atexit
			 * handlers are the default compartment's, and touch
			 * memory this process does not have. */
			flexos__stats_print_process(me);
			fflush(NULL);
			_exit(0);
		}
		for (unsigned k = 0;
		     k < flexos__rt.ncompartments * PROC_CHANNELS; k++) {
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

	if (!owns_channel)
		return;
	ch = &flexos_proc__control->channels[my_channel];
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		if (c == compartment ||
		    atomic_load(&ch->server[c]) == SERVER_NONE ||
		    flexos_proc__dead(c))
			continue;
		flexos_proc__outbox((unsigned)my_channel, compartment, c)
			->kind = PROC_EXIT;
		flexos_proc__post((unsigned)my_channel, compartment, c, 1);
		while (atomic_load(&ch->server[c]) != SERVER_NONE)
			sched_yield();
	}
	atomic_store(&taken[my_channel % PROC_CHANNELS], false);
	my_channel = -1;
	owns_channel = false;
}
