/* The library the zero-fill test puts into a compartment of its own. */
#ifndef ZEROS_H
#define ZEROS_H

/* Large enough that an image file holding it could not go unnoticed. */
#define ZEROS_SIZE (64u << 20)

/* Checks that the array reads as zeros at both ends, then writes its last
 * byte; returns what it wrote, or -1 when the array was not zero. */
int zeros_touch(void);
/* The array, for the other compartment to read. */
const char *zeros_array(void);
/* Reads memory handed over. */
int zeros_read(const char *p);
#endif
