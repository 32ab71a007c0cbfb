/* What a compartment cannot reach through the kernel: memory of another
 * compartment handed to a system call (the kernel checks every pointer
 * with the caller's rights, PKRU included), the kernel's own memory, and
 * what the system-call policy refuses after start-up (keys, the program
 * image, the sealed page, another compartment's key, executable memory).
 * Built for baremetal and, as the twin that shows the same calls
 * succeeding where nothing isolates, for fcall (the first three).
 * Usage: reach <write-peer|clock-into-peer|kernel-memory|keys|image|
 * unseal|give-key|exec-after-write>. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/baremetal/abi.h"

const char *vault_secret_address(void);
struct timespec *vault_clock_address(void);
int vault_unseal(void);
long vault_give_page(int key);

static void result(const char *call, long value)
{
	printf("\n%s: %ld%s\n", call, value,
	       value >= 0	 ? ""
	       : errno == EFAULT ? " EFAULT"
	       : errno == EPERM	 ? " EPERM"
				 : "");
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	fflush(stdout);
	if (!strcmp(what, "write-peer")) {
		/* The kernel would read the vault's memory for us. */
		const char *secret = flexos_gate(vault, vault_secret_address);
		result("write", (long)write(1, secret, strlen("vault-secret-42")));
		return 0;
	}
	if (!strcmp(what, "clock-into-peer")) {
		/* The kernel would write the vault's memory for us. */
		struct timespec *clock = flexos_gate(vault, vault_clock_address);
		result("clock_gettime", clock_gettime(CLOCK_MONOTONIC, clock));
		return 0;
	}
	if (!strcmp(what, "kernel-memory")) {
		/* The kernel is loaded at 1 MiB, mapped supervisor-only. */
		printf("kernel byte: %d\n", *(volatile char *)0x100000);
		return 0;
	}
	if (!strcmp(what, "keys")) {
		/* Keys are handed out at start-up, and start-up ends once. */
		result("pkey_alloc", syscall(SYS_pkey_alloc, 0, 0));
		result("pkey_free", syscall(SYS_pkey_free, 1));
		result("start", syscall(FLEXOS_BAREMETAL_SYS_START, 0, 0, 0));
		return 0;
	}
	if (!strcmp(what, "image")) {
		/* The program's own code, even by the default compartment. */
		void *code = (void *)((unsigned long)main & ~4095ul);
		result("mprotect", mprotect(code, 4096, PROT_READ));
		return 0;
	}
	if (!strcmp(what, "unseal")) {
		result("vault mprotect", flexos_gate(vault, vault_unseal));
		return 0;
	}
	if (!strcmp(what, "give-key")) {
		/* The runtime asks for keys in compartment order: the
		 * default compartment's is 1. */
		result("vault pkey_mprotect",
		       flexos_gate(vault, vault_give_page, 1));
		return 0;
	}
	if (!strcmp(what, "exec-after-write")) {
		unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page[0] = 0xc3; /* ret */
		result("mprotect", mprotect(page, 4096, PROT_READ | PROT_EXEC));
		return 0;
	}
	return 2;
}
