/* Fault reports inside the image.  The kernel hands every fault of the
 * program that it cannot resolve (an exception in ring 3) to the handler
 * registered here, on a stack of the TCB, with what the CPU said; the
 * report starts as on Linux (libflexos/fault_report.c): who, whose memory,
 * what kind, where; then come the gates crossed on the way, which the
 * kernel found: the handler runs with key 0 alone, and reads no
 * compartment's memory.  Addresses are
 * named from the program's symbol table, which the kernel reads from the
 * image; run.sh adds source lines from the program's debug information
 * (there is no debug-info reader in the image).
 * An isolation fault, or a system call the kernel's policy refuses,
 * stops the image with FLEXOS_EXIT_FAULT; any other fault with 128 + the
 * signal Linux would have sent. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../abi.h"
#include "baremetal.h"
#include "internal.h"

#define FAULT_STACK_SIZE (64u << 10)

static int signal_of(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19:
		return 8;
	case 1: case 3:
		return 5;
	case 6:
		return 4;
	case 12: case 17:
		return 7;
	default:
		return 11;
	}
}

/* A compartment's name, from an index the kernel read in compartments'
 * memory. */
static const char *name_of(unsigned c)
{
	return c < flexos__rt.ncompartments ? flexos__rt.compartments[c].name
					    : "?";
}

/* The gates the thread is inside of, as the kernel found them. */
static void print_gates(const struct flexos_baremetal_fault *f)
{
	char where[256];

	for (uint64_t i = 0; i < f->ngates && i < FLEXOS_BAREMETAL_GATES; i++) {
		const struct flexos_baremetal_trace *gate = &f->gates[i];
		if (!i)
			fprintf(stderr, "flexos: inside the gates:\n");
		flexos__describe_address(gate->address, where, sizeof(where));
		fprintf(stderr, "flexos:   '%s' -> '%s': %s\n",
			name_of(gate->caller), name_of(gate->callee), where);
	}
}

/* A backtrace without unwind tables (the image has no unwinder): the
 * faulting instruction, then the return addresses the kernel's scan of
 * the thread's stacks found (kernel/fault_walk.c), with the gates crossed
 * between them.  A scan: a return address a finished call left behind
 * can show up too, which the report says. */
static void print_backtrace(const struct flexos_baremetal_fault *f)
{
	char where[256];
	unsigned n = 0;

	fprintf(stderr, "flexos: backtrace (a scan of the stack for return "
			"addresses; a finished call's may show):\n");
	flexos__describe_address(f->ip, where, sizeof(where));
	fprintf(stderr, "flexos:   #%-2u 0x%lx %s\n", n++, (unsigned long)f->ip,
		where);
	for (uint64_t i = 0; i < f->ntrace && i < FLEXOS_BAREMETAL_TRACE; i++) {
		const struct flexos_baremetal_trace *t = &f->trace[i];
		if (t->caller == FLEXOS_BAREMETAL_TRACE_RETURN) {
			flexos__describe_address(t->address - 1, where,
						 sizeof(where));
			fprintf(stderr, "flexos:   #%-2u 0x%lx %s\n", n++,
				(unsigned long)t->address, where);
			continue;
		}
		flexos__describe_address(t->address, where, sizeof(where));
		fprintf(stderr, "flexos:   (the gate '%s' -> '%s': %s)\n",
			name_of(t->caller), name_of(t->callee), where);
	}
}

/* The refused call as its C call would read. */
static void describe_call(const struct flexos_baremetal_fault *f, char *out,
			  size_t size)
{
	const uint64_t *a = f->args;
	char text[48];

	snprintf(text, sizeof(text), "%s%s%s",
		 a[2] & PROT_READ ? "|PROT_READ" : "",
		 a[2] & PROT_WRITE ? "|PROT_WRITE" : "",
		 a[2] & PROT_EXEC ? "|PROT_EXEC" : "");
	const char *prot = text[0] ? text + 1 : "PROT_NONE";

	switch (f->call) {
	case SYS_mmap:
		snprintf(out, size, "mmap(0x%lx, %lu, %s, 0x%lx)", a[0], a[1],
			 prot, a[3]);
		break;
	case SYS_mprotect:
		snprintf(out, size, "mprotect(0x%lx, %lu, %s)", a[0], a[1],
			 prot);
		break;
	case SYS_pkey_mprotect:
		snprintf(out, size, "pkey_mprotect(0x%lx, %lu, %s, %ld)", a[0],
			 a[1], prot, (long)a[3]);
		break;
	case SYS_munmap:
		snprintf(out, size, "munmap(0x%lx, %lu)", a[0], a[1]);
		break;
	case SYS_madvise:
		snprintf(out, size, "madvise(0x%lx, %lu, %lu)", a[0], a[1],
			 a[2]);
		break;
	default:
		snprintf(out, size, "system call %lu", (unsigned long)f->call);
	}
}

/* "on memory private to compartment 'x'" and the like: what the refused
 * call asked for, by the rule it broke. */
