/* The system-call policy of the Linux backends (mpk, proc): protection
 * keys and processes stop loads and stores, not requests to the kernel.
 * Installed once start-up is over and before main, in every process of the
 * image, it keeps every compartment — the default one too — from:
 *
 * - changing the protection or the mapping of memory the runtime protects
 *   (the program and its libraries, the compartments' arenas, the shared
 *   heap and stacks, the entry table: syscall_filter.c);
 * - protection keys (pkey_mprotect, pkey_alloc, pkey_free): the runtime
 *   tags memory at start-up, nobody after;
 * - new executable memory (W^X), and READ_IMPLIES_EXEC;
 * - reaching memory past the page tables: process_vm_readv/writev,
 *   ptrace, /proc/<pid>/mem (landlock.c), pidfd_getfd, process_madvise,
 *   userfaultfd, io_uring (its workers do not run with the caller's keys);
 * - the runtime's signals (SIGSEGV, SIGSYS) and seccomp itself: a filter
 *   of a compartment's own could answer other compartments' calls;
 * - rt_sigreturn but from the runtime's restorer, which every handler
 *   returns through: the runtime installs them all (signal.c), and an
 *   rt_sigaction from elsewhere traps and is answered here.
 *
 * The rules do not ask who calls: seccomp cannot see PKRU, and a rule the
 * runtime could pass with a secret would be passed by any compartment that
 * jumps to the runtime's call.  So the runtime makes no such call after
 * start-up, but for two it cannot avoid, made from one instruction
 * (runtime_syscall.S): what a compartment gains by jumping there is what
 * calling the backends' grant gives it already (docs/threat-model.md).
 *
 * A refused call stops the image with a report (exit 86): the policy
 * refuses only what no program of ours does, so a refusal is an attack or
 * a port that needs a decision.  io_uring_setup returns EPERM instead:
 * programs probe it and fall back.  FLEXOS_SYSCALL_POLICY=off runs without
 * any of it, say for a JIT; =no-landlock without the /proc rule, for
 * kernels without Landlock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <linux/audit.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_SECCOMP /* the si_code of the policy's trap: the kernel's
			* <asm-generic/siginfo.h>, which glibc does not name */
#define SYS_SECCOMP 1
#endif

#define MAX_SPANS 256
_Static_assert(FLEXOS_MAX_COMPARTMENTS * (FLEXOS__STATIC_RANGES + 1) + 1 <=
		       MAX_SPANS,
	       "every range the runtime switches fits");

enum policy_mode { POLICY_UNSET, POLICY_ON, POLICY_NO_LANDLOCK, POLICY_OFF };

/* Why a call is refused, by system call; `always`: whatever its
 * arguments (the others by the rules of load_seccomp_rules or of
 * syscall_filter.c). */
