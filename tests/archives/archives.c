/* Debian's prebuilt static archives, compiled against glibc, driven by a
 * program of ours that checks their results and takes their error paths:
 * the same sources on Linux (fcall) and in a baremetal image, where the
 * runtime supplies the glibc names the archives call and musl lacks
 * (backends/baremetal/user/fortify.c, glibc_ctype.c, glibc_names.c).
 * Usage: archives bzip2|yaml|pcre2|jpeg|zstd; exit 0 when every check
 * holds. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <jpeglib.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>
#include <zstd.h>

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			printf("check failed: %s (line %d)\n", #cond,         \
			       __LINE__);                                     \
			return 1;                                             \
		}                                                             \
	} while (0)

static int bzip2(void)
{
	static char input[65536], packed[70000], unpacked[65536];
	unsigned packed_len = sizeof(packed), unpacked_len = sizeof(unpacked);
	char garbage[64];
	unsigned garbage_len = sizeof(unpacked);

	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (char)("flexos"[i % 6] + i / 4096);
	CHECK(BZ2_bzBuffToBuffCompress(packed, &packed_len, input,
				       sizeof(input), 9, 0, 30) == BZ_OK);
	CHECK(BZ2_bzBuffToBuffDecompress(unpacked, &unpacked_len, packed,
					 packed_len, 0, 0) == BZ_OK);
	CHECK(unpacked_len == sizeof(input) &&
	      !memcmp(input, unpacked, sizeof(input)));
	memset(garbage, 'x', sizeof(garbage));
	int bad = BZ2_bzBuffToBuffDecompress(unpacked, &garbage_len, garbage,
					     sizeof(garbage), 0, 0);
	/* The mode string is parsed with isdigit(): glibc's ctype table. */
	BZFILE *missing = BZ2_bzopen("/no/such/file.bz2", "rb9");
	printf("bzip2 %.5s: %zu bytes -> %u -> %u, identical; garbage: %s; "
	       "missing file: %s\n", BZ2_bzlibVersion(), sizeof(input),
	       packed_len, unpacked_len,
	       bad == BZ_DATA_ERROR_MAGIC ? "BZ_DATA_ERROR_MAGIC" : "?",
	       missing ? "opened?" : "NULL");
	return bad != BZ_DATA_ERROR_MAGIC || missing;
}

/* Scalars of a document, or -1 with the parser's problem in `problem`. */
static int yaml_scalars(const char *text, char *problem, size_t size)
{
	yaml_parser_t parser;
	yaml_event_t event;
	int scalars = 0, done = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     strlen(text));
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			snprintf(problem, size, "%s", parser.problem);
			yaml_parser_delete(&parser);
			return -1;
		}
		scalars += event.type == YAML_SCALAR_EVENT;
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	return scalars;
}

static int yaml(void)
{
	char problem[200] = "";
	int good = yaml_scalars("name: flexos\nbackends: [fcall, mpk, proc]\n",
				problem, sizeof(problem));
	int bad = yaml_scalars("name: [flexos, mpk\n", problem,
			       sizeof(problem));

	printf("yaml %s: %d scalars; broken document: %s\n",
	       yaml_get_version_string(), good, problem);
	CHECK(good == 6);
	CHECK(bad == -1 && problem[0]);
	return 0;
}

static int pcre2(void)
{
	/* Character tables built from the C library's ctype at run time. */
	const uint8_t *tables = pcre2_maketables(NULL);
	pcre2_compile_context *context = pcre2_compile_context_create(NULL);
	int error;
	PCRE2_SIZE offset;
	char message[120];
	PCRE2_UCHAR8 group[32];
	PCRE2_SIZE group_len = sizeof(group);

	CHECK(tables && context);
	pcre2_set_character_tables(context, tables);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)"(\\d+)-(\\w+)",
					 PCRE2_ZERO_TERMINATED, 0, &error,
					 &offset, context);
	CHECK(code);
	pcre2_match_data *match = pcre2_match_data_create_from_pattern(code, NULL);
	const char *subject = "gate 42-answer";
	int groups = pcre2_match(code, (PCRE2_SPTR)subject, strlen(subject), 0,
				 0, match, NULL);
	CHECK(groups == 3);
	CHECK(pcre2_substring_copy_bynumber(match, 2, group, &group_len) == 0);
	/* The offsets, read where the library keeps them: in the match data
	 * it allocated. */
	const PCRE2_SIZE *offsets = pcre2_get_ovector_pointer(match);
	CHECK(offsets[4] == 8 && offsets[5] == 14);
	CHECK(!pcre2_compile((PCRE2_SPTR)"(unclosed", PCRE2_ZERO_TERMINATED, 0,
			     &error, &offset, NULL));
	pcre2_get_error_message(error, (PCRE2_UCHAR8 *)message,
				sizeof(message));
	printf("pcre2: '%s' matches with %d groups, the second '%s'; "
	       "'(unclosed': %s\n", subject, groups, (char *)group, message);
	CHECK(!strcmp((char *)group, "answer"));
	pcre2_match_data_free(match);
	pcre2_code_free(code);
	pcre2_compile_context_free(context);
	return 0;
}

