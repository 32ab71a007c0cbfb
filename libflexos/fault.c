/* Fault reports.  An access to another compartment's private memory stops
 * the image with a report (who, whose memory, what kind, where, the
 * backtrace) and exit status FLEXOS_EXIT_FAULT; any other segmentation
 * fault gets the same report and then the default action of the signal, so
 * a plain crash stays a plain crash. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal.h"

#define SIGNAL_STACK_SIZE (256u << 10)
#define MAX_FRAMES 32

static void print_backtrace(ucontext_t *context)
{
	unw_cursor_t cursor;
	char where[512];

	if (unw_init_local2(&cursor, context, UNW_INIT_SIGNAL_FRAME) < 0)
		return;
	fprintf(stderr, "flexos: backtrace:\n");
	for (int i = 0; i < MAX_FRAMES; i++) {
		unw_word_t ip;
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		flexos__describe(ip, i == 0 ? ip : ip - 1, where, sizeof(where));
		fprintf(stderr, "flexos:   #%-2d 0x%012lx %s\n", i,
			(unsigned long)ip, where[0] ? where : "??");
		if (unw_step(&cursor) <= 0)
			break;
	}
}

/* A report without file:line helps little; say why it has none. */
static void hint_line_information(uintptr_t ip)
{
	struct flexos__where where;

	flexos__where(ip, &where);
	if (where.symbol && !where.file && flexos__in_executable(ip))
		fprintf(stderr, "flexos:   (no file:line for %s: its code was "
			"compiled without -g; build with -g, e.g. "
			"-DCMAKE_BUILD_TYPE=RelWithDebInfo, or, for a prebuilt "
			"archive, install its debug symbols)\n", where.symbol);
}

/* The XSAVE feature bit of PKRU's state. */
#define XSTATE_PKRU (1ull << 9)

bool flexos__context_pkru(const ucontext_t *context, uint32_t *pkru)
{
	const unsigned char *xsave =
		(const unsigned char *)context->uc_mcontext.fpregs;
	uint32_t pkru_offset = flexos__sealed.xsave_pkru;

	if (!pkru_offset || !xsave ||
	    !(*(const uint64_t *)(xsave + 512) & XSTATE_PKRU))
		return false;
	*pkru = *(const uint32_t *)(xsave + pkru_offset);
	return true;
}

unsigned flexos__accessor_of_context(const ucontext_t *context)
{
	uint32_t pkru = 0; /* no compartment's: the hint */

	flexos__context_pkru(context, &pkru);
	return flexos__accessor_of_pkru(pkru);
}

static void on_segv(int sig, siginfo_t *info, void *context_)
{
	ucontext_t *context = context_;
	const struct flexos_backend *backend = flexos__sealed.backend;
	struct flexos_fault fault = {
		.accessor = flexos__accessor_of_context(context),
		.address = (uintptr_t)info->si_addr,
		.ip = (uintptr_t)context->uc_mcontext.gregs[REG_RIP],
		.write = context->uc_mcontext.gregs[REG_ERR] & 2,
	};
	bool owned = flexos__classify(fault.address, &fault.owner, &fault.kind);
	bool sealed = flexos__sealed_contains(fault.address);
	bool forged_return = flexos__pkru_gate_faulted(fault.ip);
	bool isolation = sealed || forged_return ||
			 (backend->is_isolation_fault
				  ? backend->is_isolation_fault(info)
				  : owned && fault.owner != fault.accessor);

	(void)sig;
	if (info->si_code <= 0) {
		/* Sent (kill, tgkill, sigqueue), not a fault: no access to
		 * report, nothing to open for a report (emulated keys), and
		 * no access to fault again after returning.  The image ends
		 * as the signal's default action would end it. */
		fflush(stdout);
		fprintf(stderr, "flexos: SIGSEGV sent by process %d, not a "
			"fault: the image ends as its default action would "
			"(exit status %d)\n", (int)info->si_pid, 128 + SIGSEGV);
		flexos__crossings_abandon();
		_exit(128 + SIGSEGV);
	}
	if (flexos__learning && isolation && owned &&
	    flexos__learn_access(&fault, context))
		return;
	flexos__stopping = true;
	if (backend->grant_all)
		backend->grant_all();
	fflush(stdout);
	flexos__report_fault_heading(&(struct flexos__fault_heading){
		.fault = &fault,
		.isolation = isolation,
		.owned = owned,
		.forged_return = forged_return,
		.unowned_detail = sealed ? ": the runtime's sealed state" : NULL,
	});
	hint_line_information(fault.ip);
	/* With hardware keys the kernel runs the handler with key 0 alone,
	 * and no WRPKRU of the runtime's opens more for it: while every key
	 * were open, another thread of a compromised compartment could
	 * rewrite the report's stack or the C library's state it uses.  So
	 * the stacks of compartments, which the backtrace walks, stay shut. */
	if (flexos__sealed.pkru_gate)
		fprintf(stderr, "flexos: backtrace: not taken with hardware "
			"keys (the report reads no compartment's memory); run "
			"with FLEXOS_MPK=emu for one\n");
	else
		print_backtrace(context);

	/* The image ends here either way: no crossings file. */
	flexos__crossings_abandon();
	if (!isolation) {
		/* Let the access fault again with SIGSEGV blocked: the kernel
		 * then takes the default action (the system-call policy keeps
		 * the handler itself from being changed). */
		sigaddset(&context->uc_sigmask, SIGSEGV);
		return;
	}
	if (flexos__sealed.hooks.fault)
		flexos__sealed.hooks.fault(&fault, flexos__sealed.hooks.context);
	fprintf(stderr, "flexos: stopping the image (exit status %d)\n",
		FLEXOS_EXIT_FAULT);
	if (backend->halt)
		backend->halt();
	_exit(FLEXOS_EXIT_FAULT);
}