static const struct refusal {
	int nr;
	const char *name, *why;
	bool always;
} refusals[] = {
#define MEMORY "it changes memory the runtime protects"
#define KEYS "protection keys are the runtime's after start-up"
#define PAST "it reaches memory past the protection keys"
#define FORGED_TRAP                                                            \
	"a SIGSYS with the code of the policy's trap would have another "      \
	"thread answer a system call it never made"
	{ SCMP_SYS(mprotect), "mprotect", MEMORY, false },
	{ SCMP_SYS(mmap), "mmap", MEMORY, false },
	{ SCMP_SYS(munmap), "munmap", MEMORY, false },
	{ SCMP_SYS(madvise), "madvise", MEMORY, false },
	{ SCMP_SYS(mremap), "mremap", MEMORY, false },
	{ 462, "mseal", MEMORY, false },
	{ SCMP_SYS(remap_file_pages), "remap_file_pages", MEMORY, true },
	{ SCMP_SYS(process_madvise), "process_madvise", MEMORY, true },
	{ SCMP_SYS(shmat), "shmat", MEMORY, false },
	{ SCMP_SYS(pkey_mprotect), "pkey_mprotect", KEYS, true },
	{ SCMP_SYS(pkey_alloc), "pkey_alloc", KEYS, true },
	{ SCMP_SYS(pkey_free), "pkey_free", KEYS, true },
	{ SCMP_SYS(process_vm_readv), "process_vm_readv", PAST, true },
	{ SCMP_SYS(process_vm_writev), "process_vm_writev", PAST, true },
	{ SCMP_SYS(ptrace), "ptrace", PAST, true },
	{ SCMP_SYS(userfaultfd), "userfaultfd", PAST, true },
	{ SCMP_SYS(pidfd_getfd), "pidfd_getfd",
	  "it takes another process's descriptors", true },
	{ SCMP_SYS(perf_event_open), "perf_event_open",
	  "its samples copy other compartments' stacks and registers", true },
	{ SCMP_SYS(bpf), "bpf", "its programs read memory past the keys", true },
	{ SCMP_SYS(init_module), "init_module", "it changes the kernel", true },
	{ SCMP_SYS(finit_module), "finit_module", "it changes the kernel", true },
	{ SCMP_SYS(kexec_load), "kexec_load", "it changes the kernel", true },
	{ SCMP_SYS(kexec_file_load), "kexec_file_load",
	  "it changes the kernel", true },
	{ SCMP_SYS(personality), "personality",
	  "READ_IMPLIES_EXEC makes readable memory executable", false },
	{ SCMP_SYS(sigaltstack), "sigaltstack",
	  "the kernel writes signal frames there with every key open; only "
	  "the runtime sets signal stacks", false },
	{ SCMP_SYS(rt_sigaction), "rt_sigaction",
	  "SIGSEGV and SIGSYS are the runtime's", false },
	{ SCMP_SYS(rt_sigreturn), "rt_sigreturn",
	  "only the runtime's restorer has the kernel load a signal frame "
	  "(it restores every register, and PKRU)", false },
	{ SCMP_SYS(seccomp), "seccomp",
	  "a filter of its own could answer other compartments' calls", true },
	{ SCMP_SYS(prctl), "prctl",
	  "a seccomp filter or a memory map of its own", false },
	{ SCMP_SYS(set_tid_address), "set_tid_address",
	  "the kernel clears the word it names when the thread ends, with the "
	  "rights of the compartment it ends in", false },
	{ SCMP_SYS(rt_sigqueueinfo), "rt_sigqueueinfo", FORGED_TRAP, false },
	{ SCMP_SYS(rt_tgsigqueueinfo), "rt_tgsigqueueinfo", FORGED_TRAP, false },
	{ SCMP_SYS(pidfd_send_signal), "pidfd_send_signal", FORGED_TRAP, false },
#undef MEMORY
#undef KEYS
#undef PAST
#undef FORGED_TRAP
};

static enum policy_mode mode;

/* FLEXOS_SYSCALL_POLICY, read once per image (proc's processes inherit
 * it). */
bool flexos__syscall_policy_wanted(void)
{
	const char *text = getenv("FLEXOS_SYSCALL_POLICY");

	if (mode != POLICY_UNSET)
		return mode != POLICY_OFF;
	if (!text || !*text || !strcmp(text, "on"))
		mode = POLICY_ON;
	else if (!strcmp(text, "no-landlock"))
		mode = POLICY_NO_LANDLOCK;
	else if (!strcmp(text, "off"))
		mode = POLICY_OFF;
	else
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_SYSCALL_POLICY='%s' is not a policy: use "
			    "on, no-landlock or off", text);
	if (mode == POLICY_OFF)
		fprintf(stderr, "flexos: FLEXOS_SYSCALL_POLICY=off: system "
			"calls are not mediated; compartments can reach each "
			"other through the kernel\n");
	return mode != POLICY_OFF;
}

static const struct refusal *refusal_of(int nr)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].nr == nr)
			return &refusals[i];
	return NULL;
}

/* An rt_sigaction from code the image does not link through signal.c's
 * wrappers, unless refused: the thread resumes in
 * flexos__sigaction_redirect, which answers it with the caller's rights
 * (this handler has key 0 alone on hardware keys).  The system call
 * clobbers %r11 anyway. */
static bool answer_sigaction(greg_t *regs)
{
	if (flexos__sigaction_refused((int)regs[REG_RDI], regs[REG_RSI] != 0))
		return false;
	regs[REG_R11] = regs[REG_RIP];
	regs[REG_RIP] = (greg_t)flexos__sigaction_redirect;
	return true;
}

