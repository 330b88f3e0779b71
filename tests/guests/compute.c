/* compute.c — well-behaved long-ish job: sieves primes below 2^20 and CRC32s the sieve, `rounds=N` times. */
#include "guest.h"

#define SIEVE_N (1u << 20)             /* one byte per number: a 1 MiB working set */
#define PRIMES_BELOW_N 82025u          /* pi(2^20) */
#define SIEVE_CRC32 0x723DE4D9u        /* CRC32 of the finished sieve (computed on the host) */
#define CRC32_CHECK 0xCBF43926u        /* CRC32("123456789"), the standard check value */
#define DEFAULT_ROUNDS 20

static uint8_t sieve[SIEVE_N];         /* 1 = composite */
static uint32_t crc_table[256];

/* CRC-32 as in IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, init and final xor ~0. */
static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t c = ~0u;

	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* Rebuilds the sieve from scratch (so every round touches all of it) and returns the prime count. */
static uint32_t run_sieve(void)
{
	uint32_t count = 0;

	memset(sieve, 0, sizeof(sieve));
	sieve[0] = sieve[1] = 1;
	for (uint32_t i = 2; i * i < SIEVE_N; i++)
		if (!sieve[i])
			for (uint32_t j = i * i; j < SIEVE_N; j += i)
				sieve[j] = 1;
	for (uint32_t i = 0; i < SIEVE_N; i++)
		count += !sieve[i];
	return count;
}

static __attribute__((noreturn)) void finish(uint32_t code)
{
	if (under_passage()) {
		hv_exit(code);               /* VMCALL EAX=2 */
		gprintf("FAIL compute-exit: exit hypercall returned\n");
		code = 1;
	}
	guest_exit(code);
}

int guest_main(void)
{
	uint32_t rounds = cmdline_uint("rounds", DEFAULT_ROUNDS);

	if (rounds == 0)
		rounds = DEFAULT_ROUNDS;
	crc32_init();
	if (crc32("123456789", 9) != CRC32_CHECK) {
		gprintf("FAIL compute: CRC32 self-check gave 0x%x\n", crc32("123456789", 9));
		finish(1);
	}
	for (uint32_t r = 1; r <= rounds; r++) {
		uint32_t count = run_sieve(), crc = crc32(sieve, sizeof(sieve));

		gprintf("compute: round %u/%u\n", r, rounds);
		if (count != PRIMES_BELOW_N || crc != SIEVE_CRC32) {
			gprintf("FAIL compute: round %u: %u primes crc 0x%08x, want %u crc 0x%08x\n",
				r, count, crc, PRIMES_BELOW_N, SIEVE_CRC32);
			finish(1);
		}
	}
	gprintf("PASS compute: %u rounds, %u primes below 2^20, sieve crc32 0x%08x\n",
		rounds, PRIMES_BELOW_N, SIEVE_CRC32);
	finish(0);
}
