/* pipeline-demo [rounds]: three libraries in a row over generated text —
 * the tokenizer normalizes it line by line (words lowercased, one space
 * between them), the checksum hashes each line, the formatter writes a
 * report line every REPORT_EVERY lines — and the program checks their
 * work against its own: exit 0 when everything agrees, 1 otherwise.
 * Plain C: flexos-gen gates the calls (AUTO_GATES), and policy.txt shares
 * the buffers the libraries are handed (share-heap main). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "formatter.h"
#include "tokenizer.h"

#define LINES 2048
#define WORDS_PER_LINE 160
#define MAX_WORD 10
#define REPORT_EVERY 64
#define LINE_SIZE (WORDS_PER_LINE * (MAX_WORD + 3))

#define REPORT_SIZE 8192

/* Handed to the libraries: from main's mallocs, which the policy sends to
 * the shared heap. */
static char *text, *line, *report;

static unsigned long next(unsigned long *seed)
{
	*seed = *seed * 6364136223846793005ul + 1442695040888963407ul;
	return *seed >> 16;
}

/* The next word of the fixed generator, lowercase; returns its length. */
static int word(unsigned long *seed, char *out)
{
	unsigned long bits = next(seed);
	int letters = 1 + (int)(bits % MAX_WORD);

	for (int i = 0; i < letters; i++)
		out[i] = (char)('a' + next(seed) % 26);
	return letters;
}

/* The text: the generator's words, some capitalized, between one to three
 * blanks; the same on every run and backend. */
static size_t generate(void)
{
	unsigned long seed = 12345;
	size_t len = 0;

	for (int l = 0; l < LINES; l++) {
		for (int w = 0; w < WORDS_PER_LINE; w++) {
			int n = word(&seed, text + len);

			if (w % 7 == 3)
				text[len] = (char)(text[len] - 'a' + 'A');
			len += (size_t)n;
			for (int b = 0; b <= w % 3; b++)
				text[len++] = b == 1 ? '\t' : ' ';
		}
		text[len++] = '\n';
	}
	return len;
}

/* What the tokenizer should give for the next line, from the generator. */
static size_t expected_line(unsigned long *seed, char *out)
{
	size_t len = 0;

	for (int w = 0; w < WORDS_PER_LINE; w++) {
		if (w)
			out[len++] = ' ';
		len += (size_t)word(seed, out + len);
	}
	out[len] = 0;
	return len;
}

/* The same hash as the checksum library's, computed here. */
static unsigned reference(const char *data, size_t len, unsigned state)
{
	for (size_t i = 0; i < len; i++)
		state = (state ^ (unsigned char)data[i]) * 16777619u;
	return state;
}

int main(int argc, char **argv)
{
	static char want[LINE_SIZE];
	int rounds = argc > 1 ? atoi(argv[1]) : 4;
	size_t len, report_len = 0;
	unsigned long words = 0;
	uint32_t sum = CHECKSUM_START, expected = CHECKSUM_START;
	unsigned lines = 0, bad_lines = 0;

	text = malloc(LINES * LINE_SIZE);
	line = malloc(LINE_SIZE);
	report = malloc(REPORT_SIZE);
	if (!text || !line || !report) {
		fprintf(stderr, "pipeline: out of memory\n");
		return 1;
	}
	len = generate();
	for (int r = 0; r < rounds; r++) {
		unsigned long seed = 12345;
		long n;

		tokenizer_start(text, len);
		while ((n = tokenizer_next_line(line, LINE_SIZE)) >= 0) {
			size_t want_len = expected_line(&seed, want);

			bad_lines += n != WORDS_PER_LINE || strcmp(line, want);
			words += (unsigned long)n;
			sum = checksum_update(sum, line, strlen(line));
			expected = reference(want, want_len, expected);
			if (++lines % REPORT_EVERY)
				continue;
			int written = formatter_line(report + report_len,
						     REPORT_SIZE - report_len,
						     lines, words, sum);

			if (written < 0) { /* full: start again at the top */
				report_len = 0;
				written = formatter_line(report, REPORT_SIZE,
							 lines, words, sum);
			}
			report_len += (size_t)written;
		}
	}
	unsigned long want_words = (unsigned long)rounds * LINES * WORDS_PER_LINE;
	char last[128];

	snprintf(last, sizeof(last), "line %5u: %6lu words, checksum %08x\n",
		 lines, words, (unsigned)expected);
	int ok = !bad_lines && sum == expected && words == want_words &&
		 tokenizer_count() == want_words &&
		 formatter_count() == lines / REPORT_EVERY &&
		 report_len >= strlen(last) &&
		 !strcmp(report + report_len - strlen(last), last);
	printf("pipeline: %lu words in %u lines, checksum %08x, %u report "
	       "lines: %s\n", words, lines, (unsigned)sum, formatter_count(),
	       ok ? "ok" : "MISMATCH");
	return ok ? 0 : 1;
}
