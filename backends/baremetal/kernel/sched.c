/* Threads of the program on the one CPU.
 *
 * The kernel itself never blocks and is never preempted: it runs with
 * interrupts off, on one kernel stack, from an entry to the iretq that
 * leaves it.  A thread is therefore only ever switched at that exit
 * (sched_leave): the trap frame at the top of the kernel stack, which every
 * entry from ring 3 builds, is saved into the outgoing thread and replaced
 * by the incoming one's, together with what the frame does not hold: FS
 * base (the thread's TLS), PKRU (the compartment it is in) and FPU/SSE
 * registers (the kernel, built without SSE, leaves them alone).
 *
 * The PIT tick, taken from ring 3, ends a time slice; the next runnable
 * thread runs, round robin.  With no thread runnable the CPU halts with
 * interrupts on until the tick makes a sleeper runnable; with none
 * runnable and none that a tick could wake, no thread can ever run again:
 * the machine stops with a report (EXIT_DEADLOCK) rather than hanging.
 * Once a thread is in the program's fault handler (trap.c), it alone runs:
 * nothing changes what the report reads while it prints. */
#include "kernel.h"

#define MSR_FS_BASE 0xc0000100

/* What musl's pthread_create passes: a thread sharing everything, with its
 * own TLS, its tid told to the parent and cleared at exit. */
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_DETACHED 0x400000
#define CLONE_PTHREAD                                                        \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |  \
	 CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |                \
	 CLONE_CHILD_CLEARTID | CLONE_DETACHED)

struct thread threads[MAX_THREADS];
struct thread *current = &threads[0];
static uint64_t next_tid = 2;
static bool resched;

/* The thread the loader starts: tid 1, also the process id getpid says. */
void sched_init(void)
{
	current->state = THREAD_RUNNABLE;
	current->tid = 1;
}

static void save(struct thread *t, const struct trap_frame *f)
{
	t->frame = *f;
	t->fs_base = rdmsr(MSR_FS_BASE);
	t->pkru = flexos__rdpkru();
	__asm__ volatile("fxsave64 %0" : "=m"(t->fpu));
}

static void load(const struct thread *t, struct trap_frame *f)
{
	*f = t->frame;
	wrmsr(MSR_FS_BASE, t->fs_base);
	flexos__wrpkru(t->pkru);
	__asm__ volatile("fxrstor64 %0" : : "m"(t->fpu));
}

int64_t thread_clone(const struct trap_frame *f, uint64_t flags, uint64_t stack,
		     uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	struct thread *child = NULL;

	if (flags != CLONE_PTHREAD || tls >= USER_END)
		return -EINVAL;
	if (!vm_user_ok(parent_tid, 4, true))
		return -EFAULT;
	for (size_t i = 0; i < MAX_THREADS && !child; i++)
		if (threads[i].state == THREAD_FREE)
			child = &threads[i];
	if (!child)
		return -EAGAIN;
	/* Linux's child: the parent's registers, FPU and PKRU (it starts in
	 * the compartment its creator is in), on its own stack and TLS. */
	save(child, f);
	child->frame.rax = 0;
	child->frame.rsp = stack;
	child->fs_base = tls;
	child->state = THREAD_RUNNABLE;
	child->tid = next_tid++;
	child->clear_child_tid = child_tid;
	child->clear_child_tid_pkru = flexos__rdpkru();
	*(uint32_t *)parent_tid = (uint32_t)child->tid;
	return (int64_t)child->tid;
}

/* pthread_join and musl's thread list lock wait for the word at
 * clear_child_tid to drop to 0: written with the rights of whoever named
 * it, so that a compartment that names another's word on a thread which
 * then ends in that compartment writes nothing (set-tid-address). */
void thread_exit(int status)
{
	uint64_t tid_address = current->clear_child_tid;
	uint32_t pkru = flexos__rdpkru();

	flexos__wrpkru(current->clear_child_tid_pkru);
	if (tid_address && vm_user_ok(tid_address, 4, true)) {
		*(uint32_t *)tid_address = 0;
		futex_wake(tid_address, 1);
	}
	flexos__wrpkru(pkru);
	current->state = THREAD_FREE;
	for (size_t i = 0; i < MAX_THREADS; i++)
		if (threads[i].state != THREAD_FREE) {
			resched = true;
			return;
		}
	machine_exit(status);
}

int64_t thread_set_tid_address(uint64_t address)
{
	current->clear_child_tid = address;
	current->clear_child_tid_pkru = flexos__rdpkru();
	return (int64_t)current->tid;
}

void sched_block(enum thread_state state, uint64_t wake_ns)
{
	current->state = state;
	current->wake_ns = wake_ns;
	resched = true;
}

void sched_wake(struct thread *t, int64_t result)
{
	t->state = THREAD_RUNNABLE;
	t->frame.rax = (uint64_t)result;
}

void sched_yield(void)
{
	resched = true;
}

__attribute__((noreturn)) static void deadlock(void)
{
	char what[128], where[128];

	kprintf("flexos: deadlock: every thread of the program waits on a "
		"futex and none can wake another\n");
	for (size_t i = 0; i < MAX_THREADS; i++) {
		const struct thread *t = &threads[i];
		if (t->state == THREAD_FREE)
			continue;
		kprintf("flexos:   thread %lu waits on 0x%lx (%s) at %s\n", t->tid,
			t->futex, symbol_of(t->futex, what, sizeof(what)),
			symbol_of(t->frame.rip, where, sizeof(where)));
	}
	kprintf("flexos: stopping the image (exit status %d)\n", EXIT_DEADLOCK);
	machine_exit(EXIT_DEADLOCK);
}

/* The next thread after the current one that can run, the current one
 * last; halts until a tick when none can, and stops the machine when none
 * ever will. */
static struct thread *pick_next(void)
{
	size_t self = (size_t)(current - threads);

	for (;;) {
		uint64_t now = time_ns();
		bool sleepers = false;

		for (size_t i = 0; i < MAX_THREADS; i++) {
			struct thread *t = &threads[i];
			if ((t->state == THREAD_SLEEPING ||
			     t->state == THREAD_FUTEX) && t->wake_ns <= now)
				sched_wake(t, t->state == THREAD_FUTEX ? -ETIMEDOUT : 0);
		}
		for (size_t i = 1; i <= MAX_THREADS; i++) {
			struct thread *t = &threads[(self + i) % MAX_THREADS];
			if (fault_handler_thread && t != fault_handler_thread)
				continue;
			if (t->state == THREAD_RUNNABLE)
				return t;
			if (t->state != THREAD_FREE && t->wake_ns != WAKE_NEVER)
				sleepers = true;
		}
		if (!sleepers)
			deadlock();
		__asm__ volatile("sti; hlt; cli");
	}
}

void sched_leave(struct trap_frame *f)
{
	if (!resched)
		return;
	resched = false;
	/* Saved first: a timeout may end the current thread's own wait
	 * below, and sets its result in the saved frame. */
	if (current->state != THREAD_FREE)
		save(current, f);
	current = pick_next();
	load(current, f);
}
