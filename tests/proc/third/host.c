/* third [forge-other-link|forge-own-link|forge-as-callee]: three
 * compartments on proc, the host, a verifier and a compromised parser.  The
 * host asks the verifier (or, for the twin, the parser) to check a
 * document, which takes a while and says "invalid"; meanwhile the parser,
 * called from another thread of the host, forges the answer "valid":
 *   forge-other-link  in the channel of the host and the verifier, which
 *                     its process does not map;
 *   forge-own-link    in its own channel with the host, as if it answered
 *                     the host's call to the verifier;
 *   forge-as-callee   the twin: the same forgery while the host waits for
 *                     the parser itself, which is then the one to answer:
 *                     the host takes it, as it would take any answer of
 *                     its callee;
 *   inject-call       a call in its own link with the host, to the host's
 *                     entry point recheck, which asks the verifier's quick
 *                     check ("valid") on the channel where the host waits
 *                     for the verifier's slow one: the verifier's answers
 *                     would change places;
 *   call-back         the twin: the parser, called by the host, calls
 *                     recheck itself (a callback, legitimately nested):
 *                     the quick check's "valid" is its answer;
 * and, before the host's call, in the control block every process maps:
 *   forge-dead        "the verifier died, the image ends": the host's own
 *                     record says otherwise, and its call goes through;
 *   kill-verifier     "the image ends", and rings the verifier's process,
 *                     which ends: the image stops, saying so. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "parser.h"
#include "verifier.h"

/* The host's entry point, for the parser's callbacks. */
static int recheck(const char *document)
{
	return flexos_gate(verifier, verifier_quick_check, document);
}

static bool before_the_call(const char *mode)
{
	return !strcmp(mode, "forge-dead") || !strcmp(mode, "kill-verifier");
}

static void *attack(void *mode)
{
	if (before_the_call(mode))
		flexos_gate(parser, parser_forge_control,
			    !strcmp(mode, "kill-verifier"));
	else if (!strcmp(mode, "inject-call"))
		flexos_gate(parser, parser_inject_call, (uintptr_t)recheck);
	else
		flexos_gate(parser, parser_forge,
			    !strcmp(mode, "forge-other-link"));
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t attacker;
	int valid;

	if (strcmp(mode, "forge-other-link") && strcmp(mode, "forge-own-link") &&
	    strcmp(mode, "forge-as-callee") && strcmp(mode, "inject-call") &&
	    strcmp(mode, "call-back") && !before_the_call(mode)) {
		fprintf(stderr, "usage: third forge-other-link|forge-own-link|"
				"forge-as-callee|inject-call|call-back|"
				"forge-dead|kill-verifier\n");
		return 2;
	}
	/* The main thread's gates take the first channel, as the parser
	 * knows. */
	printf("third: backend %s, verifier %s\n", flexos_backend_name(),
	       flexos_gate(verifier, verifier_ready) ? "ready" : "absent");
	fflush(stdout);
	if (!strcmp(mode, "call-back")) {
		valid = flexos_gate(parser, parser_check_with,
				    flexos_callback(third, recheck), "doc");
		printf("third: the document is %s\n",
		       valid ? "valid" : "invalid");
		return 0;
	}
	if (pthread_create(&attacker, NULL, attack, (void *)mode))
		return 1;
	if (before_the_call(mode))
		pthread_join(attacker, NULL);
	if (!strcmp(mode, "forge-as-callee"))
		valid = flexos_gate(parser, parser_slow_check, "doc");
	else
		valid = flexos_gate(verifier, verifier_slow_check, "doc");
	printf("third: the document is %s\n", valid ? "valid" : "invalid");
	return 0;
}
