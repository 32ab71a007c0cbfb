#include "tokenizer.h"

static const char *text;
static size_t text_len, at;
static unsigned long count;

void tokenizer_start(const char *start, size_t len)
{
	text = start;
	text_len = len;
	at = 0;
}

long tokenizer_next_line(char *out, size_t size)
{
	size_t used = 0;
	long words = 0;

	if (at == text_len)
		return -1;
	while (at < text_len && text[at] != '\n') {
		if (text[at] == ' ' || text[at] == '\t') {
			at++;
			continue;
		}
		if (words && used < size)
			out[used++] = ' ';
		for (; at < text_len && text[at] > ' '; at++) {
			char c = text[at];

			if (used == size)
				return -1;
			out[used++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		words++;
	}
	if (at < text_len)
		at++; /* the newline */
	if (used == size)
		return -1;
	out[used] = 0;
	count += (unsigned long)words;
	return words;
}

unsigned long tokenizer_count(void)
{
	return count;
}
