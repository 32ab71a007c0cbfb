/* pkey-probe: prove that Intel protection keys (PKU) really work.
 *
 * Allocates a protection key, tags a page with it, disables access through
 * the key (WRPKRU via glibc's pkey_set) and reads the page.  The read must
 * raise SIGSEGV with si_code == SEGV_PKUERR.
 *
 * Exit: 0 pkey fault caught, 1 pkey_alloc/pkey_mprotect failed (e.g. no PKU),
 *       2 no fault, 3 wrong kind of fault, 4 other setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

static volatile int the_key = -1;

static void on_segv(int sig, siginfo_t *si, void *uctx)
{
    char buf[96];
    int n;
    (void)sig;
    (void)uctx;
    if (si->si_code == SEGV_PKUERR) {
        n = snprintf(buf, sizeof buf, "pkey fault caught: key %d\n", the_key);
        if (n > 0)
            (void)!write(STDOUT_FILENO, buf, (size_t)n);
        _exit(0);
    }
    n = snprintf(buf, sizeof buf, "unexpected SIGSEGV, si_code=%d\n", si->si_code);
    if (n > 0)
        (void)!write(STDOUT_FILENO, buf, (size_t)n);
    _exit(3);
}

int main(void)
{
    long pagesz = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    volatile char *page;
    int key;

    setvbuf(stdout, NULL, _IONBF, 0);

    key = pkey_alloc(0, 0);
    if (key < 0) {
        printf("pkey_alloc failed: %s\n", strerror(errno));
        return 1;
    }
    the_key = key;

    page = mmap(NULL, (size_t)pagesz, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        printf("mmap failed: %s\n", strerror(errno));
        return 4;
    }
    page[0] = 42;

    if (pkey_mprotect((void *)page, (size_t)pagesz, PROT_READ | PROT_WRITE, key) != 0) {
        printf("pkey_mprotect failed: %s\n", strerror(errno));
        return 1;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0) {
        printf("sigaction failed: %s\n", strerror(errno));
        return 4;
    }

    if (pkey_set(key, PKEY_DISABLE_ACCESS) != 0) {
        printf("pkey_set failed: %s\n", strerror(errno));
        return 1;
    }

    printf("allocated key %d, reading protected page...\n", key);
    char c = page[0]; /* must fault */

    pkey_set(key, 0);
    printf("no fault: read %d through a disabled key\n", c);
    return 2;
}
