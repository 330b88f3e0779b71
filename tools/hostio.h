/* Host tools' file reading: a whole file, bounded, with the reason on failure. */
#ifndef PASSAGE_TOOLS_HOSTIO_H
#define PASSAGE_TOOLS_HOSTIO_H

#include <stddef.h>

/*
 * Reads all of path (at most max bytes; one extra NUL is appended) into a
 * malloc'd buffer. On failure prints "tool: path: why" to stderr and
 * returns NULL; what names the kind of file for the too-large message.
 */
void *hostio_read_file(const char *tool, const char *path, size_t max, const char *what,
		       size_t *len);

#endif
