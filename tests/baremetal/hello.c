/* The smallest image: prints its arguments and environment, exits with the
 * status its first argument names. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv, char **envp)
{
	printf("hello from the image:");
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	for (char **e = envp; *e; e++)
		printf("env %s\n", *e);
	return argc > 1 ? atoi(argv[1]) : 0;
}
