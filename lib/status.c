/* Names of status codes for log messages. */
#include "status.h"

const char *status_str(status_t s)
{
	switch (s) {
	case OK: return "ok";
	case E_PERM: return "not permitted";
	case E_NOENT: return "not found";
	case E_IO: return "I/O error";
	case E_NOMEM: return "out of memory";
	case E_BUSY: return "busy";
	case E_INVAL: return "invalid";
	case E_RANGE: return "out of range";
	case E_NOSPC: return "no space";
	case E_NOTSUP: return "not supported";
	case E_TIMEDOUT: return "timed out";
	default: return "unknown error";
	}
}