static void describe_target(const struct flexos_baremetal_fault *f,
			    const struct flexos_fault *fault, bool owned,
			    char *out, size_t size)
{
	int keyed = flexos_baremetal__compartment_of_key((unsigned)f->page_key);
	const char *keyed_name =
		keyed < 0 ? "?" : flexos__rt.compartments[keyed].name;

	switch (f->rule) {
	case FLEXOS_BAREMETAL_POLICY_OTHERS:
		snprintf(out, size, " on memory private to compartment '%s'",
			 owned ? flexos__rt.compartments[fault->owner].name
			       : keyed_name);
		break;
	case FLEXOS_BAREMETAL_POLICY_FIXED:
		snprintf(out, size, " on %s, fixed at start-up",
			 flexos__sealed_contains(fault->address)
				 ? "the runtime's sealed state"
				 : "the program image");
		break;
	case FLEXOS_BAREMETAL_POLICY_EXEC:
		snprintf(out, size, ": executable memory (only the program's "
			 "code is)");
		break;
	default: /* FLEXOS_BAREMETAL_POLICY_KEY */
		snprintf(out, size,
			 " with the key of compartment '%s' (key %lu)",
			 keyed_name, (unsigned long)f->page_key);
	}
}

/* The kernel refused a system call: say who asked what, on whose memory,
 * and stop as for an isolation fault. */
__attribute__((noreturn)) static void
on_refused_call(const struct flexos_baremetal_fault *f)
{
	struct flexos_fault fault = {
		.accessor = flexos__accessor_of_pkru((uint32_t)f->pkru),
		.address = f->address,
		.ip = f->ip,
		.write = true,
	};
	bool owned = flexos__classify(fault.address, &fault.owner, &fault.kind);
	char accessor[96], call[160], target[128], refusal[512], ip[32];

	fflush(stdout);
	flexos__describe_accessor(fault.accessor, accessor, sizeof(accessor));
	describe_call(f, call, sizeof(call));
	describe_target(f, &fault, owned, target, sizeof(target));
	snprintf(refusal, sizeof(refusal), "%s made a system call the policy "
		 "refuses: %s%s",
		 accessor, call, target);
	snprintf(ip, sizeof(ip), " (ip 0x%lx)", (unsigned long)fault.ip);
	flexos__report_fault_heading(&(struct flexos__fault_heading){
		.fault = &fault,
		.owned = owned,
		.no_address = f->rule == FLEXOS_BAREMETAL_POLICY_EXEC ||
			      f->rule == FLEXOS_BAREMETAL_POLICY_KEY,
		.crash = refusal,
		.ip_detail = ip,
	});
	print_backtrace(f);
	print_gates(f);
	if (flexos__sealed.hooks.fault)
		flexos__sealed.hooks.fault(&fault, flexos__sealed.hooks.context);
	fprintf(stderr, "flexos: stopping the image (exit status %d)\n",
		FLEXOS_EXIT_FAULT);
	_exit(FLEXOS_EXIT_FAULT);
}

__attribute__((noreturn)) static void
on_fault(const struct flexos_baremetal_fault *f)
{
	struct flexos_fault fault = {
		.accessor = flexos__accessor_of_pkru((uint32_t)f->pkru),
		.address = f->address,
		.ip = f->ip,
		.write = f->error & 2,
	};
	bool owned = flexos__classify(fault.address, &fault.owner, &fault.kind);
	bool sealed = f->vector == 14 && flexos__sealed_contains(fault.address);
	bool forged_return = flexos__pkru_gate_faulted(f->ip);
	bool isolation = sealed || forged_return ||
			 f->reason == FLEXOS_BAREMETAL_FAULT_PKEY;
	char accessor[96], key[32], crash_line[256], ip[32];
	const char *crash = NULL; /* a page fault: a segmentation fault */
	int status;

	if (f->reason == FLEXOS_BAREMETAL_FAULT_POLICY)
		on_refused_call(f);
	fflush(stdout);
	flexos__describe_accessor(fault.accessor, accessor, sizeof(accessor));
	if (f->reason == FLEXOS_BAREMETAL_FAULT_GUARD && owned &&
	    fault.kind == FLEXOS_MEMORY_STACK) {
		snprintf(crash_line, sizeof(crash_line),
			 "stack overflow in %s: it ran past the end of its "
			 "stack into a guard page", accessor);
		crash = crash_line;
	} else if (f->vector != 14) {
		snprintf(crash_line, sizeof(crash_line),
			 "exception %lu in %s", (unsigned long)f->vector,
			 accessor);
		crash = crash_line;
	}
	if (sealed)
		snprintf(key, sizeof(key), ": the runtime's sealed state");
	else
		snprintf(key, sizeof(key), " (key %lu)",
			 (unsigned long)f->page_key);
	/* Its address, which run.sh turns into a source line. */
	snprintf(ip, sizeof(ip), " (ip 0x%lx)", (unsigned long)fault.ip);
	flexos__report_fault_heading(&(struct flexos__fault_heading){
		.fault = &fault,
		.isolation = isolation,
		.owned = owned,
		.forged_return = forged_return,
		/* Only a page fault names the address it touched. */
		.no_address = f->vector != 14,
		.crash = crash,
		.unowned_detail = key,
		.ip_detail = ip,
	});
	print_backtrace(f);
	print_gates(f);
	if (isolation) {
		if (flexos__sealed.hooks.fault)
			flexos__sealed.hooks.fault(&fault, flexos__sealed.hooks.context);
		status = FLEXOS_EXIT_FAULT;
	} else {
		status = 128 + signal_of(f->vector);
	}
	fprintf(stderr, "flexos: stopping the image (exit status %d)\n", status);
	_exit(status);
}

void flexos__fault_install(void)
{
	char *stack = mmap(NULL, FAULT_STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (stack == MAP_FAILED ||
	    syscall(FLEXOS_BAREMETAL_SYS_FAULT_HANDLER, on_fault,
		    stack + FAULT_STACK_SIZE) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot install the fault "
			    "handler (is this image running on the baremetal "
			    "kernel?)");
}

/* One handler, on its own stack, serves the whole image. */
void flexos__fault_thread_init(void)
{
}
