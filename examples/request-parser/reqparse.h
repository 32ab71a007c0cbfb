/* reqparse: a small parser for HTTP/1.x request heads (request line and
 * headers).
 *
 * The library knows nothing about FlexOS: it is ordinary C that a program
 * may call directly or, as request-demo does, through a gate into a
 * compartment of its own.  Everything it is handed must then be memory the
 * caller shares: the text, the options and the result. */
#ifndef REQPARSE_H
#define REQPARSE_H

#include <stddef.h>

/* The longest Host header value accepted as a host name. */
#define REQPARSE_HOST_MAX 63

struct reqparse_options {
	/* Host to serve when the request has no usable Host header. */
	const char *default_host;
	/* More headers than this make the request invalid. */
	unsigned max_headers;
};

/* What the parser found, filled in by reqparse_parse(). */
struct reqparse_request {
	char method[16];
	char target[256];
	char version[16];
	/* The Host header, or options->default_host.  host_len counts the
	 * bytes copied: print it with its length, not as a C string. */
	char host[80];
	size_t host_len;
	unsigned header_count;
	/* Why parsing failed, or "". */
	char error[64];
};

/* Called once per header, in order.  name and value point into the text
 * given to reqparse_parse() and are not NUL-terminated. */
typedef void (*reqparse_header_fn)(const char *name, size_t name_len,
				   const char *value, size_t value_len,
				   void *context);

/* Parses the request head in text[0..len) into *req, calling on_header (if
 * not NULL) with `context` for every header.  The head ends at the first
 * empty line or at the end of the text; a body after it is ignored.  Lines
 * end in "\r\n" or "\n".  Returns 0, or -1 with req->error set. */
int reqparse_parse(const char *text, size_t len,
		   const struct reqparse_options *options,
		   struct reqparse_request *req, reqparse_header_fn on_header,
		   void *context);

#endif