/* A jump to a PKRU writer that start-up disarmed (pkru_sites.c) runs UD2:
 * an attack, reported as one.  Any other SIGILL keeps its default
 * action: it happens again with SIGILL blocked. */
static void on_sigill(int sig, siginfo_t *info, void *context_)
{
	ucontext_t *context = context_;
	uintptr_t ip = (uintptr_t)info->si_addr;
	const char *what, *object;
	unsigned hint = flexos__self.current; /* key 0: only a hint */

	(void)sig;
	if (!flexos__pkru_site_disarmed(ip, &what, &object)) {
		sigaddset(&context->uc_sigmask, SIGILL);
		return;
	}
	fflush(stdout);
	flexos__die(FLEXOS_EXIT_FAULT,
		    "isolation fault: compartment '%s' jumped to the %s at "
		    "0x%lx in %s, which start-up disarmed: it would have "
		    "opened every protection key\nflexos:   backend %s",
		    hint < flexos__rt.ncompartments
			    ? flexos__rt.compartments[hint].name
			    : "?",
		    what, (unsigned long)ip, object, flexos_backend_name());
}

/* Where the CPU's XSAVE keeps PKRU (CPUID leaf 0xd, sub-leaf 9), when
 * the kernel has it saved (XCR0 bit 9): 0 otherwise.  Read before the
 * sealed page is sealed, for signal.c's check of the PKRU a handler's
 * frame restores. */
static uint32_t xsave_pkru_offset(void)
{
	unsigned eax = 1, ebx = 0, ecx = 0, edx = 0, xcr0_lo, xcr0_hi;

	__asm__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (!(ecx & 1u << 27)) /* OSXSAVE: no XGETBV without it */
		return 0;
	__asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	if (!(xcr0_lo & (1u << 9)))
		return 0;
	eax = 0xd;
	ecx = 9;
	__asm__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	return ebx;
}

void flexos__fault_install(void)
{
	struct sigaction action = {
		.sa_sigaction = on_segv,
		.sa_flags = SA_SIGINFO | SA_ONSTACK,
	};

	/* valgrind reports a crash itself, with its own backtrace: the
	 * report's walk would be errors to it (libunwind probes memory with
	 * system calls), and its signal emulation does not take the default
	 * action for a fault that happens again with SIGSEGV blocked (the
	 * image would hang).  Only fcall runs under valgrind (tools.c). */
	if (flexos__sealed.tools.valgrind)
		return;
	flexos__sealed.xsave_pkru = xsave_pkru_offset();
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGSEGV, &action, NULL) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot install the SIGSEGV "
			    "handler: %s", strerror(errno));
	action.sa_sigaction = on_sigill;
	if (flexos__sealed.pkru_gate && sigaction(SIGILL, &action, NULL) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot install the SIGILL "
			    "handler: %s", strerror(errno));
}

/* Handlers run on a stack of the TCB: the interrupted stack may belong to
 * a compartment the handler cannot touch. */
void flexos__fault_thread_init(void)
{
	stack_t stack = { .ss_size = SIGNAL_STACK_SIZE };

	stack.ss_sp = mmap(NULL, SIGNAL_STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long err = stack.ss_sp == MAP_FAILED
			   ? -errno
			   : flexos__runtime_syscall(SYS_sigaltstack,
						     (long)&stack, 0, 0);
	if (err < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot set up a signal stack: "
			    "%s", strerror((int)-err));
	flexos__self.signal_stack = stack.ss_sp;
}
