/* The callees of the gate benchmark, in a compartment of their own. */
#ifndef BENCHLIB_H
#define BENCHLIB_H

void bench_empty0(void);
void bench_empty6(long a, long b, long c, long d, long e, long f);
/* Where the callee's frame is: under mpk, on the compartment's own stack. */
void *bench_frame(void);
/* mpk/hw only: the PKRU value inside the callee's compartment. */
unsigned bench_pkru(void);

#endif
