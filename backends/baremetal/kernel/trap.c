/* Exceptions and interrupts.  Every exception ends in a readable report on
 * the console and a distinct exit status, never in a triple fault: the
 * double fault runs on a stack of its own (IST), and a fault while
 * reporting a fault stops the machine at once.  Faults of the program go
 * first to the handler the runtime registered (the isolation fault report
 * lives there, with the runtime's knowledge of compartments); faults of
 * the kernel are bugs, reported here. */
#include "kernel.h"

struct gate_descriptor {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, zero;
} __attribute__((packed));

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
} __attribute__((packed));

extern const uint64_t trap_stubs[48];
extern char boot_stack_top[];

static struct gate_descriptor idt[48];
static struct tss tss;
static uint64_t gdt[7];
static uint8_t ist_stack[16384] __attribute__((aligned(16)));
uint64_t kernel_stack_top;
uint64_t user_fault_handler, user_fault_stack;
/* One handler stack for the whole program: the first thread to fault gets
 * it (the report ends the image); a fault of any thread while it is in
 * use stops the machine with the kernel's own report. */
static bool in_user_handler;
struct thread *fault_handler_thread;
static int depth;

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection",
	"page fault", "reserved", "x87 floating point", "alignment check",
	"machine check", "SIMD floating point", "virtualization",
	"control protection",
};

static const char *name_of(uint64_t vector)
{
	return vector < 32 && names[vector] ? names[vector] : "exception";
}

/* The Linux signal a program gets for an exception, so that a crash
 * inside the image exits as it would on Linux (128 + signal). */
static int signal_of(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19:
		return 8; /* SIGFPE */
	case 1: case 3:
		return 5; /* SIGTRAP */
	case 6:
		return 4; /* SIGILL */
	case 12: case 17:
		return 7; /* SIGBUS */
	default:
		return 11; /* SIGSEGV */
	}
}

static void set_gate(int vector, uint64_t handler, int ist, int dpl)
{
	idt[vector] = (struct gate_descriptor){
		.offset_low = (uint16_t)handler,
		.selector = KERNEL_CS,
		.ist = (uint8_t)ist,
		.type = (uint8_t)(0x8e | dpl << 5), /* interrupt gate */
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_high = (uint32_t)(handler >> 32),
	};
}

/* The 8259 PICs moved to vectors 32..47; only the timer unmasked. */
static void pic_init(void)
{
	static const uint8_t init[][2] = {
		{ 0x20, 0x11 }, { 0xa0, 0x11 }, { 0x21, 32 }, { 0xa1, 40 },
		{ 0x21, 4 },    { 0xa1, 2 },    { 0x21, 1 },  { 0xa1, 1 },
		{ 0x21, 0xfe }, { 0xa1, 0xff },
	};

	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		outb(init[i][0], init[i][1]);
}

void trap_init(void)
{
	uint64_t base = (uint64_t)&tss;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)gdt },
				  idtr = { sizeof(idt) - 1, (uint64_t)idt };

	kernel_stack_top = (uint64_t)boot_stack_top;
	tss.rsp[0] = kernel_stack_top;
	tss.ist[0] = (uint64_t)ist_stack + sizeof(ist_stack);
	tss.iomap = sizeof(tss);
	gdt[1] = 0x00af9a000000ffff; /* kernel code */
	gdt[2] = 0x00cf92000000ffff; /* kernel data */
	gdt[3] = 0x00cff2000000ffff; /* user data */
	gdt[4] = 0x00affa000000ffff; /* user code, 64-bit */
	gdt[5] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 | 0x89ul << 40 |
		 ((base >> 24) & 0xff) << 56;
	gdt[6] = base >> 32;
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tltr %w2"
			 :
			 : "m"(gdtr), "i"(KERNEL_CS), "r"(TSS_SEL)
			 : "rax", "memory");
	for (int v = 0; v < 48; v++)
		set_gate(v, trap_stubs[v], (v == 2 || v == 8 || v == 18) ? 1 : 0,
			 (v == 3) ? 3 : 0);
	__asm__ volatile("lidt %0" : : "m"(idtr));
	pic_init();
}

const char *symbol_of(uint64_t address, char *out, size_t size)
{
	const char *name;
	uint64_t offset;

	if (loader_symbol(address, &name, &offset))
		ksnprintf(out, size, "%s+0x%lx", name, offset);
	else
		ksnprintf(out, size, "??");
	return out;
}

static void registers(const struct trap_frame *f)
{
	kprintf("flexos:   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
		"flexos:   rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n"
		"flexos:   r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n"
		"flexos:   r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n"
		"flexos:   rip %016lx cs %lx rflags %lx pkru %08x\n",
		f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->rsp,
		f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15,
		f->rip, f->cs, f->rflags, flexos__rdpkru());
}

static const char *reason_text(int reason)
{
	switch (reason) {
	case FLEXOS_BAREMETAL_FAULT_UNMAPPED:
		return "nothing is mapped there";
	case FLEXOS_BAREMETAL_FAULT_GUARD:
		return "a guard page";
	case FLEXOS_BAREMETAL_FAULT_ACCESS:
		return "the mapping forbids this access";
	case FLEXOS_BAREMETAL_FAULT_PKEY:
		return "its protection key is closed";
	default:
		return "kernel memory";
	}
}

