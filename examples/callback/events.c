/* An ordinary C library: it keeps function pointers its user gave it and
 * calls them later, and hands its user a pointer to one of its own static
 * functions.  Nothing here knows about compartments. */
#include "events.h"

#define MAX_HANDLERS 8

static events_handler handlers[MAX_HANDLERS];
static int nhandlers;
static int fired;

int events_register(events_handler handler)
{
	if (nhandlers == MAX_HANDLERS)
		return -1;
	handlers[nhandlers] = handler;
	return nhandlers++;
}

int events_fire(int value)
{
	int sum = 0;

	fired++;
	for (int i = 0; i < nhandlers; i++)
		sum += handlers[i](value);
	return sum;
}

static int square_plus_fired(int x)
{
	return x * x + fired;
}

events_handler events_transform(void)
{
	return square_plus_fired;
}

int events_count(void)
{
	return fired;
}
