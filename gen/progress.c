/* Verbosity and progress.  -q says only errors, the default adds warnings
 * and one summary line, -v says what each step did.  A run still going
 * after 2 s (a big archive, a slow disk) says which step it is in, every
 * 2 s, so that a silent link does not look hung; -q silences that too.
 *
 * The line comes from a SIGALRM handler, which may only write(2) what was
 * prepared before: the step's name is a pointer to a string literal. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"

int gen_verbose;

static const char *volatile step = "starting";
static struct timespec started;
static int armed;

void gen_info(const char *fmt, ...)
{
	va_list ap;

	if (!gen_verbose)
		return;
	fputs("flexos-gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void append(char *buf, size_t *len, size_t cap, const char *s)
{
	for (; *s && *len + 1 < cap; s++)
		buf[(*len)++] = *s;
}

static void tick(int sig)
{
	struct timespec now;
	char line[160], digits[24];
	size_t len = 0, d = 0;
	int saved = errno;

	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &now);
	unsigned long secs = (unsigned long)(now.tv_sec - started.tv_sec);

	do
		digits[d++] = (char)('0' + secs % 10);
	while ((secs /= 10) && d < sizeof(digits));
	append(line, &len, sizeof(line), "flexos-gen: still working (");
	while (d && len + 1 < sizeof(line))
		line[len++] = digits[--d];
	append(line, &len, sizeof(line), " s): ");
	append(line, &len, sizeof(line), step);
	append(line, &len, sizeof(line), "\n");
	if (write(STDERR_FILENO, line, len) < 0) {
		/* Nothing to do about it in a signal handler. */
	}
	errno = saved;
}

void gen_progress_start(void)
{
	const char *env = getenv("FLEXOS_GEN_PROGRESS_MS");
	long ms = env && *env ? strtol(env, NULL, 10) : 2000;
	struct sigaction sa;
	struct itimerval it = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &started);
	if (gen_quiet || ms <= 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tick;
	sa.sa_flags = SA_RESTART; /* reads and waits go on after a tick */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return;
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	it.it_interval = (struct timeval){ 2, 0 };
	armed = setitimer(ITIMER_REAL, &it, NULL) == 0;
}

void gen_progress(const char *what)
{
	step = what;
	gen_info("%s", what);
}

void gen_progress_stop(void)
{
	struct itimerval off = { 0 };

	/* Before the linker is exec'd: an interval timer survives exec, and
	 * SIGALRM would kill it. */
	if (armed)
		setitimer(ITIMER_REAL, &off, NULL);
	armed = 0;
	signal(SIGALRM, SIG_DFL);
}
