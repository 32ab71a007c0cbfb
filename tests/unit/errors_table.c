/* Prints docs/errors.md from the one list of error codes; a test checks the
 * committed file is what this prints. */
#include <stdio.h>

#include <flexos/error.h>

int main(void)
{
	printf("# Error codes\n\n"
	       "FlexOS functions return 0 (or a non-negative value) on success "
	       "and one of these\nnegative codes on failure; "
	       "`flexos_strerror()` gives the message.  Generated\nfrom "
	       "`FLEXOS_ERROR_LIST` in `include/flexos/error.h` by "
	       "`tests/unit/errors_table.c`.\n\n"
	       "| name | value | message |\n|---|---|---|\n");
#define ROW(name, value, message)                                             \
	printf("| `%s` | %d | %s |\n", #name, value, message);
	FLEXOS_ERROR_LIST(ROW)
#undef ROW
	return 0;
}
