/* The proc backend's shared state; private to backends/proc.
 *
 * Every compartment is a process.  A thread that makes gates takes a
 * channel, one of the PROC_CHANNELS of its compartment (channel k belongs
 * to compartment k / PROC_CHANNELS, which alone hands it out, from its own
 * memory), and its calls travel on that channel
 * from compartment to compartment.  What a call or a result says travels
 * in a link: the memory two compartments share for one channel, one
 * mailbox each way, mapped before fork and then only in those two
 * processes, so that a third compartment can neither read nor forge what
 * they tell each other (docs/threat-model.md, proc).  Exactly one party of
 * a channel holds its turn at a time, and nested calls (A -> B -> A -> B)
 * simply pass the turn along: the thread waiting for its result serves the
 * calls that reach it.  Every call carries a number its result repeats: a
 * thread waiting for its inner call takes no result of its outer one,
 * which a call injected out of turn would otherwise put in its place.  The control block every process maps holds what
 * no message says: which compartments serve a channel, who sleeps, who
 * died (docs/threat-model.md says what rewriting it can do).
 *
 * A gate's cost is the number of cache lines that travel between the two
 * cores (docs/benchmarks.md): a call whose arguments all sit in
 * general-purpose registers travels in the callee's mailbox line alone,
 * and every result in the caller's.  Vector and stack arguments wait in
 * further lines the callee reads only for entry points that need them. */
#ifndef FLEXOS_PROC_H
#define FLEXOS_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate_frame.h"
#include "internal.h"

/* Channels per compartment: threads of one compartment that make gates at
 * the same time. */
#define PROC_CHANNELS 64
#define PROC_ALL_CHANNELS (FLEXOS_MAX_COMPARTMENTS * PROC_CHANNELS)

/* PROC_UNWIND: a longjmp to unwind.buf left the call (longjmp.c). */
enum proc_message { PROC_CALL = 1, PROC_RETURN, PROC_EXIT, PROC_UNWIND };

enum proc_server { SERVER_NONE, SERVER_REQUESTED, SERVER_RUNNING };

struct proc_mailbox {
	/* The number of the call the last message here belongs to; odd
	 * while the message waits, even once taken (proc_channel.c). */
	_Atomic uint32_t turn;
	uint32_t kind;         /* enum proc_message */
	union {
		struct {
			uint64_t fn;
			uint64_t gpr[6]; /* rdi rsi rdx rcx r8 r9 */
		} call;
		struct {
			uint64_t rax, rdx;
			uint64_t xmm0[2], xmm1[2];
		} ret;
		struct {
			uint64_t buf;
			int64_t value;
		} unwind;
	};
};

_Static_assert(sizeof(struct proc_mailbox) == 64, "a mailbox is one line");

/* One channel between two compartments: box[0] holds messages to the
 * lower-numbered one, box[1] to the other. */
struct proc_link {
	_Alignas(64) struct proc_mailbox box[2];
	/* The rest of a call: %rax (%al counts vector arguments of variadic
	 * functions), the vector registers, the stack arguments.  errno
	 * travels both ways, as it stays in one thread on other backends. */
	_Alignas(64) uint64_t rax;
	int32_t error;
	/* The CPU each side last posted from, box[i]'s reader in cpu[i]. */
	_Atomic int32_t cpu[2];
	_Alignas(16) uint64_t xmm[16];
	char stack_args[GATE_STACK_ARGS];
};

struct proc_channel {
	/* Per compartment: a thread waits on the channel (the poster rings
	 * its bell), and whether a server thread stands in for the caller. */
	_Alignas(64) _Atomic uint32_t asleep[FLEXOS_MAX_COMPARTMENTS];
	_Alignas(64) _Atomic uint32_t bell[FLEXOS_MAX_COMPARTMENTS];
	_Alignas(64) _Atomic uint32_t server[FLEXOS_MAX_COMPARTMENTS];
};

/* The compartment whose thread takes channel k: every call on it starts
 * there, so a call back into it finds that thread waiting in a gate, which
 * serves it; no server stands in for it there. */
static inline unsigned flexos_proc__owner(unsigned k)
{
	return k / PROC_CHANNELS;
}

struct proc_control {
	_Atomic uint32_t doorbell[FLEXOS_MAX_COMPARTMENTS];
	/* Non-zero once a compartment's process is gone: its exit status
	 * plus one (signals as 128 + number). */
	_Atomic uint32_t dead[FLEXOS_MAX_COMPARTMENTS];
	_Atomic uint32_t shutdown;
	struct proc_channel channels[PROC_ALL_CHANNELS];
};

extern struct proc_control *flexos_proc__control;
/* The sandbox of compartment processes (proc_sandbox.c):
 * FLEXOS_PROC_SANDBOX=strict takes the network (before the system-call
 * policy) and the file system (after it) from compartment processes; every
 * process of the image is undumpable. */
extern bool flexos_proc__strict;
void flexos_proc__sandbox_choose(void);
void flexos_proc__sandbox_network(void);
void flexos_proc__sandbox_files(void);

/* FLEXOS_PROC_ON_CRASH=error: a gate to a dead compartment returns an
 * error instead of stopping the image. */
extern bool flexos_proc__errors_on_crash;

/* Whether compartment c's process is gone (its exit status plus one, or
 * 0), and whether the image ends.  The default process answers from its
 * own memory, which its monitors write: the control block's copies, which
 * every compartment can rewrite, steer only the compartment processes
 * (which a forger can then stall or end, never make the default process
 * take a live callee for a dead one). */
uint32_t flexos_proc__dead(unsigned c);
bool flexos_proc__ending(void);

/* Channels (proc_channel.c).  Links are mapped for every pair before the
 * compartment processes start; each process then keeps only its own. */
int flexos_proc__links_map(unsigned ncompartments);
void flexos_proc__links_keep(unsigned compartment);
/* The link of compartments a and b for channel k; its memory is mapped
 * only in a's and b's processes. */
struct proc_link *flexos_proc__link(unsigned a, unsigned b, unsigned k);
/* The mailbox of `link` (between `me` and `peer`) that holds messages to
 * `to`, one of the two. */
struct proc_mailbox *flexos_proc__box(struct proc_link *link, unsigned to,
				      unsigned other);
/* The mailbox to `to` of the link between `me` and `to` for channel k,
 * once `to` has taken the message it held: a message is never written
 * over one not yet read. */
struct proc_mailbox *flexos_proc__outbox(unsigned k, unsigned me,
					 unsigned to);
/* Passes the turn of channel k to `to`: the message is in its outbox, for
 * the call numbered `number` (odd: flexos_proc__number). */
void flexos_proc__post(unsigned k, unsigned me, unsigned to, uint32_t number);
/* Waits until a message reaches `me` on channel k, takes it, and returns
 * the compartment that sent it, the number of its call in *number; -1 if
 * `peer` died meanwhile (error mode). */
int flexos_proc__wait(unsigned k, unsigned me, unsigned peer,
		      uint32_t *number);
/* The number of the call whose gate frame is `frame`: the frames of the
 * calls a thread has under way lie apart on its stack, and no record of
 * them is kept that a longjmp out of them would have to mend. */
static inline uint32_t flexos_proc__number(const void *frame)
{
	return (uint32_t)(uintptr_t)frame | 1;
}
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
