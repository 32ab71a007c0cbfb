/* request-demo: the front end of an API server.
 *
 * It holds secrets (the API key it uses towards its backend, the session
 * token it issued at login) and hands the untrusted request text to reqparse,
 * which the build puts into a compartment of its own ("parser").  Every call
 * into the parser is a gate; every byte the parser may touch is shared
 * explicitly.  The parser calls back into this program for each header.
 *
 * Usage: request-demo [FILE...]   (no FILE, or "-": read standard input) */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <flexos/flexos.h>

#include "reqparse.h"

#define REQUEST_MAX (64u << 10)

struct server_config {
	char server_name[32];
	char api_key[48];
};

/* Private static data of this program's compartment: the parser cannot read
 * it, however it is tricked. */
static struct server_config config = {
	.server_name = "api.example.com",
	.api_key = "sk_live_7Hq2xV9pLm4RtZ8wKd3N",
};

/*
 * The parser reads its options, so they are shared.
 *
 * DELIBERATE MISTAKE, for the example: default_host points into config,
 * which is private.  FLEXOS_SHARED shares the object it marks, never what
 * its pointers point to.  Nothing goes wrong while the parser does not
 * follow the pointer; reqparse.c shows the request that makes it, and what
 * it then reads.  The fix: keep the name itself in shared memory, e.g. a
 * FLEXOS_SHARED copy of config.server_name.
 */
FLEXOS_SHARED static struct reqparse_options parser_options = {
	.default_host = config.server_name,
	.max_headers = 32,
};

/* Per-request state of this program.  The parser gets a pointer to it only
 * to hand it back to on_header(), which runs in this compartment: an opaque
 * pointer to private memory may cross a gate, as long as nobody on the other
 * side dereferences it. */
struct connection {
	const char *session_token; /* on this compartment's private heap */
	bool authenticated;
};

/* Request fields come from the network: never print their bytes raw. */
static void print_field(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		putchar(isprint((unsigned char)s[i]) ? s[i] : '.');
}

/* A string the parser wrote into a char array of `size` bytes. */
static void print_string(const char *s, size_t size)
{
	print_field(s, strnlen(s, size));
}

static bool has_session(const char *cookies, size_t len, const char *token)
{
	static const char key[] = "session=";
	size_t key_len = sizeof(key) - 1, token_len = strlen(token);

	return len == key_len + token_len && !memcmp(cookies, key, key_len) &&
	       !memcmp(cookies + key_len, token, token_len);
}

/* Called by the parser, through a gate back into this compartment, for every
 * header: it may use this program's private memory. */
static void on_header(const char *name, size_t name_len, const char *value,
		      size_t value_len, void *context)
{
	struct connection *conn = context;
	bool cookie = name_len == 6 && !strncasecmp(name, "Cookie", 6);

	printf("  header   ");
	print_field(name, name_len);
	printf(": ");
	if (cookie) {
		conn->authenticated = has_session(value, value_len,
						  conn->session_token);
		printf("(%zu bytes, not shown)", value_len);
	} else {
		print_field(value, value_len);
	}
	putchar('\n');
}

/* The whole of `in` in one buffer on the shared heap, where the parser can
 * read it. */
static char *read_request(FILE *in, size_t *len)
{
	size_t size = 4096;
	char *text = flexos_shared_malloc(size);

	*len = 0;
	while (text) {
		*len += fread(text + *len, 1, size - *len, in);
		if (*len < size || size == REQUEST_MAX)
			break;
		size *= 2;
		char *bigger = flexos_shared_realloc(text, size);
		if (!bigger)
			flexos_shared_free(text);
		text = bigger;
	}
	if (text && ferror(in)) {
		flexos_shared_free(text);
		text = NULL;
	}
	return text;
}

/* What the parser wrote is no more trustworthy than what it read: never let
 * its lengths take us past the buffers they describe. */
static size_t host_length(const struct reqparse_request *req)
{
	return req->host_len < sizeof(req->host) ? req->host_len
						 : sizeof(req->host);
}

static void print_result(const struct reqparse_request *req,
			 const struct connection *conn)
{
	printf("request:   ");
	print_string(req->method, sizeof(req->method));
	putchar(' ');
	print_string(req->target, sizeof(req->target));
	putchar(' ');
	print_string(req->version, sizeof(req->version));
	printf("\n  host:    ");
	print_field(req->host, host_length(req));
	printf("\n  headers: %u, session: %s\n", req->header_count,
	       conn->authenticated ? "valid" : "none");
}

static void respond(const struct reqparse_request *req,
		    const struct connection *conn)
{
	if (conn->authenticated) {
		printf("response: 200 OK\n");
		return;
	}
	/* Send the client to the login page of the host it asked for. */
	printf("response: 302 Found\n  Location: https://");
	print_field(req->host, host_length(req));
	printf("/login\n");
}

static int handle(const char *path, const char *session_token)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct connection conn = { .session_token = session_token };
	struct reqparse_request *req;
	size_t len;
	char *text;
	int status;

	if (!in) {
		perror(path);
		return 1;
	}
	text = read_request(in, &len);
	if (in != stdin)
		fclose(in);
	if (!text) {
		fprintf(stderr, "%s: cannot read the request\n", path);
		return 1;
	}
	/* The parser writes its result here: shared, like the text. */
	req = flexos_shared_malloc(sizeof(*req));
	if (!req) {
		flexos_shared_free(text);
		return 1;
	}

	printf("== %s\n", path);
	flexos_gate_r(status, reqparse, reqparse_parse, text, len,
		      &parser_options, req,
		      flexos_callback(request_demo, on_header), &conn);
	if (status == 0) {
		print_result(req, &conn);
		respond(req, &conn);
	} else {
		printf("response: 400 Bad Request (");
		print_string(req->error, sizeof(req->error));
		printf(")\n");
	}
	flexos_shared_free(req);
	flexos_shared_free(text);
	return 0;
}

/* The session the client got at login.  A real server would draw it at
 * random; it is fixed here so that requests/good.txt can present it. */
static char *issue_session_token(void)
{
	static const char issued[] = "4f1c9e2ab7d05386";
	char *token = malloc(sizeof(issued)); /* this compartment's heap */

	if (token)
		memcpy(token, issued, sizeof(issued));
	return token;
}

int main(int argc, char **argv)
{
	char *session_token = issue_session_token();
	int status = 0;

	if (!session_token)
		return 1;
	printf("request-demo: backend %s, compartments:",
	       flexos_backend_name());
	for (unsigned c = 0; c < flexos_compartment_count(); c++)
		printf(" %s", flexos_compartment_name(c));
	putchar('\n');

	if (argc < 2)
		status = handle("-", session_token);
	for (int i = 1; i < argc; i++)
		status |= handle(argv[i], session_token);
	free(session_token);
	return status;
}
