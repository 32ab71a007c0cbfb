/* glibc's other names for functions musl has under their standard ones:
 * prebuilt archives compiled against glibc call them (Debian's libjpeg.a
 * calls __isoc99_sscanf, the C99 scanf glibc selects by that name). */
#include <stdarg.h>
#include <stdio.h>

int __isoc99_sscanf(const char *text, const char *format, ...);

int __isoc99_sscanf(const char *text, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	int n = vsscanf(text, format, args);
	va_end(args);
	return n;
}