#define PKRU_KEY0_ONLY 0x55555554u /* every other key access-disabled */

/* Resumes the program in its fault handler, on the handler's stack, with
 * `info` (completed with the frame's registers) at the top of that stack.
 * False when it cannot. */
bool trap_to_user_handler(struct trap_frame *f,
			  struct flexos_baremetal_fault *info)
{
	uint64_t sp = (user_fault_stack - sizeof(*info)) & ~15ul;

	if (!user_fault_handler || in_user_handler ||
	    !vm_user_ok(sp - 8, sizeof(*info) + 8, true))
		return false;
	info->ip = f->rip;
	info->sp = f->rsp;
	info->bp = f->rbp;
	info->pkru = flexos__rdpkru();
	/* With key 0 alone: the handler follows pointers in key-0 memory
	 * that every compartment can rewrite (stdio, the runtime's registry),
	 * so it must hold no compartment's rights; what the report shows of
	 * the compartments' stacks, the kernel finds for it.  From now on no
	 * other thread runs (sched.c), which could change what the report
	 * reads while it prints. */
	fault_walk(f->rsp, info);
	flexos__wrpkru(PKRU_KEY0_ONLY);
	in_user_handler = true;
	fault_handler_thread = current;
	memcpy((void *)vm_frame_of(sp), info, sizeof(*info));
	f->rip = user_fault_handler;
	f->rsp = sp - 8; /* as if called: a (null) return address */
	f->rdi = sp;
	f->rflags &= ~0x400ul; /* DF */
	return true;
}

static void user_fault(struct trap_frame *f)
{
	uint64_t address = 0, key = 0;
	int reason = FLEXOS_BAREMETAL_FAULT_OTHER;
	char where[128];

	if (f->vector == 14) {
		__asm__ volatile("mov %%cr2, %0" : "=r"(address));
		bool write = f->error & 2;
		if (f->error & 0x20) /* PK */
			reason = FLEXOS_BAREMETAL_FAULT_PKEY;
		else
			reason = vm_fault(address, write, &key);
		if (reason == 0 && (f->error & 1))
			reason = FLEXOS_BAREMETAL_FAULT_ACCESS; /* e.g. NX */
		if (reason == 0)
			return; /* a page filled in on demand */
		if (vm_out_of_memory()) {
			kprintf("flexos: out of memory: the program touched "
				"0x%lx and no frame is left (%lu MiB of RAM); "
				"give the machine more (FLEXOS_QEMU_MEMORY)\n",
				address, memory_total() >> 20);
			machine_exit(EXIT_SIGNAL + 9);
		}
		if (reason == FLEXOS_BAREMETAL_FAULT_PKEY)
			vm_fault(address, write, &key); /* the page's key */
	}
	struct flexos_baremetal_fault info = {
		.vector = f->vector, .error = f->error,
		.reason = (uint64_t)reason, .address = address, .page_key = key,
	};
	if (trap_to_user_handler(f, &info))
		return;
	int sig = signal_of(f->vector);
	kprintf("flexos: %s (vector %lu, error 0x%lx) in the program at %s\n",
		name_of(f->vector), f->vector, f->error,
		symbol_of(f->rip, where, sizeof(where)));
	if (f->vector == 14)
		kprintf("flexos:   address 0x%lx: %s%s\n", address,
			reason_text(reason),
			in_user_handler ? " (inside the fault handler)" : "");
	registers(f);
	/* A key the fault handler does not hold: code a compartment planted
	 * on the report's way (it runs with key 0 alone) reached for memory
	 * of a compartment's, an isolation fault. */
	int status = reason == FLEXOS_BAREMETAL_FAULT_PKEY && in_user_handler
			     ? EXIT_FAULT
			     : EXIT_SIGNAL + sig;
	kprintf("flexos: stopping the image (exit status %d)\n", status);
	machine_exit(status);
}

static void kernel_fault(struct trap_frame *f)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	kprintf("flexos: kernel %s (vector %lu, error 0x%lx) at rip 0x%lx, "
		"cr2 0x%lx\n", name_of(f->vector), f->vector, f->error, f->rip,
		cr2);
	registers(f);
	kprintf("flexos: stopping the machine (exit status %lu)\n",
		EXIT_KERNEL_TRAP + f->vector);
	machine_exit((int)(EXIT_KERNEL_TRAP + f->vector));
}

/* An interrupt from ring 0 can only come while the scheduler halts for
 * the tick (sched.c), which looks at the time itself; from ring 3 the
 * tick ends the thread's time slice. */
void trap(struct trap_frame *f)
{
	bool from_user = (f->cs & 3) == 3;

	if (f->vector >= 32) {
		if (f->vector >= 40)
			outb(0xa0, 0x20);
		outb(0x20, 0x20); /* end of interrupt */
		if (f->vector == 32 && from_user) {
			sched_yield();
			sched_leave(f);
		}
		return;
	}
	if (++depth > 1) {
		/* A fault while handling one: say so and stop, no more. */
		kprintf("flexos: %s (vector %lu) at rip 0x%lx while handling a "
			"fault; stopping\n", name_of(f->vector), f->vector, f->rip);
		machine_exit((int)(EXIT_KERNEL_TRAP + f->vector));
	}
	if (from_user)
		user_fault(f);
	else
		kernel_fault(f);
	depth--;
}
