/* zlib-probe MODE: a zlib user that also makes one deliberate stray
 * access, to show what the compartments protect.  Built like zlib-demo
 * (prebuilt libz.a in its own compartment, gates by flexos-gen, main's
 * allocations shared by policy).
 *   state   the host reads zlib's internal state (zlib's private heap)
 *   secret  zlib is handed a buffer the host did not share (the host's
 *           private heap): deflate reads it
 *   ok      neither: a plain compression */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Host data that has nothing to do with zlib: not in the policy. */
static __attribute__((noinline)) char *make_secret(void)
{
	char *secret = malloc(64);

	if (secret)
		strcpy(secret, "host secret, not for zlib");
	return secret;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ok";
	z_stream *s = calloc(1, sizeof(*s));
	unsigned char *out = malloc(256);
	char *text = malloc(64);
	char *secret = make_secret();

	if (!s || !out || !text || !secret || deflateInit(s, 6) != Z_OK)
		return 1;
	strcpy(text, "shared text for zlib");
	s->next_in = (Bytef *)(strcmp(mode, "secret") ? text : secret);
	s->avail_in = (uInt)strlen((char *)s->next_in);
	s->next_out = out;
	s->avail_out = 256;
	if (!strcmp(mode, "state")) {
		const volatile unsigned char *state = (const void *)s->state;

		printf("host read zlib state: %d\n", state[0] | 1);
		return 0;
	}
	if (deflate(s, Z_FINISH) != Z_STREAM_END)
		return 1;
	printf("%s: compressed %lu bytes to %lu\n", mode, s->total_in,
	       s->total_out);
	deflateEnd(s);
	return 0;
}
