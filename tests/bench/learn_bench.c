/* learn-bench CALLBACKS: the program of the learning benchmark
 * (learn.sh).  The host hands a library in another compartment a token
 * buffer from its own heap and a callback; the library calls back once per
 * token, and the callback builds a list of one heap node per token, as a
 * parser building a tree does.  At the end the nodes are freed in the
 * order they were made.
 *
 * Enforcing, the buffer must be shared: the policy line is
 * `share-heap learn_token_buffer`, which a learning run of this program
 * must write.  The same image runs enforcing (with that policy), learning
 * (FLEXOS_LEARN, no policy) and as the fcall build (the floor).  Prints
 * the seconds from before the first gate to after the last free. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <flexos/flexos.h>

#include "learnlib.h"
#include "measure.h"

struct node {
	struct node *next;
	long value;
};

static struct node *first, **last = &first;

static long on_token(const struct learn_token *token)
{
	struct node *node = malloc(sizeof(*node));

	if (!node)
		bench_die("learn-bench", "out of memory");
	node->next = NULL;
	node->value = token->value;
	*last = node;
	last = &node->next;
	return token->index & 1;
}

/* The allocation site the policy names: not inlined, so that the learned
 * line names this function whatever the optimiser does with main, and not
 * a tail call of malloc, which would leave main the caller. */
__attribute__((noinline)) static struct learn_token *learn_token_buffer(void)
{
	struct learn_token *token = malloc(sizeof(*token));

	if (token)
		token->index = -1;
	return token;
}

int main(int argc, char **argv)
{
	struct learn_token *token;
	long count, sum, values = 0;
	char *end;
	uint64_t start;

	if (argc != 2)
		bench_die("learn-bench", "usage: learn-bench CALLBACKS");
	errno = 0;
	count = strtol(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || count < 1)
		bench_die("learn-bench", "CALLBACKS must be a positive number");
	token = learn_token_buffer();
	if (!token)
		bench_die("learn-bench", "out of memory");
	start = now_ns();
	sum = flexos_gate(learnlib, learnlib_tokenize, count, token,
			  flexos_callback(learn_bench, on_token));
	while (first) {
		struct node *next = first->next;
		values += first->value;
		free(first);
		first = next;
	}
	printf("learn-bench: %ld callbacks, %.3f s (checksum %ld %ld)\n", count,
	       (double)(now_ns() - start) / 1e9, sum, values);
	free(token);
	return 0;
}
