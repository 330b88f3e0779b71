/* Fixed-width types and small helpers shared by the hypervisor, host tools and tests. */
#ifndef PASSAGE_LIB_TYPES_H
#define PASSAGE_LIB_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef int32_t s32;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define BIT(n) ((u64)1 << (n))
#define PACKED __attribute__((packed))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB ((u64)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define PAGE_SIZE ((u64)4096)

#endif
