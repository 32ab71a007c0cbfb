#ifndef VERIFIER_H
#define VERIFIER_H
int verifier_ready(void);
/* Takes a while, then says 0: invalid. */
int verifier_slow_check(const char *document);
/* Says 1 at once: valid (it only looks at the syntax). */
int verifier_quick_check(const char *document);
#endif
