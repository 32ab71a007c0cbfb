/* The callee of the gate benchmark, in a compartment of its own. */
int bench_nothing(void)
{
	return 0;
}
