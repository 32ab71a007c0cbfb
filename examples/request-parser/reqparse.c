/* reqparse: parses the head of an HTTP/1.x request.
 *
 * Plain C with no FlexOS call in it: isolating it is the build's business.
 * What it needs from its caller under isolation is only that the text, the
 * options and the result live in shared memory; its own state comes from
 * malloc, which FlexOS serves from this compartment's private heap. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reqparse.h"

/* The parsing state.  It is on the heap, as in a streaming parser that keeps
 * it between reads, so that the caller never sees it. */
struct parser {
	const char *pos, *end; /* the text still to parse */
	const struct reqparse_options *options;
	struct reqparse_request *req;
	reqparse_header_fn on_header;
	void *context;
	bool seen_host;
};

static int fail(struct reqparse_request *req, const char *why)
{
	snprintf(req->error, sizeof(req->error), "%s", why);
	return -1;
}

/* The next line, without its "\n" or "\r\n".  False at the end of the
 * text. */
static bool next_line(struct parser *p, const char **line, size_t *len)
{
	const char *nl;

	if (p->pos == p->end)
		return false;
	nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
	*line = p->pos;
	*len = (size_t)((nl ? nl : p->end) - p->pos);
	p->pos = nl ? nl + 1 : p->end;
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

/* Copies src[0..len) into dst as a C string; false when it does not fit. */
static bool copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* "GET /path HTTP/1.1" */
static int parse_request_line(struct parser *p, const char *line, size_t len)
{
	struct reqparse_request *req = p->req;
	const char *end = line + len;
	const char *sp1 = memchr(line, ' ', len);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))
			      : NULL;

	if (!sp2 || sp1 == line || sp2 == sp1 + 1)
		return fail(p->req, "malformed request line");
	if (!copy_field(req->method, sizeof(req->method), line,
			(size_t)(sp1 - line)))
		return fail(p->req, "method too long");
	if (!copy_field(req->target, sizeof(req->target), sp1 + 1,
			(size_t)(sp2 - sp1 - 1)))
		return fail(p->req, "request target too long");
	if (!copy_field(req->version, sizeof(req->version), sp2 + 1,
			(size_t)(end - sp2 - 1)) ||
	    strncmp(req->version, "HTTP/1.", 7) != 0)
		return fail(p->req, "unsupported HTTP version");
	return 0;
}

static bool is_host_name(const char *s, size_t len)
{
	if (len == 0 || len > REQPARSE_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-:", s[i]))
			return false;
	return true;
}

static void set_host(struct parser *p, const char *value, size_t len)
{
	struct reqparse_request *req = p->req;

	if (!is_host_name(value, len)) {
		/* Be lenient, as many servers are: answer for the default
		 * virtual host rather than reject the request. */
		value = p->options->default_host;
		/*
		 * DELIBERATE BUG, for the example: len still measures the
		 * rejected header value, not default_host.  A client that
		 * sends a long Host header makes the memcpy below read that
		 * many bytes from default_host, past its end, into whatever
		 * lies behind it in the caller's memory: a buffer over-read
		 * (CWE-126).  The fix is one line:
		 *
		 *	len = strlen(value);
		 */
	}
	if (len >= sizeof(req->host))
		len = sizeof(req->host) - 1;
	memcpy(req->host, value, len);
	req->host[len] = '\0';
	req->host_len = len;
}

/* "Name: value", with optional blanks around the value. */
static int parse_header(struct parser *p, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	const char *value, *end = line + len;
	size_t name_len;

	if (!colon || colon == line)
		return fail(p->req, "malformed header");
	name_len = (size_t)(colon - line);
	for (size_t i = 0; i < name_len; i++)
		if (!isgraph((unsigned char)line[i]))
			return fail(p->req, "malformed header name");
	if (p->req->header_count == p->options->max_headers)
		return fail(p->req, "too many headers");
	p->req->header_count++;

	value = colon + 1;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;

	if (name_len == 4 && strncasecmp(line, "Host", 4) == 0) {
		if (p->seen_host)
			return fail(p->req, "duplicate Host header");
		p->seen_host = true;
		set_host(p, value, (size_t)(end - value));
	}
	if (p->on_header)
		p->on_header(line, name_len, value, (size_t)(end - value),
			     p->context);
	return 0;
}

static int parse(struct parser *p)
{
	const char *line;
	size_t len;

	if (!next_line(p, &line, &len))
		return fail(p->req, "empty request");
	if (parse_request_line(p, line, len) < 0)
		return -1;
	while (next_line(p, &line, &len) && len > 0)
		if (parse_header(p, line, len) < 0)
			return -1;
	if (!p->seen_host)
		return fail(p->req, "missing Host header");
	return 0;
}

int reqparse_parse(const char *text, size_t len,
		   const struct reqparse_options *options,
		   struct reqparse_request *req, reqparse_header_fn on_header,
		   void *context)
{
	struct parser *p = malloc(sizeof(*p));
	int status;

	memset(req, 0, sizeof(*req));
	if (!p)
		return fail(req, "out of memory");
	*p = (struct parser){
		.pos = text,
		.end = text + len,
		.options = options,
		.req = req,
		.on_header = on_header,
		.context = context,
	};
	status = parse(p);
	free(p);
	return status;
}