static void on_sigsys(int sig, siginfo_t *info, void *context_)
{
	greg_t *regs = ((ucontext_t *)context_)->uc_mcontext.gregs;
	const struct refusal *refusal = refusal_of(info->si_syscall);

	/* The kernel's trap says which arch and where the call was: a child
	 * whose exit signal is SIGSYS (clone) has its parent sent si_code
	 * CLD_EXITED, which is SYS_SECCOMP's number too, with its exit
	 * status where the system call's number would be. */
	if (info->si_code != SYS_SECCOMP || info->si_arch != AUDIT_ARCH_X86_64 ||
	    (greg_t)info->si_call_addr != regs[REG_RIP]) {
		/* Sent (kill, sigqueue from another process, a child's exit),
		 * not a call the policy trapped: nothing to answer, no
		 * compartment to name.
		 * The image ends as the signal's default action would. */
		fflush(stdout);
		fprintf(stderr, "flexos: SIGSYS sent by process %d, not a "
			"system call the policy refused: the image ends as "
			"its default action would (exit status %d)\n",
			(int)info->si_pid, 128 + SIGSYS);
		flexos__crossings_abandon();
		_exit(128 + SIGSYS);
	}
	if (info->si_syscall == SCMP_SYS(rt_sigaction) && answer_sigaction(regs))
		return;
	/* The third argument says it: protection bits, or shmat's flags. */
	bool exec = info->si_syscall == SCMP_SYS(shmat)
			    ? regs[REG_RDX] & SHM_EXEC
			    : (info->si_syscall == SCMP_SYS(mmap) ||
			       info->si_syscall == SCMP_SYS(mprotect)) &&
				      (regs[REG_RDX] & PROT_EXEC);
	struct flexos_fault fault = {
		.accessor = flexos__accessor_of_context(context_),
		.address = (uintptr_t)regs[REG_RDI],
		.ip = (uintptr_t)regs[REG_RIP],
	};
	bool owned = flexos__classify(fault.address, &fault.owner, &fault.kind);
	char accessor[96], refused[640];

	(void)sig;
	fflush(stdout);
	flexos__describe_accessor(fault.accessor, accessor, sizeof(accessor));
	snprintf(refused, sizeof(refused),
		 "isolation fault: %s made a system call the policy refuses: "
		 "%s(0x%llx, 0x%llx, 0x%llx, 0x%llx)\n"
		 "flexos:   refused: %s",
		 accessor,
		 refusal ? refusal->name : "?", (long long)regs[REG_RDI],
		 (long long)regs[REG_RSI], (long long)regs[REG_RDX],
		 (long long)regs[REG_R10],
		 exec ? "no new executable memory after start-up (W^X); an "
			"image that needs it, a JIT, runs with "
			"FLEXOS_SYSCALL_POLICY=off, which mediates nothing"
		 : refusal ? refusal->why : "the policy refuses it");
	/* The first argument is an address when it names memory anybody
	 * owns. */
	flexos__report_fault_heading(&(struct flexos__fault_heading){
		.fault = &fault,
		.owned = owned,
		.no_address = !owned,
		.crash = refused,
	});
	if (!refusal)
		fprintf(stderr, "flexos:   (system call %d)\n",
			info->si_syscall);
	fprintf(stderr, "flexos: stopping the image (exit status %d)\n",
		FLEXOS_EXIT_FAULT);
	if (flexos__sealed.backend->halt)
		flexos__sealed.backend->halt();
	flexos__crossings_abandon();
	_exit(FLEXOS_EXIT_FAULT);
}

static void rule(scmp_filter_ctx filter, uint32_t action, int nr,
		 unsigned ncmp, const struct scmp_arg_cmp *cmp)
{
	int err = seccomp_rule_add_array(filter, action, nr, ncmp, cmp);

	if (err < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "the system-call policy cannot "
			    "add its rule for system call %d: %s", nr,
			    strerror(-err));
}

#define RULE(filter, action, nr, ...)                                         \
	rule(filter, action, nr,                                              \
	     sizeof((struct scmp_arg_cmp[]){ __VA_ARGS__ }) /                 \
		     sizeof(struct scmp_arg_cmp),                             \
	     (struct scmp_arg_cmp[]){ __VA_ARGS__ })

