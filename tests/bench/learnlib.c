/* A tokenizer as a parsing library is one: it writes each token into the
 * caller's buffer and calls the caller back.  Its writes are what learning
 * mode must find: the buffer is a heap object private to the host. */
#include "learnlib.h"

long learnlib_tokenize(long count, struct learn_token *token,
		       long (*on_token)(const struct learn_token *token))
{
	long sum = 0;

	for (long i = 0; i < count; i++) {
		token->index = i;
		token->value = i * 7 + 3;
		sum += on_token(token);
	}
	return sum;
}
