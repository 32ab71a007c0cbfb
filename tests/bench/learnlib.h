/* The library of the learning benchmark: a tokenizer in a compartment of
 * its own that hands each token to a host callback. */
#ifndef LEARNLIB_H
#define LEARNLIB_H

struct learn_token {
	long index;
	long value;
};

/* Produces `count` tokens: writes each into *token (host memory) and
 * calls on_token(token).  Returns the sum of what on_token returned. */
long learnlib_tokenize(long count, struct learn_token *token,
		       long (*on_token)(const struct learn_token *token));

#endif
