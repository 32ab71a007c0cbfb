/* events: a small event library that calls its users back. */
#ifndef EVENTS_H
#define EVENTS_H

typedef int (*events_handler)(int value);

/* Registers a handler; returns its slot or -1 when full. */
int events_register(events_handler handler);
/* Calls every handler with value; returns the sum of their results. */
int events_fire(int value);
/* A transformation of the library's choosing (a static function). */
events_handler events_transform(void);
/* How many events were fired. */
int events_count(void);

#endif
