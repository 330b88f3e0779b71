# Host tests of the pure-C parsers: cmocka unit tests (ASan/UBSan) and libFuzzer targets.
#
#   make -f tests/host.mk host-unit        one PASS/FAIL line per test case
#   make -f tests/host.mk host-fuzz        one PASS/FAIL line per fuzzer (FUZZ_SECONDS each)
#
# Included from the top-level Makefile or used on its own; run from the repo
# root. Every output lives under build/host/. Neither target fails make when a
# test fails: the lines are counted by the caller.

HOST_OUT ?= build/host
HOST_CC ?= gcc
HOST_FUZZ_CC ?= clang
FUZZ_SECONDS ?= 8

# Everything the host builds of the hypervisor: parsers with no hardware access.
# Every unit test and fuzzer links all of them; a new host-compilable parser
# is added here (or appended to HOST_PARSER_SRCS before this file is included).
HOST_PARSER_SRCS += lib/parse.c arch/x86/acpi_tables.c boot/mb2_parse.c boot/efi_memmap.c \
	lib/boot_info.c lib/cmdline.c lib/strlcpy.c lib/spinlock.c lib/pmm.c \
	lib/cfg_lex.c lib/cfg_parse.c lib/cfg_keys.c lib/cfg_check.c $(wildcard iommu/dmar*.c)

HOST_CFLAGS := -std=c11 -DPASSAGE_HOST -I. -Wall -Wextra -Werror -g \
	-fsanitize=address,undefined -fno-sanitize-recover=all
HOST_FUZZ_CFLAGS := -std=c11 -DPASSAGE_HOST -I. -Wall -Wextra -Werror -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# The seed generators are the fuzz sources built as plain programs.
HOST_SEED_CFLAGS := -std=c11 -DPASSAGE_HOST -DFUZZ_SEEDS -I. -Wall -Wextra -Werror -g \
	-fsanitize=address,undefined -fno-sanitize-recover=all

# A unit test that needs more hypervisor sources than the parsers names them in a
# line of its own: /* host-srcs: iommu/vtd_slpt.c lib/foo.c */
HOST_UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
HOST_FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: host-unit host-fuzz host-clean dmar-decode passage-check

# Host tool: decodes a raw DMAR table with the hypervisor's parser.
DMAR_DECODE_SRCS := tools/dmar-decode.c tools/hostio.c $(wildcard iommu/dmar*.c) arch/x86/acpi_tables.c

dmar-decode: $(HOST_OUT)/dmar-decode
$(HOST_OUT)/dmar-decode: $(DMAR_DECODE_SRCS) iommu/dmar.h iommu/dmar_walk.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(DMAR_DECODE_SRCS) -o $@

# Host tool: checks a domain config against a described machine and the guest images it names.
PASSAGE_CHECK_SRCS := tools/passage-check.c tools/hostio.c lib/cfg_lex.c lib/cfg_parse.c lib/cfg_keys.c \
	lib/cfg_check.c lib/parse.c lib/strlcpy.c

passage-check: $(HOST_OUT)/passage-check
$(HOST_OUT)/passage-check: $(PASSAGE_CHECK_SRCS) lib/config.h lib/cfg_internal.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(PASSAGE_CHECK_SRCS) -o $@

host-unit:
	@mkdir -p $(HOST_OUT)/unit
	@for src in $(HOST_UNIT_SRCS); do \
		name=$$(basename $$src .c); bin=$(HOST_OUT)/unit/$$name; \
		extra=$$(sed -n 's|^/\* host-srcs: \(.*\) \*/$$|\1|p' $$src); \
		if $(HOST_CC) $(HOST_CFLAGS) $$src $(HOST_PARSER_SRCS) $$extra -lcmocka -o $$bin \
				>$$bin.build.log 2>&1; then \
			sh tests/unit/run.sh $$bin $$name $$src; \
		else \
			sh tests/unit/run.sh --build-failed $$name $$src $$bin.build.log; \
		fi; \
	done; true
	@$(MAKE) --no-print-directory -f tests/host.mk HOST_OUT='$(HOST_OUT)' HOST_CC='$(HOST_CC)' dmar-decode \
		>$(HOST_OUT)/unit/dmar-decode.build.log 2>&1 || rm -f $(HOST_OUT)/dmar-decode; \
	sh tests/unit/dmar_decode.sh $(HOST_OUT)/dmar-decode $(HOST_OUT)/unit/dmar-decode.build.log \
		$(HOST_OUT)/unit/dmar-decode
	@$(MAKE) --no-print-directory -f tests/host.mk HOST_OUT='$(HOST_OUT)' HOST_CC='$(HOST_CC)' passage-check \
		>$(HOST_OUT)/unit/passage-check.build.log 2>&1 || rm -f $(HOST_OUT)/passage-check; \
	sh tests/unit/passage_check.sh $(HOST_OUT)/passage-check $(HOST_OUT)/unit/passage-check.build.log \
		$(HOST_OUT)/unit/passage-check

host-fuzz:
	@mkdir -p $(HOST_OUT)/fuzz
	@for src in $(HOST_FUZZ_SRCS); do \
		HOST_OUT='$(HOST_OUT)' FUZZ_CC='$(HOST_FUZZ_CC)' FUZZ_CFLAGS='$(HOST_FUZZ_CFLAGS)' \
		SEED_CC='$(HOST_FUZZ_CC)' SEED_CFLAGS='$(HOST_SEED_CFLAGS)' \
		FUZZ_SRCS='$(HOST_PARSER_SRCS)' FUZZ_SECONDS='$(FUZZ_SECONDS)' \
			sh tests/fuzz/run.sh $$src; \
	done; true

host-clean:
	rm -rf $(HOST_OUT)
