/* On Linux with hardware keys, the runtime's checked WRPKRUs
 * (arch/x86_64/pkru_gate.S) must be the only instructions of
 * the process that write PKRU: a compartment that jumps to any other one
 * opens every key.  The C library has one, in glibc's pkey_set, and the
 * dynamic loader has XRSTORs in its lazy-binding trampolines.
 *
 * Start-up looks at every byte of every executable mapping, as ERIM does
 * (a jump may land inside an instruction), before any compartment runs
 * (writable or unreadable code is refused):
 *   - in the runtime's checked functions, a writer stays;
 *   - in glibc's pkey_set, or in the dynamic loader once binding is eager
 *     (the trampolines then never run), it is overwritten with UD2, so a
 *     jump there stops the thread with SIGILL;
 *   - anywhere else, the image does not start (87), naming the place:
 *     we cannot tell an instruction from bytes inside another one, so we
 *     rewrite only where we know what the bytes are.
 * Executable memory mapped later is refused by the system-call policy.
 *
 * Binding is eager when LD_BIND_NOW is set: linking the image with
 * `-z now` binds its own calls only, not those of the libraries it loads,
 * so an image started without it starts again, once, with it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "pkru_write.h"

/* The runtime's writers: the gate and the first switch, up to a label after
 * the last. */
extern const unsigned char flexos__pkru_gate[], flexos__pkru_gate_code_end[];

/* What was disarmed, for the report of a jump there (fault.c). */
#define MAX_DISARMED 16
static struct {
	uintptr_t at;
	const char *what;
	char object[256];
} disarmed[MAX_DISARMED];
static unsigned ndisarmed;

struct scan {
	uintptr_t pkey_set, pkey_set_end; /* glibc's, or 0 */
	const char *loader;		  /* the dynamic loader's path */
};

static bool within(uintptr_t at, uintptr_t start, uintptr_t end)
{
	return at >= start && at < end;
}

/* Replaces the writer's first two bytes (0f 01, 0f ae) with UD2 (0f 0b):
 * what follows can no longer be one. */
static void disarm(uintptr_t at, const char *what, const char *object)
{
	uintptr_t page = at & ~(uintptr_t)(FLEXOS__PAGE - 1);
	size_t len = at + 2 - page > FLEXOS__PAGE ? 2 * FLEXOS__PAGE
						  : FLEXOS__PAGE;

	if (mprotect((void *)page, len, PROT_READ | PROT_WRITE) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot rewrite the PKRU "
			    "writer at %s+0x%lx: %s", object,
			    (unsigned long)at, strerror(errno));
	((unsigned char *)at)[1] = 0x0b;
	if (ndisarmed < MAX_DISARMED) {
		disarmed[ndisarmed].at = at;
		disarmed[ndisarmed].what = what;
		snprintf(disarmed[ndisarmed].object,
			 sizeof(disarmed[ndisarmed].object), "%s", object);
		ndisarmed++;
	}
	if (mprotect((void *)page, len, PROT_READ | PROT_EXEC) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot protect the code at "
			    "%s+0x%lx again: %s", object, (unsigned long)at,
			    strerror(errno));
}

static void check_site(const struct scan *scan, const char *object,
		       uintptr_t base, uintptr_t at, const char *what)
{
	char where[512];

	if (within(at, (uintptr_t)flexos__pkru_gate,
		   (uintptr_t)flexos__pkru_gate_code_end))
		return;
	if (within(at, scan->pkey_set, scan->pkey_set_end) ||
	    (scan->loader && !strcmp(object, scan->loader))) {
		disarm(at, what, object);
		return;
	}
	flexos__describe(at, at, where, sizeof(where));
	flexos__die(FLEXOS_EXIT_SETUP,
		    "%s at %s+0x%lx (%s) is outside the runtime's gate: a "
		    "compartment could jump to it and open every protection "
		    "key, so the image does not run on hardware keys",
		    what, object, (unsigned long)(at - base),
		    where[0] ? where : "no symbol");
}

/* Every executable mapping, from the kernel's list rather than the
 * loader's: an executable stack, or code an earlier constructor mapped,
 * is in no object's program headers.  Writable code could become a writer
 * after the scan: refused. */
