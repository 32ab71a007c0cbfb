#ifndef PARSER_H
#define PARSER_H
/* The compromised parser's attack; other_link: forge in the link of the
 * host and the verifier, else in the parser's own link with the host. */
int parser_forge(int other_link);
/* Rewrites the control block: the verifier is dead and the image ends;
 * with ring, wakes the verifier's process to end it. */
int parser_forge_control(int ring);
/* Takes a while, then says 0: invalid. */
int parser_slow_check(const char *document);
#endif