#define INT_A0(value) SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, (value))

void *flexos__policy_rules_build(void)
{
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	const uint32_t trap = SCMP_ACT_TRAP;

	if (!filter || seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1) < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "libseccomp cannot start a "
			    "filter for the system-call policy");
	/* A binary search on the number rather than a chain of compares:
	 * a call with rules (mmap, munmap, rt_sigaction, ...) reaches them
	 * in about 10 instructions instead of about 28.  Calls without
	 * rules cost nothing either way: every path still reads only the
	 * arch and the number, so the kernel caches them
	 * (tests/unit/test_seccomp_cache.c).  Only an optimization: a
	 * libseccomp that refuses it builds the chain. */
	(void)seccomp_attr_set(filter, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].always)
			rule(filter, trap, refusals[i].nr, 0, NULL);
	rule(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0, NULL);
	/* The kernel reads these arguments as int: compare the low 32 bits
	 * alone (SCMP_A0_32 only narrows the constant), or PR_SET_MM | 1 << 32
	 * passes for another option.  (W^X and the runtime's signals are
	 * syscall_filter.c's: they hold for the image's code alone.) */
	RULE(filter, trap, SCMP_SYS(prctl),
	     INT_A0(PR_SET_SECCOMP));
	RULE(filter, trap, SCMP_SYS(prctl),
	     INT_A0(PR_SET_MM));
	/* proc keeps its processes undumpable */
	RULE(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl),
	     INT_A0(PR_SET_DUMPABLE));
	/* A signal with the siginfo of the caller's choice, which the kernel
	 * lets through within the process: SIGSYS is the policy's trap
	 * (on_sigsys).  What else brings SIGSYS (kill's code 0, another
	 * process's codes below 0, a child's exit) on_sigsys tells apart. */
	RULE(filter, trap, SCMP_SYS(rt_sigqueueinfo),
	     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffff, SIGSYS));
	RULE(filter, trap, SCMP_SYS(rt_tgsigqueueinfo),
	     SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffff, SIGSYS));
	RULE(filter, trap, SCMP_SYS(pidfd_send_signal),
	     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffff, SIGSYS));
	return filter;
}

static void load_seccomp_rules(void)
{
	scmp_filter_ctx filter = flexos__policy_rules_build();
	int err = seccomp_load(filter);
	seccomp_release(filter);
	if (err < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "the kernel refuses the "
			    "system-call policy (seccomp: %s); run with "
			    "FLEXOS_SYSCALL_POLICY=off to go without it",
			    strerror(-err));
}

struct spans {
	struct flexos__span span[MAX_SPANS];
	unsigned n;
};

static void add_span(struct spans *s, uintptr_t start, uintptr_t end)
{
	if (start >= end)
		return;
	if (s->n == MAX_SPANS)
		flexos__die(FLEXOS_EXIT_SETUP, "the system-call policy protects "
			    "at most %u spans of memory", MAX_SPANS);
	s->span[s->n++] = (struct flexos__span){
		start & ~(uintptr_t)(FLEXOS__PAGE - 1),
		(end + FLEXOS__PAGE - 1) & ~(uintptr_t)(FLEXOS__PAGE - 1)
	};
}

/* Each loaded object, from its first segment to the end of its last: the
 * gaps between are the loader's reservations. */
static int add_object(struct dl_phdr_info *info, size_t size, void *s)
{
	uintptr_t start = UINTPTR_MAX, end = 0;

	(void)size;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (lo < start)
			start = lo;
		if (lo + ph->p_memsz > end)
			end = lo + ph->p_memsz;
	}
	add_span(s, start, end);
	return 0;
}

/* Each loaded object's code: its executable segments. */
static int add_code(struct dl_phdr_info *info, size_t size, void *s)
{
	(void)size;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && ph->p_flags & PF_X)
			add_span(s, info->dlpi_addr + ph->p_vaddr,
				 info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
	}
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct flexos__span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted, and each overlapping or touching pair made one. */
static void merge_spans(struct spans *s)
{
	unsigned merged = 0;

	qsort(s->span, s->n, sizeof(s->span[0]), by_start);
	for (unsigned i = 0; i < s->n; i++) {
		if (merged && s->span[i].start <= s->span[merged - 1].end) {
			if (s->span[i].end > s->span[merged - 1].end)
				s->span[merged - 1].end = s->span[i].end;
			continue;
		}
		s->span[merged++] = s->span[i];
	}
	s->n = merged;
}

