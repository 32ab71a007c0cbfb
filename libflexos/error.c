#include <string.h>

#include <flexos/error.h>

const char *flexos_strerror(int error)
{
	switch (error) {
#define FLEXOS_ERROR_MESSAGE(name, value, message)                            \
	case (value):                                                         \
		return message;
		FLEXOS_ERROR_LIST(FLEXOS_ERROR_MESSAGE)
#undef FLEXOS_ERROR_MESSAGE
	}
	if (error < 0 && error > -FLEXOS_ERROR_BASE)
		return strerror(-error);
	return "unknown error";
}
