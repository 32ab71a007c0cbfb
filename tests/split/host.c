/* split fill|threads|peek-frame|redirect: hands the library the address
 * of a local (fill: on the main thread; threads: on four threads at once),
 * or the address of its own frame, where its return address is
 * (peek-frame: stopped wherever the stacks are private), or the word that
 * holds its unsafe stack pointer (redirect: the library points it at the
 * host's private flag, where the host's next local would land). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "filler.h"

static void *fill(void *unused)
{
	struct reading reading = { 0, "" };
	int status;

	(void)unused;
	flexos_gate_r(status, filler, filler_fill, &reading);
	return status == 0 && reading.value == 42 &&
			       !strcmp(reading.unit, "kelvin")
		       ? (void *)1
		       : NULL;
}

/* The SafeStack runtime's (libflexos/split_stack.c). */
void **__safestack_pointer_address(void);

static long host_flag; /* private to the host */

static __attribute__((noinline)) void log_number(int n)
{
	char line[32];

	snprintf(line, sizeof(line), "log %d", n);
	if (line[0] != 'l')
		printf("%s\n", line);
}

static __attribute__((noinline)) long peek_frame(void)
{
	long seen;

	flexos_gate_r(seen, filler, filler_peek,
		      (const long *)__builtin_frame_address(0));
	return seen;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "fill";

	printf("split: backend %s\n", flexos_backend_name());
	if (!strcmp(what, "fill")) {
		if (!fill(NULL))
			return 1;
		printf("the library filled the host's local: 42 kelvin\n");
	} else if (!strcmp(what, "threads")) {
		pthread_t threads[4];
		void *ok;
		int filled = 0;

		for (int i = 0; i < 4; i++)
			pthread_create(&threads[i], NULL, fill, NULL);
		for (int i = 0; i < 4; i++)
			filled += pthread_join(threads[i], &ok) == 0 && ok;
		printf("%d threads' locals filled\n", filled);
		return filled != 4;
	} else if (!strcmp(what, "redirect")) {
		flexos_gate(filler, filler_redirect,
			    __safestack_pointer_address(),
			    (char *)&host_flag + 32);
		log_number(7);
		printf("the host's flag after the library's redirect: %#lx\n",
		       host_flag);
	} else if (!strcmp(what, "peek-frame")) {
		printf("the library read the host's frame: %#lx\n",
		       peek_frame());
	} else {
		return 2;
	}
	return 0;
}