struct jpeg_error {
	struct jpeg_error_mgr manager;
	jmp_buf back;
	char message[JMSG_LENGTH_MAX];
};

/* libjpeg's errors end in error_exit: ours longjmps back with the text. */
static void jpeg_error_exit(j_common_ptr info)
{
	struct jpeg_error *error = (struct jpeg_error *)info->err;

	info->err->format_message(info, error->message);
	longjmp(error->back, 1);
}

static int jpeg(void)
{
	enum { SIDE = 32 };
	static unsigned char pixels[SIDE * SIDE * 3], decoded[SIDE * SIDE * 3];
	struct jpeg_compress_struct out;
	struct jpeg_decompress_struct in;
	struct jpeg_error error;
	unsigned char *file = NULL, garbage[16] = "not a jpeg file";
	unsigned long size = 0;
	long worst = 0;

	for (int i = 0; i < SIDE * SIDE * 3; i++)
		pixels[i] = (unsigned char)(i % (SIDE * 3) * 2);
	out.err = jpeg_std_error(&error.manager);
	error.manager.error_exit = jpeg_error_exit;
	jpeg_create_compress(&out);
	jpeg_mem_dest(&out, &file, &size);
	out.image_width = out.image_height = SIDE;
	out.input_components = 3;
	out.in_color_space = JCS_RGB;
	jpeg_set_defaults(&out);
	jpeg_set_quality(&out, 95, TRUE);
	jpeg_start_compress(&out, TRUE);
	for (int row = 0; row < SIDE; row++) {
		JSAMPROW line = pixels + row * SIDE * 3;
		jpeg_write_scanlines(&out, &line, 1);
	}
	jpeg_finish_compress(&out);
	jpeg_destroy_compress(&out);

	in.err = jpeg_std_error(&error.manager);
	error.manager.error_exit = jpeg_error_exit;
	jpeg_create_decompress(&in);
	jpeg_mem_src(&in, file, size);
	CHECK(jpeg_read_header(&in, TRUE) == JPEG_HEADER_OK);
	jpeg_start_decompress(&in);
	CHECK(in.output_width == SIDE && in.output_height == SIDE);
	while (in.output_scanline < SIDE) {
		JSAMPROW line = decoded + in.output_scanline * SIDE * 3;
		jpeg_read_scanlines(&in, &line, 1);
	}
	jpeg_finish_decompress(&in);
	jpeg_destroy_decompress(&in);
	for (int i = 0; i < SIDE * SIDE * 3; i++) {
		long d = labs((long)decoded[i] - pixels[i]);
		worst = d > worst ? d : worst;
	}
	free(file);

	/* The error path: garbage instead of a file, back through longjmp. */
	in.err = jpeg_std_error(&error.manager);
	error.manager.error_exit = jpeg_error_exit;
	jpeg_create_decompress(&in);
	if (!setjmp(error.back)) {
		jpeg_mem_src(&in, garbage, sizeof(garbage));
		jpeg_read_header(&in, TRUE);
		CHECK(!"jpeg_read_header accepted garbage");
	}
	jpeg_destroy_decompress(&in);
	printf("jpeg %d: %dx%d RGB -> %lu bytes -> back, worst pixel error "
	       "%ld; garbage: %s\n", JPEG_LIB_VERSION, SIDE, SIDE, size, worst,
	       error.message);
	CHECK(worst <= 16);
	return 0;
}

static int zstd(void)
{
	static char input[65536], packed[70000], unpacked[65536];
	char garbage[64], small[16];

	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (char)("flexos"[i % 6] + i / 4096);
	size_t packed_len = ZSTD_compress(packed, sizeof(packed), input,
					  sizeof(input), 19);
	CHECK(!ZSTD_isError(packed_len));
	size_t unpacked_len = ZSTD_decompress(unpacked, sizeof(unpacked),
					      packed, packed_len);
	CHECK(!ZSTD_isError(unpacked_len));
	CHECK(unpacked_len == sizeof(input) &&
	      !memcmp(input, unpacked, sizeof(input)));
	memset(garbage, 'x', sizeof(garbage));
	size_t bad = ZSTD_decompress(unpacked, sizeof(unpacked), garbage,
				     sizeof(garbage));
	size_t tight = ZSTD_compress(small, sizeof(small), input,
				     sizeof(input), 1);
	printf("zstd %s: %zu bytes -> %zu -> %zu, identical; garbage: %s; "
	       "too small: %s\n", ZSTD_versionString(), sizeof(input),
	       packed_len, unpacked_len, ZSTD_getErrorName(bad),
	       ZSTD_getErrorName(tight));
	CHECK(ZSTD_isError(bad) && ZSTD_isError(tight));
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";

	if (!strcmp(name, "bzip2"))
		return bzip2();
	if (!strcmp(name, "yaml"))
		return yaml();
	if (!strcmp(name, "pcre2"))
		return pcre2();
	if (!strcmp(name, "zstd"))
		return zstd();
	if (!strcmp(name, "jpeg"))
		return jpeg();
	fprintf(stderr, "usage: archives bzip2|yaml|pcre2|jpeg|zstd\n");
	return 2;
}
