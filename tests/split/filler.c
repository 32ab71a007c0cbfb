#include <string.h>

#include "filler.h"

int filler_fill(struct reading *out)
{
	out->value = 42;
	strcpy(out->unit, "kelvin");
	return 0;
}

long filler_peek(const long *address)
{
	return *address;
}

void filler_redirect(void **word, void *to)
{
	*word = to;
}
