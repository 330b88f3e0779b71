/* String and memory functions: libc's on the host, lib/string.c in the hypervisor. */
#ifndef PASSAGE_LIB_STRING_H
#define PASSAGE_LIB_STRING_H

#include "types.h"
#include <stdarg.h>

#ifdef PASSAGE_HOST
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif

/* Copies at most size-1 bytes and always terminates (size > 0). */
size_t strlcpy_(char *dst, const char *src, size_t size);

#endif
