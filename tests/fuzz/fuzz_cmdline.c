/* libFuzzer target for cmdline_parse(): the input is a command line (NUL-terminated by the harness). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmdline.h"

static int messages;

/* Every message is a short terminated string naming the command line. */
static void on_error(void *ctx, const char *msg)
{
	size_t n = strlen(msg);

	if (ctx != &messages || n == 0 || n >= 200 || strncmp(msg, "cmdline: ", 9) != 0)
		abort();
	messages++;
}

static void check(const struct hv_options *o, int problems)
{
	if (problems != messages)
		abort();
	if (o->baud < 50 || o->baud > 115200 || 115200 % o->baud != 0)
		abort();
	if (o->uart_port == 0 || o->uart_port > 0xfff8)
		abort();
	if (o->crash < CRASH_NONE || o->crash > CRASH_VMEXIT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_options o;
	char *s = malloc(size + 1);
	int problems;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	messages = 0;
	problems = cmdline_parse(s, &o, on_error, &messages);
	check(&o, problems);
	free(s);
	return 0;
}

#ifdef FUZZ_SEEDS
int main(int argc, char **argv)
{
	static const char *const seeds[] = {
		"console=com2 baud=9600 xapic nosmp maxcpus=4 crash=pf test_exit pci=verbose",
		"console=0x3e8 baud=0x2580 maxcpus=0x10 crash=de apicv=on",
		"foo baud=7 console=com9 nosmp=1 pci=quiet crash=bp maxcpus=",
	};
	char path[512];
	size_t i;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/seed%zu", argv[1], i);
		f = fopen(path, "wb");
		if (f == NULL || fputs(seeds[i], f) < 0 || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
#endif
