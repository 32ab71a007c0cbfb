/* Errors, growable buffers and files written atomically. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"

unsigned gen_nerrors, gen_nwarnings;
int gen_quiet;
struct gen_diag *gen_diags;
size_t gen_ndiags;
static size_t capdiags;

/* Temporary files not yet renamed into place: removed on a fatal exit, so
 * that a failed run leaves nothing half-written behind. */
static char **temps;
static size_t ntemps, captemps;

static void oom(void)
{
	fputs("flexos-gen: error: out of memory\n", stderr);
	exit(1);
}

void *gen_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *gen_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *gen_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *gen_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom();
	return d;
}

char *gen_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

void gen_buf_add(struct gen_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->s = gen_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void gen_buf_printf(struct gen_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	gen_buf_add(b, s, (size_t)n);
	free(s);
}

static void diag(const char *where, const char *kind, const char *fmt,
		 va_list ap)
{
	fprintf(stderr, "%s: %s: ", where ? where : "flexos-gen", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void gen_error(const char *where, const char *fmt, ...)
{
	va_list ap;

	gen_nerrors++;
	if (gen_quiet > 1)
		return;
	va_start(ap, fmt);
	diag(where, "error", fmt, ap);
	va_end(ap);
}

void gen_warning(const char *where, const char *fmt, ...)
{
	va_list ap;

	struct gen_diag *d = GEN_PUSH(gen_diags, gen_ndiags, capdiags);

	gen_nwarnings++;
	d->where = gen_xstrdup(where ? where : "flexos-gen");
	va_start(ap, fmt);
	if (vasprintf(&d->msg, fmt, ap) < 0)
		oom();
	va_end(ap);
	if (!gen_quiet)
		fprintf(stderr, "%s: warning: %s\n", d->where, d->msg);
}

void gen_note(const char *where, const char *fmt, ...)
{
	va_list ap;

	if (gen_quiet)
		return;
	va_start(ap, fmt);
	diag(where, "note", fmt, ap);
	va_end(ap);
}

static void remove_temps(void)
{
	for (size_t i = 0; i < ntemps; i++)
		if (temps[i])
			unlink(temps[i]);
}

void gen_check_errors(void)
{
	if (!gen_nerrors)
		return;
	remove_temps();
	fprintf(stderr, "flexos-gen: %u error%s; nothing written\n",
		gen_nerrors, gen_nerrors == 1 ? "" : "s");
	exit(1);
}

void gen_die(const char *where, const char *fmt, ...)
{
	va_list ap;

	gen_nerrors++;
	va_start(ap, fmt);
	diag(where, "error", fmt, ap);
	va_end(ap);
	gen_check_errors();
	exit(1);
}

int gen_read_file(const char *path, unsigned char **data, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	unsigned char *buf;
	size_t done = 0;

	if (fd < 0) {
		gen_error(path, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		gen_error(path, "not a regular file");
		close(fd);
		return -1;
	}
	buf = gen_xmalloc((size_t)sb.st_size + 1);
	while (done < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)sb.st_size - done);

		if (n <= 0) {
			gen_error(path, "cannot read: %s",
				  n ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = done;
	return 0;
}

void gen_mkdirs(const char *dir)
{
	char *p = gen_xstrdup(dir);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0777);
		*s = '/';
	}
	mkdir(p, 0777);
	free(p);
}

char *gen_temp_path(const char *path)
{
	char *tmp = gen_xasprintf("%s.tmpXXXXXX", path);
	int fd;
	char *slash = strrchr(path, '/');

	if (slash) {
		char *dir = gen_xstrdup(path);

		dir[slash - path] = '\0';
		gen_mkdirs(dir);
		free(dir);
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		gen_die(path, "cannot create a temporary file: %s",
			strerror(errno));
	close(fd);
	*GEN_PUSH(temps, ntemps, captemps) = tmp;
	return tmp;
}

void gen_temp_done(const char *tmp)
{
	for (size_t i = 0; i < ntemps; i++)
		if (temps[i] == tmp)
			temps[i] = NULL;
}

char *gen_write_temp(const char *path, const void *data, size_t size)
{
	char *tmp = gen_temp_path(path);
	int fd = open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
	const unsigned char *p = data;
	size_t done = 0;

	if (fd < 0)
		goto fail;
	while (done < size) {
		ssize_t n = write(fd, p + done, size - done);

		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	chmod(tmp, 0644);
	return tmp;
fail:
	gen_error(path, "cannot write: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return NULL;
}

int gen_commit_temp(char *tmp, const char *path)
{
	if (rename(tmp, path) < 0) {
		gen_error(path, "cannot write: %s", strerror(errno));
		return -1;
	}
	gen_temp_done(tmp);
	return 0;
}

int gen_write_atomic(const char *path, const void *data, size_t size)
{
	char *tmp = gen_write_temp(path, data, size);

	return tmp ? gen_commit_temp(tmp, path) : -1;
}
