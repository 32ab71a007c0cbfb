/* The proc backend's shared state; private to backends/proc.
 *
 * Every compartment is a process.  They share one control block (MAP_SHARED,
 * created before fork) holding, per caller thread, a channel: the message of
 * the call in flight and one wake-up word per compartment.  Exactly one
 * party of a channel holds the turn at a time, so one message slot is
 * enough, and nested calls (A -> B -> A -> B) simply pass the turn along:
 * the thread waiting for its result serves the calls that reach it. */
#ifndef FLEXOS_PROC_H
#define FLEXOS_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate_frame.h"
#include "internal.h"

#define PROC_CHANNELS 64

enum proc_message { PROC_CALL = 1, PROC_RETURN, PROC_EXIT };

enum proc_server { SERVER_NONE, SERVER_REQUESTED, SERVER_RUNNING };

struct proc_channel {
	_Atomic uint32_t turn[FLEXOS_MAX_COMPARTMENTS];   /* 1: yours */
	_Atomic uint32_t asleep[FLEXOS_MAX_COMPARTMENTS]; /* in futex_wait */
	_Atomic uint32_t server[FLEXOS_MAX_COMPARTMENTS]; /* enum proc_server */
	_Atomic uint32_t in_use;
	uint32_t kind; /* enum proc_message */
	uint32_t from;
	_Alignas(16) struct flexos__gate_frame frame;
	char stack_args[GATE_STACK_ARGS];
};

struct proc_control {
	_Atomic uint32_t doorbell[FLEXOS_MAX_COMPARTMENTS];
	/* Non-zero once a compartment's process is gone: its exit status
	 * plus one (signals as 128 + number). */
	_Atomic uint32_t dead[FLEXOS_MAX_COMPARTMENTS];
	_Atomic uint32_t shutdown;
	pid_t pids[FLEXOS_MAX_COMPARTMENTS];
	struct proc_channel channels[PROC_CHANNELS];
};

extern struct proc_control *flexos_proc__control;
/* FLEXOS_PROC_ON_CRASH=error: a gate to a dead compartment returns an
 * error instead of stopping the image. */
extern bool flexos_proc__errors_on_crash;

/* Channels (proc_channel.c). */
void flexos_proc__post(struct proc_channel *ch, unsigned to);
/* Waits for `me`'s turn; false if `peer` died meanwhile (error mode). */
bool flexos_proc__wait(struct proc_channel *ch, unsigned me, unsigned peer);
void flexos_proc__wake_all(void);
void flexos_proc__futex_wait(_Atomic uint32_t *word, uint32_t seen);
void flexos_proc__futex_wake(_Atomic uint32_t *word);

/* Gates (proc_gate.c). */
void flexos_proc__call(struct flexos__gate_frame *frame,
		       const void *stack_args);
void flexos_proc__load_entries(void);
__attribute__((noreturn)) void flexos_proc__dispatch(void);
void flexos_proc__thread_end(unsigned compartment);

void flexos__invoke(struct flexos__gate_frame *frame, const void *stack_args);

#endif
