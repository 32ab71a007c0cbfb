/* One of the fifteen libraries of the sixteen-compartment image; built once
 * per library with MEMBER set to its name. */
int MEMBER(void)
{
	static int calls;

	return ++calls;
}
