#include "kvproto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *word;
	enum kv_op op;
	int words; /* words after the command: 2 means KEY and the rest */
} commands[] = {
	{ "set", KV_SET, 2 }, { "get", KV_GET, 1 }, { "del", KV_DEL, 1 },
	{ "stats", KV_STATS, 0 }, { "dump", KV_DUMP, 0 },
};

/* Copies the word at *p (up to a space, or the end when rest is set) into
 * out; advances *p past it and the spaces after it. */
static int word(const char **p, char *out, size_t size, int rest)
{
	size_t n = rest ? strlen(*p) : strcspn(*p, " ");
	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	if (n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	*p += strspn(*p, " ");
	return 0;
}

int kvproto_parse(const char *line, struct kv_request *req)
{
	char command[8];
	line += strspn(line, " ");
	if (word(&line, command, sizeof command, 0) != 0) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(command, commands[i].word) != 0)
			continue;
		memset(req, 0, sizeof *req);
		req->op = commands[i].op;
		if (commands[i].words >= 1 &&
		    word(&line, req->key, sizeof req->key, 0) != 0)
			return -1;
		if (commands[i].words >= 2 &&
		    word(&line, req->value, sizeof req->value, 1) != 0)
			return -1;
		if (*line) { /* words left over */
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int kvproto_reply(char *buf, size_t size, int error, const char *text)
{
	int n;
	if (error)
		n = snprintf(buf, size, "ERR %s", strerror(error));
	else if (text)
		n = snprintf(buf, size, "OK %s", text);
	else
		n = snprintf(buf, size, "OK");
	if (n < 0 || (size_t)n >= size) {
		errno = ERANGE;
		return -1;
	}
	return n;
}
