/* Signal handlers in a compartment (peer_signals.c): the same visible
 * results on every backend; the attack is in exploit.c. */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "peer.h"
#include "signals.h"

int signals(const char *name)
{
	int got;

	if (!strcmp(name, "signal-handlers")) {
		got = flexos_gate(peer, peer_signal_handlers);
		if (got < 0)
			printf("the peer could not install its handlers: %s\n",
			       strerror(-got));
		else
			printf("handlers ran: %s, interrupted code resumed: "
			       "%s, queries see the program's handlers: %s\n",
			       got & SIGNALS_RAN ? "yes" : "no",
			       got & SIGNALS_RESUMED ? "yes" : "no",
			       got & SIGNALS_QUERIED ? "yes" : "no");
		return 0;
	}
	if (!strcmp(name, "setxid-threads") ||
	    !strcmp(name, "cancel-thread")) {
		got = flexos_gate(peer, peer_library_signals,
				  name[0] == 'c');
		if (got < 0)
			printf("failed: %s\n", strerror(-got));
		else
			printf("%s\n", got == 2 ? "thread cancelled"
				       : got == 1 ? "ids set with two threads"
						  : "thread not cancelled");
		return 0;
	}
	return -1;
}
