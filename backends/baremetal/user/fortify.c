/* glibc's fortified entry points, for prebuilt archives compiled against
 * glibc with _FORTIFY_SOURCE (Debian builds its libraries so: libz.a calls
 * __snprintf_chk) and linked into an image over musl, which has none.
 * Same contract as glibc's: `object_size` is what the compiler knew of the
 * destination, and a call that could write past it is a buffer overflow,
 * which stops the program as glibc does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int __vsnprintf_chk(char *out, size_t size, int flag, size_t object_size,
		    const char *format, va_list args);
int __snprintf_chk(char *out, size_t size, int flag, size_t object_size,
		   const char *format, ...);

__attribute__((noreturn)) static void overflow(void)
{
	static const char message[] =
		"*** buffer overflow detected ***: terminated\n";

	write(2, message, sizeof(message) - 1);
	abort();
}

int __vsnprintf_chk(char *out, size_t size, int flag, size_t object_size,
		    const char *format, va_list args)
{
	(void)flag;
	if (size > object_size)
		overflow();
	return vsnprintf(out, size, format, args);
}

int __snprintf_chk(char *out, size_t size, int flag, size_t object_size,
		   const char *format, ...)
{
	va_list args;

	va_start(args, format);
	int n = __vsnprintf_chk(out, size, flag, object_size, format, args);
	va_end(args);
	return n;
}

int __sprintf_chk(char *out, int flag, size_t object_size, const char *format,
		  ...);
int __fprintf_chk(FILE *stream, int flag, const char *format, ...);
void *__memcpy_chk(void *to, const void *from, size_t n, size_t object_size);

int __sprintf_chk(char *out, int flag, size_t object_size, const char *format,
		  ...)
{
	va_list args;

	va_start(args, format);
	/* What fits in the object: more would have overflowed it. */
	int n = __vsnprintf_chk(out, object_size, flag, object_size, format,
				args);
	va_end(args);
	if (n >= 0 && (size_t)n >= object_size)
		overflow();
	return n;
}

int __fprintf_chk(FILE *stream, int flag, const char *format, ...)
{
	va_list args;

	(void)flag;
	va_start(args, format);
	int n = vfprintf(stream, format, args);
	va_end(args);
	return n;
}

void *__memcpy_chk(void *to, const void *from, size_t n, size_t object_size)
{
	if (n > object_size)
		overflow();
	return memcpy(to, from, n);
}
