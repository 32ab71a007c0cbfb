/* A library in a compartment of its own that runs off its stack. */
int deep_recurse(int n)
{
	volatile char frame[1024];

	frame[0] = (char)n;
	return n ? deep_recurse(n - 1) + frame[0] : 0;
}
