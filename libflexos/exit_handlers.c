/* Exit handlers run with the rights of the compartment that registered
 * them, or not at all (Linux; the image's link wraps __cxa_atexit, which
 * atexit calls, and on_exit).
 *
 * The C library runs exit handlers on the thread that calls exit, with
 * that thread's rights: a compromised library's atexit(f) had f read the
 * host's private memory when the host returned from main
 * (exit-handler-in-host).  Here a handler registered by an isolated
 * compartment is kept in a record of that compartment's own heap, and the
 * C library runs the runtime's trampoline, which calls it only where the
 * exit runs in that same compartment, and otherwise says it skipped it.
 * Whose a record is, is read from the sealed heap ranges, not from the
 * record, which another compartment cannot write either.  The C
 * library's own list is in key 0, where a compromised compartment can
 * still forge an entry (threat-model.md). */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct exit_handler {
	void (*fn)(void *);		/* atexit's, __cxa_atexit's */
	void (*with_status)(int, void *); /* on_exit's: the status first */
	void *arg;
};

/* Weak: a program linked without the image's wraps (a tool, a unit test)
 * has none, and registers the runtime's handlers with atexit itself. */
int __real___cxa_atexit(void (*fn)(void *), void *arg, void *dso)
	__attribute__((weak));
int __real_on_exit(void (*fn)(int, void *), void *arg)
	__attribute__((weak));

/* `status`: the exit's, for on_exit's handlers. */
static void run_handler(struct exit_handler *h, int status)
{
	unsigned owner, here = flexos__current();
	enum flexos_memory_kind kind;

	if (flexos__classify((uintptr_t)h, &owner, &kind) && owner != here) {
		/* The record is out of reach here: only its owner named. */
		fprintf(stderr, "flexos: an exit handler compartment '%s' "
			"registered is not run: the exit runs in compartment "
			"'%s', whose rights it would have\n",
			flexos__rt.compartments[owner].name,
			flexos__rt.compartments[here].name);
		return;
	}
	if (h->with_status)
		h->with_status(status, h->arg);
	else
		h->fn(h->arg);
}

static void trampoline(void *h)
{
	run_handler(h, 0);
}

/* The runtime's own, past the records. */
static void trampoline_plain(void *fn)
{
	((void (*)(void))fn)();
}

static void trampoline_on_exit(int status, void *h)
{
	run_handler(h, status);
}

/* A record in the calling compartment's heap: malloc serves it from
 * there. */
static struct exit_handler *record(struct exit_handler handler)
{
	struct exit_handler *h = malloc(sizeof(*h));

	if (h)
		*h = handler;
	return h;
}

int flexos__at_exit(void (*fn)(void))
{
	if (!__real___cxa_atexit)
		return atexit(fn);
	return __real___cxa_atexit(trampoline_plain, (void *)fn, NULL);
}

int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso)
{
	struct exit_handler *h;

	if (!flexos__rt.isolating)
		return __real___cxa_atexit(fn, arg, dso);
	h = record((struct exit_handler){ .fn = fn, .arg = arg });
	return h ? __real___cxa_atexit(trampoline, h, dso) : -1;
}

int __wrap_on_exit(void (*fn)(int, void *), void *arg)
{
	struct exit_handler *h;

	if (!flexos__rt.isolating)
		return __real_on_exit(fn, arg);
	h = record((struct exit_handler){ .with_status = fn, .arg = arg });
	return h ? __real_on_exit(trampoline_on_exit, h) : -1;
}
