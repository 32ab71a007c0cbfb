/* kmain: from the boot loader's hand-off to the program's first
 * instruction in ring 3.
 *
 * The kernel command line holds, after the kernel's path, kernel options (flexos.*), environment
 * variables (NAME=value) and, after "--", the program's arguments; the
 * first multiboot module is the program, its own command line its name;
 * the others are files (files.c). */
#include "kernel.h"
#include "multiboot.h"

extern char __kernel_start[], __kernel_end[];

static char cmdline[4096], env[4096];
static const char *args = "";

static bool is_assignment(const char *word, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (word[i] == '=')
			return true;
	return false;
}

/* Kernel options and environment out of the command line; `args` points
 * at what follows "--".  QEMU starts the line with the kernel's own path,
 * GRUB 2 does not: before "--", a word that is neither an option nor
 * NAME=value is not for the program and is skipped. */
static void parse_cmdline(void)
{
	size_t envlen = 0;
	char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		char *word = p;
		while (*p && *p != ' ')
			p++;
		size_t len = (size_t)(p - word);
		if (len == 2 && !strncmp(word, "--", 2)) {
			args = *p ? p + 1 : p;
			return;
		}
		if (len > 7 && !strncmp(word, "flexos.", 7)) {
			if (!strncmp(word, "flexos.crlf", len))
				console_crlf = true;
			else if (!strncmp(word, "flexos.trace", len))
				syscall_trace = true;
			else if (!strncmp(word, "flexos.times", len))
				report_times = true;
			else if (len > 14 &&
				 len - 14 < sizeof(loader_pkru_writer) &&
				 !strncmp(word, "flexos.wrpkru=", 14))
				memcpy(loader_pkru_writer, word + 14, len - 14);
			else if (!strncmp(word, "flexos.crash", len))
				__asm__ volatile("ud2"); /* tests the kernel's report */
			continue;
		}
		if (!is_assignment(word, len))
			continue;
		if (envlen + len + 2 < sizeof(env)) {
			memcpy(env + envlen, word, len);
			envlen += len;
			env[envlen++] = ' ';
			env[envlen] = '\0';
		}
	}
}

static void copy_string(char *dst, size_t size, uint32_t src)
{
	const char *s = (const char *)(uintptr_t)src;
	size_t n = 0;

	while (src && s[n] && n + 1 < size) {
		dst[n] = s[n];
		n++;
	}
	dst[n] = '\0';
}

void kmain(uint32_t magic, uint32_t info_address)
{
	const struct multiboot_info *info = (void *)(uintptr_t)info_address;
	static char name[256];

	boot_tsc = rdtsc();
	console_init();
	trap_init();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic_setup("not started by a multiboot loader (magic 0x%x)",
			    magic);
	machine_init();
	memory_init(info_address);
	memory_reserve((uint64_t)__kernel_start, (uint64_t)__kernel_end);
	memory_reserve(info_address, info_address + sizeof(*info));
	memory_reserve(info->mmap_addr, (uint64_t)info->mmap_addr + info->mmap_length);
	if (info->flags & MULTIBOOT_INFO_CMDLINE)
		copy_string(cmdline, sizeof(cmdline), info->cmdline);

	if (!(info->flags & MULTIBOOT_INFO_MODS) || info->mods_count == 0)
		panic_setup("no program to run: boot the kernel with the program "
			    "as its first module (QEMU: -initrd <program>, "
			    "GRUB: module <program>)");
	const struct multiboot_module *mods =
		(void *)(uintptr_t)info->mods_addr;
	memory_reserve(info->mods_addr, info->mods_addr +
			(uint64_t)info->mods_count * sizeof(*mods));
	for (uint32_t i = 0; i < info->mods_count; i++) {
		if (mods[i].end < mods[i].start || mods[i].end > PHYS_LIMIT)
			panic_setup("module %u lies outside the first GiB", i);
		memory_reserve(mods[i].start, mods[i].end);
	}
	copy_string(name, sizeof(name), mods[0].cmdline);
	for (uint32_t i = 1; i < info->mods_count; i++) {
		char file[256];
		copy_string(file, sizeof(file), mods[i].cmdline);
		files_add(file, (const void *)(uintptr_t)mods[i].start,
			  mods[i].end - mods[i].start);
	}
	parse_cmdline();
	paging_init();
	timer_init();

	the_program = (struct program){
		.name = name[0] ? name : "program",
		.elf = (const uint8_t *)(uintptr_t)mods[0].start,
		.size = mods[0].end - mods[0].start,
	};
	loader_load(&the_program);
	syscall_init();
	uint64_t sp = loader_stack(&the_program, args, env);

	static struct trap_frame start;
	start = (struct trap_frame){
		.rip = the_program.entry, .cs = USER_CS, .rflags = 0x202,
		.rsp = sp, .ss = USER_DS,
	};
	sched_init();
	user_entry_ns = time_ns();
	trap_return(&start);
}
