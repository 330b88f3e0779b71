/* Bounded whole-file reading shared by the host tools. */
#include "hostio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *hostio_read_file(const char *tool, const char *path, size_t max, const char *what,
		       size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(max + 2);
	size_t n;

	if (f == NULL || buf == NULL) {
		fprintf(stderr, "%s: %s: %s\n", tool, path, strerror(errno));
		goto fail;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: read error\n", tool, path);
		goto fail;
	}
	if (n > max) {
		fprintf(stderr, "%s: %s: larger than %zu bytes, not %s\n", tool, path, max, what);
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}
