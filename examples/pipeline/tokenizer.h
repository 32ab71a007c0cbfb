#ifndef TOKENIZER_H
#define TOKENIZER_H
#include <stddef.h>

/* Splits text into lines of words.  The text stays the caller's; the
 * tokenizer keeps only where it is. */
void tokenizer_start(const char *text, size_t len);
/* Writes the next line's words into out, lowercased, one space between
 * them; returns their number, or -1 after the last line or when out is
 * too small. */
long tokenizer_next_line(char *out, size_t size);
/* Words returned since the program started. */
unsigned long tokenizer_count(void);
#endif
