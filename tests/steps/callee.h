/* The library steps.c puts in a compartment of its own (callee.c). */
#ifndef STEPS_CALLEE_H
#define STEPS_CALLEE_H

int steps_nothing(void);
long steps_sum6(long a, long b, long c, long d, long e, long f);
/* The end of both functions' code. */
extern const char steps_callees_end[];

#endif
