/* What a compartment cannot reach through the kernel: memory of another
 * compartment handed to a system call (the kernel checks every pointer
 * with the caller's rights, PKRU included), and the kernel's own memory.
 * Built for baremetal and, as the twin that shows the same calls
 * succeeding where nothing isolates, for fcall.
 * Usage: reach <write-peer|clock-into-peer|kernel-memory>. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

const char *vault_secret_address(void);
struct timespec *vault_clock_address(void);

static void result(const char *call, long value)
{
	printf("\n%s: %ld%s\n", call, value,
	       value < 0 && errno == EFAULT ? " EFAULT" : "");
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
	return 2;
}
