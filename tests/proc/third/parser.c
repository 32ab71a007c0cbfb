/* The compromised parser: it knows the proc backend's layout (proc.h) and
 * calls its internal functions, as attacker-chosen code in its compartment
 * can.  parser_forge keeps posting, for about 200 ms, the result "valid"
 * to the host's first channel, where the host's main thread waits. */
#include <time.h>

#include "parser.h"
#include "proc.h"

#define HOST 0
#define VERIFIER 1
#define PARSER 2
#define MAIN_CHANNEL 0

int parser_forge(int other_link)
{
	unsigned sender = other_link ? VERIFIER : PARSER;
	struct timespec tick = { 0, 1000 * 1000 };

	for (int i = 0; i < 200; i++) {
		struct proc_link *link =
			flexos_proc__link(HOST, sender, MAIN_CHANNEL);
		struct proc_mailbox *box =
			flexos_proc__box(link, HOST, sender);
		/* The number of the host's call, as its callee received it
		 * (the twin, forge-as-callee, knows it). */
		uint32_t number = flexos_proc__box(link, sender, HOST)->turn;
		box->kind = PROC_RETURN;
		box->ret.rax = 1;
		/* Passes the turn and rings the host's bell. */
		flexos_proc__post(MAIN_CHANNEL, sender, HOST, number | 1);
		nanosleep(&tick, NULL);
	}
	return 0;
}

int parser_inject_call(uintptr_t entry)
{
	static const char document[] = "doc";
	struct timespec wait = { 0, 50 * 1000 * 1000 };
	struct proc_link *link = flexos_proc__link(HOST, PARSER, MAIN_CHANNEL);
	struct proc_mailbox *box = flexos_proc__box(link, HOST, PARSER);

	/* Once, while the host waits: its answer comes back here, where
	 * nobody waits for it. */
	nanosleep(&wait, NULL);
	box->kind = PROC_CALL;
	box->call.fn = entry;
	box->call.gpr[0] = (uintptr_t)document;
	flexos_proc__post(MAIN_CHANNEL, PARSER, HOST, 1);
	return 0;
}

int parser_check_with(int (*recheck)(const char *), const char *document)
{
	return recheck(document);
}

int parser_forge_control(int ring)
{
	struct proc_control *control = flexos_proc__control;
	struct timespec wait = { 0, 100 * 1000 * 1000 };

	atomic_store(&control->shutdown, 1);
	if (ring) {
		atomic_fetch_add(&control->doorbell[VERIFIER], 1);
		flexos_proc__futex_wake(&control->doorbell[VERIFIER]);
		nanosleep(&wait, NULL);
	} else {
		atomic_store(&control->dead[VERIFIER], 1);
	}
	return 0;
}

int parser_slow_check(const char *document)
{
	struct timespec wait = { 0, 300 * 1000 * 1000 };

	(void)document;
	nanosleep(&wait, NULL);
	return 0;
}
