/* An object built against glibc's fortified headers calls __syslog_chk,
 * which the baremetal runtime does not supply: the image must not link,
 * and the linker names the symbol (never a stub that pretends). */
extern void __syslog_chk(int priority, int flag, const char *format, ...);

int main(void)
{
	__syslog_chk(6, 1, "%s", "unsupplied");
	return 0;
}