static void scan_mappings(const struct scan *scan)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[4096 + 128];

	if (!maps)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot read /proc/self/maps to "
			    "look for PKRU writers: %s", strerror(errno));
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end, offset;
		char perms[5], path[4096] = "";

		if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %4095[^\n]", &start,
			   &end, perms, &offset, path) < 4 ||
		    perms[2] != 'x')
			continue;
		const char *object = path[0] ? path : "anonymous memory";
		if (!strcmp(path, "[vsyscall]"))
			continue; /* emulated by the kernel: no bytes to run */
		if (perms[1] == 'w' || perms[0] != 'r')
			flexos__die(FLEXOS_EXIT_SETUP,
				    "%s is mapped %s at 0x%lx: %s code could "
				    "write PKRU unseen by start-up's scan, so "
				    "the image does not run on hardware keys "
				    "(an object built without .note.GNU-stack "
				    "asks for an executable stack)",
				    object, perms, start,
				    perms[1] == 'w' ? "writable" : "unreadable");
		for (unsigned long at = start; at < end; at++) {
			const char *what = flexos_arch__pkru_write(
				(const uint8_t *)at, end - at);

			if (what)
				check_site(scan, object, start - offset, at,
					   what);
		}
	}
	fclose(maps);
}

/* The dynamic loader: the main program's PT_INTERP, as the kernel names
 * the file it mapped (symbolic links resolved). */
static int find_loader(struct dl_phdr_info *o, size_t size, void *loader_)
{
	static char path[PATH_MAX];
	const char **loader = loader_;

	(void)size;
	for (unsigned i = 0; i < o->dlpi_phnum; i++)
		if (o->dlpi_phdr[i].p_type == PT_INTERP &&
		    realpath((const char *)(o->dlpi_addr +
					    o->dlpi_phdr[i].p_vaddr),
			     path))
			*loader = path;
	return 1; /* the main program comes first */
}

/* Starts the image again with LD_BIND_NOW=1, the same arguments and
 * environment otherwise; returns when binding is eager already. */
static void bind_now(void)
{
	extern char **environ;
	const char *now = NULL;
	char *args = NULL, **argv;
	size_t len = 0, cap = 0, argc = 0;
	FILE *cmdline;

	/* The loader takes the last of several LD_BIND_NOW=, getenv the
	 * first. */
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, "LD_BIND_NOW=", 12))
			now = *e + 12;
	if (now && *now)
		return;
	cmdline = fopen("/proc/self/cmdline", "r");
	if (!cmdline)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot read /proc/self/cmdline "
			    "to start again with LD_BIND_NOW=1: %s (set "
			    "LD_BIND_NOW=1 yourself)", strerror(errno));
	do {
		if (len == cap && !(args = realloc(args, cap = 2 * cap + 4096)))
			flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading "
				    "/proc/self/cmdline");
		len += fread(args + len, 1, cap - len, cmdline);
	} while (len == cap);
	fclose(cmdline);
	for (size_t at = 0; at < len; at++)
		argc += !args[at];
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv)
		flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading "
			    "/proc/self/cmdline");
	for (size_t at = 0, i = 0; i < argc; at += strlen(args + at) + 1)
		argv[i++] = args + at;
	setenv("LD_BIND_NOW", "1", 1);
	fflush(NULL);
	execv("/proc/self/exe", argv);
	flexos__die(FLEXOS_EXIT_SETUP, "cannot start again with "
		    "LD_BIND_NOW=1 (%s): set it yourself", strerror(errno));
}

void flexos__pkru_sites_disarm(void)
{
	struct scan scan = { 0 };
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *pkey_set = libc ? dlsym(libc, "pkey_set") : NULL;
	Dl_info info;
	const ElfW(Sym) *symbol = NULL;

	bind_now();
	/* glibc's own, whatever the image defines under that name. */
	if (pkey_set && dladdr1(pkey_set, &info, (void **)&symbol,
				RTLD_DL_SYMENT) && symbol) {
		scan.pkey_set = (uintptr_t)pkey_set;
		scan.pkey_set_end = scan.pkey_set + symbol->st_size;
	}
	if (libc)
		dlclose(libc);
	dl_iterate_phdr(find_loader, &scan.loader);
	scan_mappings(&scan);
}

bool flexos__pkru_site_disarmed(uintptr_t ip, const char **what,
				const char **object)
{
	for (unsigned i = 0; i < ndisarmed; i++)
		if (disarmed[i].at == ip) {
			*what = disarmed[i].what;
			*object = disarmed[i].object;
			return true;
		}
	return false;
}
