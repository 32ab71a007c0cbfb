/* The console: COM1, which QEMU connects to its standard output and a real
 * machine to a serial cable.  Output only. */
#include "kernel.h"

#define COM1 0x3f8

/* Set by the kernel option flexos.crlf: a terminal in raw mode needs
 * "\r\n"; a pipe or a file compared with Linux output needs "\n". */
bool console_crlf;

void console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on */
	outb(COM1 + 4, 0x03);
}

static void put(char c)
{
	/* A real UART needs room in its FIFO; QEMU's is always ready. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && console_crlf)
			put('\r');
		put(s[i]);
	}
}

struct sink {
	char *out;
	size_t size, len;
};

static void emit(struct sink *k, char c)
{
	if (k->len + 1 < k->size)
		k->out[k->len] = c;
	k->len++;
}

static void number(struct sink *k, uint64_t v, unsigned base, bool negative,
		   int width, char pad)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		digits[n++] = '-';
	while (width-- > n)
		emit(k, pad);
	while (n)
		emit(k, digits[--n]);
}

/* %s %c %d %u %x %p with l/ll/z sizes, a width and 0-padding: what the
 * kernel's reports need. */
int kvsnprintf(char *out, size_t size, const char *fmt, va_list ap)
{
	struct sink k = { out, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&k, *fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, longs = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs++, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int n = (int)strlen(s);
			while (width-- > n)
				emit(&k, ' ');
			while (*s)
				emit(&k, *s++);
			break;
		}
		case 'c':
			emit(&k, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			number(&k, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0,
			       width, pad);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = longs ? va_arg(ap, uint64_t)
					   : va_arg(ap, unsigned);
			number(&k, v, *fmt == 'x' ? 16 : 10, false, width, pad);
			break;
		}
		case 'p':
			emit(&k, '0');
			emit(&k, 'x');
			number(&k, (uint64_t)va_arg(ap, void *), 16, false, width,
			       pad);
			break;
		case '%':
			emit(&k, '%');
			break;
		default:
			emit(&k, '%');
			emit(&k, *fmt);
			break;
		}
	}
	if (size)
		out[k.len < size ? k.len : size - 1] = '\0';
	return (int)k.len;
}

int ksnprintf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n;
}

void kprintf(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_write(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
