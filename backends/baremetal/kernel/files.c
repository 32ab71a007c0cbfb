/* Read-only files: the multiboot modules after the program, each named by
 * its command line (the runner names them by the host path the program
 * was given, so `program some/file` opens the same path inside).  No
 * directories, no writing: enough for a program that reads its input. */
#include "kernel.h"

#define MAX_FILES 16
#define MAX_OPEN 16
#define ENOENT 2
#define EBADF 9
#define EFAULT 14
#define EINVAL 22
#define EMFILE 24
#define EROFS 30

struct file {
	char name[256];
	const uint8_t *data;
	uint64_t size;
};

static struct file files[MAX_FILES];
static unsigned nfiles;
static struct {
	const struct file *file;
	uint64_t offset;
} open_files[MAX_OPEN]; /* fd 3 + i */

void files_add(const char *name, const void *data, uint64_t size)
{
	if (nfiles == MAX_FILES)
		return;
	struct file *f = &files[nfiles++];
	size_t n = strlen(name);
	if (n >= sizeof(f->name))
		n = sizeof(f->name) - 1;
	memcpy(f->name, name, n);
	f->name[n] = '\0';
	f->data = data;
	f->size = size;
}

int64_t files_open(uint64_t path, uint64_t flags)
{
	const char *p = (const char *)path;

	if (vm_user_string(path, 4096) < 0)
		return -EFAULT;
	if (flags & 3)
		return -EROFS;
	for (unsigned i = 0; i < nfiles; i++) {
		if (strcmp(files[i].name, p))
			continue;
		for (int fd = 0; fd < MAX_OPEN; fd++) {
			if (open_files[fd].file)
				continue;
			open_files[fd].file = &files[i];
			open_files[fd].offset = 0;
			return fd + 3;
		}
		return -EMFILE;
	}
	return -ENOENT;
}

static bool valid(uint64_t fd)
{
	return fd >= 3 && fd < 3 + MAX_OPEN && open_files[fd - 3].file;
}

int64_t files_read(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (fd <= 2)
		return 0; /* standard input: empty */
	if (!valid(fd))
		return -EBADF;
	if (!vm_user_ok(buf, len, true))
		return -EFAULT;
	const struct file *f = open_files[fd - 3].file;
	uint64_t *offset = &open_files[fd - 3].offset;
	uint64_t n = *offset < f->size ? f->size - *offset : 0;
	if (n > len)
		n = len;
	memcpy((void *)buf, f->data + *offset, n);
	*offset += n;
	return (int64_t)n;
}

int64_t files_seek(uint64_t fd, int64_t offset, uint64_t whence)
{
	if (!valid(fd))
		return fd <= 2 ? -29 /* ESPIPE */ : -EBADF;
	const struct file *f = open_files[fd - 3].file;
	int64_t base = whence == 0 ? 0
		       : whence == 1 ? (int64_t)open_files[fd - 3].offset
		       : whence == 2 ? (int64_t)f->size : -1;
	if (base < 0 || base + offset < 0)
		return -EINVAL;
	open_files[fd - 3].offset = (uint64_t)(base + offset);
	return base + offset;
}

int64_t files_close(uint64_t fd)
{
	if (fd <= 2)
		return 0;
	if (!valid(fd))
		return -EBADF;
	open_files[fd - 3].file = NULL;
	return 0;
}

/* fstat: a file is a regular file of its size, read-only; the standard
 * descriptors are the console, a character device.  struct stat's x86-64
 * layout (musl's and glibc's alike), its other fields zero. */
int64_t files_stat(uint64_t fd, uint64_t buf)
{
	enum { STAT_SIZE = 144, MODE = 24, NLINK = 16, SIZE = 48, BLKSIZE = 56 };
	uint8_t st[STAT_SIZE] = { 0 };
	uint32_t mode;
	uint64_t one = 1, size = 0, block = 4096;

	if (fd <= 2) {
		mode = 0020620; /* S_IFCHR, rw--w---- */
	} else if (valid(fd)) {
		mode = 0100444; /* S_IFREG, r--r--r-- */
		size = open_files[fd - 3].file->size;
	} else {
		return -EBADF;
	}
	if (!vm_user_ok(buf, sizeof(st), true))
		return -EFAULT;
	memcpy(st + NLINK, &one, 8);
	memcpy(st + MODE, &mode, 4);
	memcpy(st + SIZE, &size, 8);
	memcpy(st + BLKSIZE, &block, 8);
	memcpy((void *)buf, st, sizeof(st));
	return 0;
}
