/* kvproto: the text protocol of the key-value store. */
#ifndef KVPROTO_H
#define KVPROTO_H

#include <stddef.h>

enum kv_op { KV_SET, KV_GET, KV_DEL, KV_STATS, KV_DUMP };

#define KV_KEY_MAX 31
#define KV_VALUE_MAX 127

struct kv_request {
	enum kv_op op;
	char key[KV_KEY_MAX + 1];
	char value[KV_VALUE_MAX + 1];
};

/* Parses "set KEY VALUE", "get KEY", "del KEY", "stats" or "dump" (the
 * value is the rest of the line).  0, or -1 with errno EINVAL (unknown
 * command, missing or extra words) or ENAMETOOLONG (key or value too
 * long for the request). */
int kvproto_parse(const char *line, struct kv_request *req);

/* Writes the reply to a request into buf: "OK", "OK TEXT" (text may be
 * NULL), or "ERR <message>" when error is an errno value.  Its length, or
 * -1 with errno ERANGE when it does not fit. */
int kvproto_reply(char *buf, size_t size, int error, const char *text);

#endif
