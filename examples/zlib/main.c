/* zlib-demo: an ordinary zlib user, written once and never changed for
 * FlexOS.  It streams generated text through deflate and inflate in fixed
 * chunks (one library call per chunk and direction) and checks that what
 * comes back is what went in.
 *
 *   zlib-demo [MiB [chunk bytes]]     default: 4 MiB in 4 KiB chunks
 *
 * The build puts Debian's prebuilt libz.a in a compartment of its own
 * (CMakeLists.txt); flexos-gen generates the gates, and the sharing policy
 * (policy.txt) gives zlib the streams and buffers main allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *const words[] = {
	"compartment", "gate", "library", "isolation", "protection", "key",
	"shared", "heap", "stack", "kernel", "backend", "image", "the", "a",
	"of", "and", "to", "in", "is", "with",
};

/* Text with some structure, so that there is something to compress. */
static void fill(unsigned char *buf, size_t n, unsigned long *seed)
{
	size_t at = 0;

	while (at < n) {
		*seed = *seed * 6364136223846793005ul + 1442695040888963407ul;
		const char *w = words[(*seed >> 33) % (sizeof(words) /
						       sizeof(words[0]))];
		size_t len = strlen(w);

		for (size_t i = 0; i < len && at < n; i++)
			buf[at++] = (unsigned char)w[i];
		if (at < n)
			buf[at++] = (*seed >> 20) % 11 ? ' ' : '\n';
	}
}

static int fail(const char *what, const z_stream *s)
{
	fprintf(stderr, "zlib-demo: %s failed: %s\n", what,
		s->msg ? s->msg : "unexpected result");
	return 1;
}

int main(int argc, char **argv)
{
	size_t total = (argc > 1 ? strtoul(argv[1], NULL, 0) : 4) << 20;
	size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 0) : 4096;
	z_stream *def = calloc(1, sizeof(*def));
	z_stream *inf = calloc(1, sizeof(*inf));
	size_t bound, packed_total = 0, chunks = 0;
	unsigned long seed = 42, crc_in, crc_out;

	if (!def || !inf || !chunk || deflateInit(def, 6) != Z_OK ||
	    inflateInit(inf) != Z_OK) {
		fprintf(stderr, "zlib-demo: cannot set up the streams\n");
		return 1;
	}
	bound = deflateBound(def, chunk) + 64;
	unsigned char *in = malloc(chunk), *out = malloc(chunk);
	unsigned char *packed = malloc(bound);

	if (!in || !out || !packed)
		return 1;
	crc_in = crc_out = crc32(0, NULL, 0);
	for (size_t done = 0; done < total; done += chunk, chunks++) {
		size_t n = total - done < chunk ? total - done : chunk;

		fill(in, n, &seed);
		crc_in = crc32(crc_in, in, (uInt)n);
		def->next_in = in;
		def->avail_in = (uInt)n;
		def->next_out = packed;
		def->avail_out = (uInt)bound;
		if (deflate(def, Z_SYNC_FLUSH) != Z_OK || def->avail_in ||
		    !def->avail_out)
			return fail("deflate", def);
		size_t m = bound - def->avail_out;

		packed_total += m;
		inf->next_in = packed;
		inf->avail_in = (uInt)m;
		inf->next_out = out;
		inf->avail_out = (uInt)chunk;
		int rc = inflate(inf, Z_SYNC_FLUSH);

		if ((rc != Z_OK && rc != Z_BUF_ERROR) || inf->avail_in ||
		    chunk - inf->avail_out != n || memcmp(in, out, n))
			return fail("inflate", inf);
		crc_out = crc32(crc_out, out, (uInt)n);
	}
	deflateEnd(def);
	inflateEnd(inf);
	printf("zlib %s round trip: %zu bytes in %zu chunks of %zu, "
	       "compressed to %zu bytes (%.1f%%), crc32 %08lx, %s\n",
	       zlibVersion(), total, chunks, chunk, packed_total,
	       total ? 100.0 * (double)packed_total / (double)total : 0.0,
	       crc_in, crc_in == crc_out ? "identical" : "DIFFERENT");
	free(in);
	free(out);
	free(packed);
	free(def);
	free(inf);
	return crc_in != crc_out;
}
