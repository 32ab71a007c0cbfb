/* The CPU features the kernel relies on, and the way out of the machine.
 *
 * Leaving: the exit status is written in decimal to port 0xe9 (QEMU's
 * debugcon, which the runner reads: it carries 0..255 whole), then to
 * QEMU's isa-debug-exit device at 0xf4, which ends QEMU.  On a machine
 * with neither, both writes go nowhere and the kernel halts. */
#include "kernel.h"

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_FSGSBASE (1ul << 16)
#define CR4_PKE (1ul << 22)
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define EFER_SCE (1ul << 0)

extern char syscall_entry[];

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

void machine_init(void)
{
	uint32_t r[4];
	uint64_t cr0, cr4;

	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	cpuid(7, 0, r);
	if (max_leaf < 7 || !(r[2] & (1u << 3)))
		panic_setup("this CPU has no protection keys (PKU); under QEMU "
			    "use -cpu max");
	/* The gate puts the caller's thread pointer back with WRFSBASE. */
	if (!(r[1] & 1u))
		panic_setup("this CPU has no FSGSBASE instructions; under "
			    "QEMU use -cpu max");
	/* The only source of randomness a compartment cannot predict from
	 * what it reads: the gate's secrets come from it (getrandom). */
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 30)))
		panic_setup("this CPU has no RDRAND instruction; under QEMU "
			    "use -cpu max");

	/* SSE for the program (the kernel itself is built without it). */
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~CR0_EM) | CR0_MP | CR0_NE | CR0_WP;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_PKE | CR4_FSGSBASE;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));

	/* `syscall` enters at syscall_entry with interrupts, direction,
	 * trap and alignment-check flags cleared. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)(USER_DS - 8 - 3) << 48 |
				(uint64_t)KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, 0x200 | 0x400 | 0x100 | 0x40000);
}

uint64_t random64(void)
{
	uint64_t value;
	bool ok;

	/* RDRAND may come back empty for a moment under load; Intel's
	 * guidance is ten tries before calling the generator broken. */
	for (int tries = 0; tries < 10; tries++) {
		__asm__ volatile("rdrand %0" : "=r"(value), "=@ccc"(ok));
		if (ok)
			return value;
	}
	panic_setup("RDRAND failed ten times in a row: no randomness to give");
}

bool report_times;

void machine_exit(int status)
{
	char text[16];
	int n = ksnprintf(text, sizeof(text), "%d\n", status);

	if (report_times) {
		uint64_t exit_ns = time_ns();
		kprintf("flexos: times: kernel entry to program entry %lu.%lu ms, "
			"to exit %lu.%lu ms\n", user_entry_ns / 1000000,
			user_entry_ns / 100000 % 10, exit_ns / 1000000,
			exit_ns / 100000 % 10);
	}

	for (int i = 0; i < n; i++)
		outb(0xe9, (uint8_t)text[i]);
	outl(0xf4, (uint32_t)(status > 127 ? 127 : status));
	kprintf("flexos: the image exited with status %d; halted\n", status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void panic_setup(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	kprintf("flexos: %s\n", line);
	kprintf("flexos: cannot start the image (exit status %d)\n", EXIT_SETUP);
	machine_exit(EXIT_SETUP);
}
