/* A library that fills what its caller hands it. */
#ifndef FILLER_H
#define FILLER_H

struct reading {
	int value;
	char unit[12];
};

/* Writes *out, the way an out-parameter is written: 0. */
int filler_fill(struct reading *out);
/* Reads the word at `address`. */
long filler_peek(const long *address);
/* Compromised: *word = to, where `word` holds its caller's unsafe stack
 * pointer. */
void filler_redirect(void **word, void *to);

#endif
