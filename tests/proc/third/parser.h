#ifndef PARSER_H
#define PARSER_H
#include <stdint.h>

/* The compromised parser's attack; other_link: forge in the link of the
 * host and the verifier, else in the parser's own link with the host. */
int parser_forge(int other_link);
/* Rewrites the control block: the verifier is dead and the image ends;
 * with ring, wakes the verifier's process to end it. */
int parser_forge_control(int ring);
/* Posts, once the host's main thread waits for the verifier, a call to
 * the host's function at `entry` in its own link with the host, on that
 * thread's channel. */
int parser_inject_call(uintptr_t entry);
/* Asks the host's recheck, a callback, what it thinks of the document. */
int parser_check_with(int (*recheck)(const char *), const char *document);
/* Takes a while, then says 0: invalid. */
int parser_slow_check(const char *document);
#endif