/* What the runtime's own mprotect switches: each compartment's static
 * data and arena (emulated keys), the sealed page (hooks; not on
 * hardware keys). */
static void collect_switched(struct spans *s)
{
	/* Hardware keys switch with WRPKRU: the runtime changes no
	 * protection once start-up is over, and a jump to its instruction
	 * could otherwise take another compartment's pages away. */
	if (flexos__sealed.pkru_gate)
		return;
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		const struct flexos__compartment *comp =
			&flexos__rt.compartments[c];
		for (unsigned i = 0; i < FLEXOS__STATIC_RANGES; i++)
			add_span(s, (uintptr_t)comp->static_data[i].start,
				 (uintptr_t)comp->static_data[i].end);
		if (comp->arena)
			add_span(s, (uintptr_t)comp->arena,
				 (uintptr_t)comp->arena + FLEXOS__ARENA_SIZE);
	}
	/* On hardware keys it is written through its alias instead, which
	 * no call may touch (collect_spans). */
	if (!flexos__sealed.alias)
		add_span(s, (uintptr_t)&flexos__sealed,
			 (uintptr_t)&flexos__sealed + sizeof(flexos__sealed));
}

/* The guard gaps around arenas are not among them: they are unmapped, and
 * the kernel places other mappings there. */
static void collect_spans(struct spans *s)
{
	dl_iterate_phdr(add_object, s);
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		uintptr_t arena = (uintptr_t)flexos__rt.compartments[c].arena;
		if (arena)
			add_span(s, arena, arena + FLEXOS__ARENA_SIZE);
	}
	add_span(s, (uintptr_t)flexos__sealed.shared_heap,
		 flexos__sealed.shared_end);
	if (flexos__rt.shared_stacks)
		add_span(s, (uintptr_t)flexos__rt.shared_stacks,
			 (uintptr_t)flexos__rt.shared_stacks +
				 (size_t)FLEXOS_MAX_COMPARTMENTS *
					 FLEXOS__STACK_SLOTS *
					 FLEXOS__STACK_SIZE);
	add_span(s, (uintptr_t)flexos__sealed.entries,
		 (uintptr_t)flexos__sealed.entries + flexos__sealed.entry_bytes);
	if (flexos__sealed.alias)
		add_span(s, (uintptr_t)flexos__sealed.alias,
			 (uintptr_t)flexos__sealed.alias +
				 sizeof(flexos__sealed));
	merge_spans(s);
}

int flexos__syscall_policy_install(void)
{
	struct sigaction action = { .sa_sigaction = on_sigsys,
				    .sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct spans spans = { .n = 0 }, switched = { .n = 0 }, code = { .n = 0 };

	if (flexos__learning || !flexos__syscall_policy_wanted())
		return 0;
	/* What glibc would load later, now: libgcc_s (executable memory),
	 * to unwind in pthread_exit and backtrace.  Kept loaded for good. */
	dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE);
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGSYS, &action, NULL) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot install the SIGSYS "
			    "handler: %s", strerror(errno));
	/* Every handler, the runtime's too, with the runtime's restorer:
	 * rt_sigreturn comes from nowhere else once the filters are in. */
	flexos__signals_take_over();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			    strerror(errno));
	if (mode != POLICY_NO_LANDLOCK)
		flexos__landlock_own_memory();
	collect_spans(&spans);
	collect_switched(&switched);
	/* The code there is: the libraries are loaded (libgcc_s above), and
	 * no executable memory comes after (W^X). */
	dl_iterate_phdr(add_code, &code);
	merge_spans(&code);
	/* The range filter first: the rules refuse seccomp itself. */
	flexos__range_filter_load(&(struct flexos__range_rules){
		.protected = spans.span,
		.nprotected = spans.n,
		.code = code.span,
		.ncode = code.n,
		.switched = switched.span,
		.nswitched = switched.n,
		.mediate_altstack = flexos__sealed.pkru_gate,
	});
	load_seccomp_rules();
	return 0;
}
