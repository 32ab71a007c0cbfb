/* kvtool: runs the commands of script files against a key-value store, on
 * a worker thread, and checks every reply against the one the script
 * expects.  A script line is "COMMAND => REPLY"; '#' starts a comment.
 *
 *   kvtool SCRIPT...    exit 0 when every reply was the expected one
 *
 * Each script gets a fresh store, so its replies do not depend on the
 * scripts run before it. */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvproto.h"
#include "kvstore.h"

struct step {
	char *command, *expected;
	int line;
};

struct job {
	const char *script;
	struct step *steps;
	size_t count;
	struct kv_store *store;
	int mismatches;
};

static unsigned log_lines;

static void log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("log: ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	log_lines++;
}

/* The store's settings; it keeps a pointer to them. */
static struct kv_config config = {
	.buckets = 4, .max_value = 16, .hash = "fnv1a", .log = log_line,
};

/* "dump" lists the entries sorted, so the reply does not depend on the
 * hash function. */
struct dump {
	char *entries[32];
	size_t count;
};

static void collect(const char *key, const char *value, void *arg)
{
	struct dump *d = arg;
	char *entry;
	if (d->count < 32 && asprintf(&entry, "%s=%s", key, value) >= 0)
		d->entries[d->count++] = entry;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump(struct kv_store *store, char *text, size_t size)
{
	struct dump d = { .count = 0 };
	size_t used = 0;
	kv_foreach(store, collect, &d);
	qsort(d.entries, d.count, sizeof d.entries[0], by_text);
	text[0] = '\0';
	for (size_t i = 0; i < d.count; i++) {
		used += snprintf(text + used, used < size ? size - used : 0,
				 "%s%s", i ? " " : "", d.entries[i]);
		free(d.entries[i]);
	}
}

static void answer(struct kv_store *store, const char *command, char *reply,
		   size_t size)
{
	struct kv_request req;
	char text[256];
	const char *out = NULL;
	int error = 0;
	if (kvproto_parse(command, &req) != 0) {
		error = errno;
	} else if (req.op == KV_SET) {
		if (kv_set(store, req.key, req.value) != 0)
			error = errno;
	} else if (req.op == KV_GET) {
		if (!(out = kv_get(store, req.key)))
			error = errno;
	} else if (req.op == KV_DEL) {
		if (kv_del(store, req.key) != 0)
			error = errno;
	} else if (req.op == KV_STATS) {
		struct kv_stats s = kv_stats(store);
		snprintf(text, sizeof text,
			 "entries=%zu buckets=%zu sets=%zu gets=%zu misses=%zu",
			 s.entries, s.buckets, s.sets, s.gets, s.misses);
		out = text;
	} else {
		dump(store, text, sizeof text);
		out = text;
	}
	if (kvproto_reply(reply, size, error, out) < 0)
		snprintf(reply, size, "(reply does not fit: %s)",
			 strerror(errno));
}

static void *worker(void *arg)
{
	struct job *job = arg;
	for (size_t i = 0; i < job->count; i++) {
		const struct step *s = &job->steps[i];
		char reply[512];
		answer(job->store, s->command, reply, sizeof reply);
		printf("%s => %s\n", s->command, reply);
		if (strcmp(reply, s->expected) != 0) {
			fprintf(stderr, "%s:%d: expected '%s'\n", job->script,
				s->line, s->expected);
			job->mismatches++;
		}
	}
	return NULL;
}

/* Reads SCRIPT's steps into job; -1 when it cannot be read or a line has
 * no "=>". */
static int load(const char *script, struct job *job)
{
	FILE *f = fopen(script, "r");
	char *line = NULL;
	size_t cap = 0;
	int number = 0, status = 0;
	if (!f) {
		perror(script);
		return -1;
	}
	*job = (struct job){ .script = script };
	while (getline(&line, &cap, f) > 0) {
		number++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *arrow = strstr(line, " => ");
		struct step *steps =
			realloc(job->steps, (job->count + 1) * sizeof *steps);
		if (!arrow || !steps) {
			fprintf(stderr, "%s:%d: not COMMAND => REPLY\n", script,
				number);
			status = -1;
			break;
		}
		*arrow = '\0';
		job->steps = steps;
		steps[job->count++] = (struct step){
			.command = strdup(line),
			.expected = strdup(arrow + 4),
			.line = number,
		};
	}
	free(line);
	fclose(f);
	return status;
}

int main(int argc, char **argv)
{
	size_t commands = 0;
	int mismatches = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s SCRIPT...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct job job;
		pthread_t thread;
		if (load(argv[i], &job) != 0)
			return 2;
		if (!(job.store = kv_open(&config))) {
			perror("kv_open");
			return 2;
		}
		if ((errno = pthread_create(&thread, NULL, worker, &job)) ||
		    (errno = pthread_join(thread, NULL))) {
			perror("worker thread");
			return 2;
		}
		kv_close(job.store);
		for (size_t j = 0; j < job.count; j++) {
			free(job.steps[j].command);
			free(job.steps[j].expected);
		}
		free(job.steps);
		commands += job.count;
		mismatches += job.mismatches;
	}
	printf("kvtool: %zu commands, %d unexpected replies, %u log lines\n",
	       commands, mismatches, log_lines);
	return mismatches ? 1 : 0;
}
