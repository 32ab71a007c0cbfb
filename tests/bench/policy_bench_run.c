/* policy_bench_run IMAGE POLICY...: what applying a sharing policy costs
 * at start-up.  Spawns IMAGE (its main returns at once) until it has
 * exited, with no policy (the floor: neither its own, it has none, nor
 * FLEXOS_POLICY) and with FLEXOS_POLICY set to each POLICY, one run of
 * each series per round, the order rotating from round to round so that a
 * noisy neighbour slows every series alike.  Prints the median
 * start-to-exit time of each series and what each policy adds to the
 * floor, against the target (issue: applying a policy of up to 100 lines
 * costs < 5 ms).  A policy's row is named by its first line, a comment;
 * its lines are the others.
 *
 * Before timing, each series runs once with the image's stderr read, and
 * its row says how many warnings the policy gave (a stale entry, say):
 * the floor must give none.  Everything runs on the CPU this program
 * starts on (see syscall_bench_run.c).  Environment: FLEXOS_BENCH_SAMPLES,
 * the runs of each series (default 100).  Exits 0 when every number is
 * positive; the verdict is printed, not returned. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

#define TARGET_MS 5.0
#define TARGET_LINES 100
#define MAX_SERIES 8

extern char **environ;

static __attribute__((noreturn)) void die(const char *what)
{
	bench_die("policy_bench_run", what);
}

/* The environment without FLEXOS_POLICY, and with `policy` as it if not
 * NULL. */
static char **environment(const char *policy)
{
	static const char var[] = "FLEXOS_POLICY=";
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(char *));
	if (!env)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], var, sizeof(var) - 1) != 0)
			env[k++] = environ[i];
	if (policy) {
		char *entry = malloc(sizeof(var) + strlen(policy));
		if (!entry)
			die("out of memory");
		strcpy(entry, var);
		strcat(entry, policy);
		env[k++] = entry;
	}
	return env;
}

static pid_t spawn(char *image, char **env, int out, int err)
{
	char *argv[] = { image, NULL };
	posix_spawn_file_actions_t actions;
	pid_t pid;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, out, 1);
	posix_spawn_file_actions_adddup2(&actions, err, 2);
	if (posix_spawn(&pid, image, &actions, NULL, argv, env) != 0)
		die("cannot start the image");
	posix_spawn_file_actions_destroy(&actions);
	return pid;
}

static void wait_ok(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "policy_bench_run: the image did not exit "
			"with 0 (wait status 0x%x)\n", status);
		exit(1);
	}
}

/* Milliseconds from spawning the image until it has exited; its output
 * goes to /dev/null. */
static double start_up(char *image, char **env, int null)
{
	uint64_t start = now_ns();

	wait_ok(spawn(image, env, null, null));
	return (double)(now_ns() - start) / 1e6;
}

/* One untimed run, stderr read: how many warnings the policy gave. */
static unsigned warnings(char *image, char **env, int null)
{
	static char text[1 << 16];
	size_t got = 0;
	ssize_t n;
	int pipe_fds[2];
	unsigned count = 0;
	pid_t pid;

	if (pipe2(pipe_fds, O_CLOEXEC) != 0)
		die("pipe");
	pid = spawn(image, env, null, pipe_fds[1]);
	close(pipe_fds[1]);
	while ((n = read(pipe_fds[0], text + got, sizeof(text) - 1 - got)) > 0)
		got += (size_t)n;
	close(pipe_fds[0]);
	wait_ok(pid);
	text[got] = '\0';
	for (char *at = text; (at = strstr(at, "warning: policy")); at++)
		count++;
	return count;
}

/* The policy's name (its first line, a comment) and number of lines. */
static unsigned read_policy(const char *path, char *name, size_t size)
{
	FILE *file = fopen(path, "r");
	char line[1024];
	unsigned lines = 0;

	if (!file)
		die("cannot read a policy");
	if (!fgets(line, sizeof(line), file) || line[0] != '#')
		die("a policy of the benchmark starts with a comment naming it");
	line[strcspn(line, "\n")] = '\0';
	snprintf(name, size, "%s", line + 1 + (line[1] == ' '));
	while (fgets(line, sizeof(line), file))
		lines += line[0] != '#' && line[0] != '\n';
	fclose(file);
	return lines;
}

int main(int argc, char **argv)
{
	const char *text = getenv("FLEXOS_BENCH_SAMPLES");
	unsigned runs = text ? (unsigned)atoi(text) : 100;
	unsigned nseries = (unsigned)argc - 1; /* the floor, then each policy */
	char **env[MAX_SERIES], name[MAX_SERIES][80];
	unsigned lines[MAX_SERIES], warned[MAX_SERIES];
	double *times[MAX_SERIES], medians[MAX_SERIES];
	char *image = argv[1];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), met = 1;
	cpu_set_t cpu;

	if (argc < 3 || nseries > MAX_SERIES) {
		fprintf(stderr, "usage: policy_bench_run IMAGE POLICY...\n");
		return 2;
	}
	if (runs < 1)
		die("FLEXOS_BENCH_SAMPLES must be at least 1");
	if (null < 0)
		die("cannot open /dev/null");
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu) != 0) /* children too */
		die("cannot pin to a CPU");
	for (unsigned s = 0; s < nseries; s++) {
		const char *policy = s ? argv[s + 1] : NULL;

		env[s] = environment(policy);
		lines[s] = 0;
		snprintf(name[s], sizeof(name[s]), "no policy (floor)");
		if (policy)
			lines[s] = read_policy(policy, name[s],
					       sizeof(name[s]));
		times[s] = calloc(runs, sizeof(double));
		if (!times[s])
			die("out of memory");
		/* Untimed: the page cache, and the warnings. */
		warned[s] = warnings(image, env[s], null);
	}
	if (warned[0])
		die("the image warns without a policy");
	for (unsigned i = 0; i < runs; i++)
		for (unsigned k = 0; k < nseries; k++) {
			unsigned s = (i + k) % nseries;
			times[s][i] = start_up(image, env[s], null);
		}

	printf("%-40s %6s %9s %10s %9s  %-7s  %s\n",
	       "sharing policy at start-up", "lines", "warnings", "median ms",
	       "added ms", "target", "verdict");
	for (unsigned s = 0; s < nseries; s++) {
		int targeted = s && lines[s] <= TARGET_LINES;
		double added;

		medians[s] = median(times[s], runs);
		if (!(medians[s] > 0))
			die("a median is not positive");
		added = medians[s] - medians[0];
		if (!s) {
			printf("%-40s %6u %9u %10.2f %9s  %-7s  %s\n", name[s],
			       lines[s], warned[s], medians[s], "-", "-", "-");
			continue;
		}
		met &= !targeted || added < TARGET_MS;
		printf("%-40s %6u %9u %10.2f %9.2f  %-7s  %s\n", name[s],
		       lines[s], warned[s], medians[s], added,
		       targeted ? "<5 ms" : "-",
		       !targeted ? "-" : added < TARGET_MS ? "PASS" : "FAIL");
	}
	printf("\n# %u runs of each series, by turns: posix_spawn of the "
	       "image (main returns at once) until waitpid, output to "
	       "/dev/null; all on CPU %d\n", runs, sched_getcpu());
	printf("# policies through FLEXOS_POLICY; warnings counted in one "
	       "untimed run of each beforehand\n");
	printf("# target: %s (a policy of up to %u lines adds < %.0f ms)\n",
	       met ? "met" : "MISSED", TARGET_LINES, TARGET_MS);
	return 0;
}
