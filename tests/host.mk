# Host tests of the pure-C parsers: cmocka unit tests (ASan/UBSan) and libFuzzer targets.
#
#   make -f tests/host.mk host-unit        one PASS/FAIL line per test case
#   make -f tests/host.mk host-fuzz        one PASS/FAIL line per fuzzer (FUZZ_SECONDS each)
#
# Included from the top-level Makefile or used on its own; run from the repo
# root. Every output lives under build/host/. Neither target fails make when a
# test fails: the lines are counted by the caller.
#
# Each source is compiled once per compiler and flag set into an object under
# $(HOST_OUT)/obj/<set>/ (unit: HOST_CC with HOST_CFLAGS, also the host tools;
# fuzz: the libFuzzer targets; seed: their seed generators), with -MMD header
# dependencies and a stamp of the compile command, so an edit or a flag change
# rebuilds what it touches. host-unit and host-fuzz build and run their tests in
# an inner make with HOST_JOBS jobs (default: the number of cores; host-fuzz
# builds everything first, then runs HOST_FUZZ_JOBS fuzzers at a time): each
# test writes its lines to a .result file and the results are printed in source
# order once all have run. A source that does not compile fails only the tests
# that link it, as that test's FAIL lines.

HOST_OUT ?= build/host
HOST_CC ?= gcc
HOST_FUZZ_CC ?= clang
FUZZ_SECONDS ?= 8
HOST_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
# Fuzzers run at once. -max_total_time is wall time, so each needs a core of its
# own to fuzz as much as a serial run: on a machine busy with other work,
# HOST_FUZZ_JOBS=1 keeps every fuzzer's executions at the serial level.
HOST_FUZZ_JOBS ?= $(HOST_JOBS)

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

HOST_OBJ := $(HOST_OUT)/obj

.PHONY: host-unit host-fuzz host-clean dmar-decode passage-check host-unit-results host-fuzz-bins host-fuzz-results \
	host-force
host-force:

# The compiler and flags of each object set; a program links with its set's.
HOST_CMD_unit = $(HOST_CC) $(HOST_CFLAGS)
HOST_CMD_fuzz = $(HOST_FUZZ_CC) $(HOST_FUZZ_CFLAGS)
HOST_CMD_seed = $(HOST_FUZZ_CC) $(HOST_SEED_CFLAGS)

# Objects of sources $(2) in object set $(1).
host_objs = $(patsubst %.c,$(HOST_OBJ)/$(1)/%.o,$(2))

# What a failed compile or link does: stop make with the log on stderr; in the
# inner make of host-unit/host-fuzz (HOST_KEEP_GOING) nothing, the test reports it.
ifdef HOST_KEEP_GOING
host_fail = true
else
host_fail = cat $(1) >&2; exit 1
endif

# Recipe: rewrites stamp file $@ with text $(1) only when it differs.
host_stamp = mkdir -p $(@D); printf '%s\n' '$(1)' | cmp -s - $@ || printf '%s\n' '$(1)' >$@

# Recipe: links objects $(2) with compiler and flags $(1) and libraries $(3) into
# $@. Its log $(4) holds every object's compiler output, then the linker's.
# With an object missing (it did not compile) nothing is linked and $@ is gone.
host_link = rm -f $@; mkdir -p $(@D) $(dir $(4)); \
	cat $(addsuffix .log,$(2)) >$(4) 2>/dev/null; \
	for o in $(2); do [ -f "$$o" ] || { $(call host_fail,$(4)); exit 0; }; done; \
	$(1) $(2) $(3) -o $@ >>$(4) 2>&1 || { rm -f $@; $(call host_fail,$(4)); }

# Compile rule and command stamp of object set $(1).
define host_obj_set
$(HOST_OBJ)/$(1)/%.o: %.c $(HOST_OBJ)/$(1)/compile.cmd
	@mkdir -p $$(@D)
	@$$(HOST_CMD_$(1)) -MMD -MP -c $$< -o $$@ >$$@.log 2>&1 || { rm -f $$@; $$(call host_fail,$$@.log); }
$(HOST_OBJ)/$(1)/compile.cmd: host-force
	@$$(call host_stamp,$$(HOST_CMD_$(1)))
endef
$(foreach set,unit fuzz seed,$(eval $(call host_obj_set,$(set))))

# Program $(1) from sources $(2) in object set $(3), libraries $(4), build log
# $(5); relinked when its link command changes.
define host_program
$(1): $(call host_objs,$(3),$(2)) $(1).link.cmd
	@$$(call host_link,$$(HOST_CMD_$(3)),$(call host_objs,$(3),$(2)),$(4),$(5))
$(1).link.cmd: host-force
	@$$(call host_stamp,$$(HOST_CMD_$(3)) $(call host_objs,$(3),$(2)) $(4))
endef

# Host tool: decodes a raw DMAR table with the hypervisor's parser.
DMAR_DECODE_SRCS := tools/dmar-decode.c tools/hostio.c $(wildcard iommu/dmar*.c) arch/x86/acpi_tables.c

dmar-decode: $(HOST_OUT)/dmar-decode
$(eval $(call host_program,$(HOST_OUT)/dmar-decode,$(DMAR_DECODE_SRCS),unit,,$(HOST_OUT)/unit/dmar-decode.build.log))

# Host tool: checks a domain config against a described machine and the guest images it names.
PASSAGE_CHECK_SRCS := tools/passage-check.c tools/hostio.c lib/cfg_lex.c lib/cfg_parse.c lib/cfg_keys.c \
	lib/cfg_check.c lib/parse.c lib/strlcpy.c

passage-check: $(HOST_OUT)/passage-check
$(eval $(call host_program,$(HOST_OUT)/passage-check,$(PASSAGE_CHECK_SRCS),unit,,$(HOST_OUT)/unit/passage-check.build.log))

-include $(shell find $(HOST_OUT)/obj -name '*.d' 2>/dev/null)

# The inner make: $(HOST_JOBS) jobs, failures reported by the tests, the
# parser list as the including makefile has it.
HOST_INNER_MAKE = $(MAKE) --no-print-directory -f tests/host.mk HOST_INNER=1 HOST_KEEP_GOING=1 \
	HOST_OUT='$(HOST_OUT)' HOST_CC='$(HOST_CC)' HOST_FUZZ_CC='$(HOST_FUZZ_CC)' \
	FUZZ_SECONDS='$(FUZZ_SECONDS)' HOST_PARSER_SRCS='$(HOST_PARSER_SRCS)'

HOST_UNIT_RESULTS := $(foreach s,$(HOST_UNIT_SRCS),$(HOST_OUT)/unit/$(basename $(notdir $(s))).result) \
	$(HOST_OUT)/unit/dmar-decode.result $(HOST_OUT)/unit/passage-check.result
HOST_FUZZ_RESULTS := $(foreach s,$(HOST_FUZZ_SRCS),$(HOST_OUT)/fuzz/$(patsubst fuzz_%,%,$(basename $(notdir $(s)))).result)

# A result missing after the inner make (it stopped: see make.log) fails that
# test as one that did not build, with no-result.log as its build log.
HOST_NO_RESULT = { echo "error: no result: the inner make stopped (see $(1)/make.log)"; tail -n 30 $(1)/make.log; }

host-unit:
	@mkdir -p $(HOST_OUT)/unit
	@rm -f $(HOST_UNIT_RESULTS)
	@$(HOST_INNER_MAKE) -j$(HOST_JOBS) host-unit-results >$(HOST_OUT)/unit/make.log 2>&1; \
	$(call HOST_NO_RESULT,$(HOST_OUT)/unit) >$(HOST_OUT)/unit/no-result.log; \
	for src in $(HOST_UNIT_SRCS); do \
		name=$$(basename $$src .c); res=$(HOST_OUT)/unit/$$name.result; \
		if [ -f $$res ]; then cat $$res; \
		else sh tests/unit/run.sh --build-failed $$name $$src $(HOST_OUT)/unit/no-result.log; fi; \
	done; \
	for tool in dmar-decode passage-check; do \
		res=$(HOST_OUT)/unit/$$tool.result; \
		if [ -f $$res ]; then cat $$res; \
		else rm -f $(HOST_OUT)/$$tool; \
			sh tests/unit/$$(echo $$tool | tr - _).sh $(HOST_OUT)/$$tool $(HOST_OUT)/unit/no-result.log \
				$(HOST_OUT)/unit/$$tool; fi; \
	done; true

host-fuzz:
	@mkdir -p $(HOST_OUT)/fuzz
	@rm -f $(HOST_FUZZ_RESULTS)
	@$(HOST_INNER_MAKE) -j$(HOST_JOBS) host-fuzz-bins >$(HOST_OUT)/fuzz/make.log 2>&1; \
	$(HOST_INNER_MAKE) -j$(HOST_FUZZ_JOBS) host-fuzz-results >>$(HOST_OUT)/fuzz/make.log 2>&1; \
	for src in $(HOST_FUZZ_SRCS); do \
		name=$$(basename $$src .c); name=$${name#fuzz_}; res=$(HOST_OUT)/fuzz/$$name.result; \
		if [ -f $$res ]; then cat $$res; \
		else echo "FAIL fuzz/$$name: no result: the inner make stopped"; \
			$(call HOST_NO_RESULT,$(HOST_OUT)/fuzz) | sed 's/^/    | /'; fi; \
	done; true

host-clean:
	rm -rf $(HOST_OUT)

ifdef HOST_INNER
# Unit test $(1) (name) from source $(2): its binary, then its result (run.sh's lines).
define host_unit_test
$(call host_program,$(HOST_OUT)/unit/$(1),$(2) $(HOST_PARSER_SRCS) $(shell sed -n 's|^/\* host-srcs: \(.*\) \*/$$|\1|p' $(2)),unit,-lcmocka,$(HOST_OUT)/unit/$(1).build.log)
$(HOST_OUT)/unit/$(1).result: $(HOST_OUT)/unit/$(1) host-force
	@if [ -f $$< ]; then sh tests/unit/run.sh $$< $(1) $(2); \
	else sh tests/unit/run.sh --build-failed $(1) $(2) $$<.build.log; fi >$$@.tmp 2>&1; mv $$@.tmp $$@
endef
$(foreach s,$(HOST_UNIT_SRCS),$(eval $(call host_unit_test,$(basename $(notdir $(s))),$(s))))

# The host tools' tests: a tool that did not build is absent, and its script says so.
$(HOST_OUT)/unit/dmar-decode.result $(HOST_OUT)/unit/passage-check.result: \
		$(HOST_OUT)/unit/%.result: $(HOST_OUT)/% host-force
	@sh tests/unit/$(subst -,_,$*).sh $< $(HOST_OUT)/unit/$*.build.log $(HOST_OUT)/unit/$* >$@.tmp 2>&1; \
	mv $@.tmp $@

host-unit-results: $(HOST_UNIT_RESULTS)

# Fuzzer $(1) (name without fuzz_) from source $(2): the libFuzzer binary, then
# the result (run.sh's lines); host_fuzz_seeds adds the seed generator of a
# source that has one.
define host_fuzz_target
host-fuzz-bins: $(HOST_OUT)/fuzz/fuzz_$(1)
$(call host_program,$(HOST_OUT)/fuzz/fuzz_$(1),$(2) $(HOST_PARSER_SRCS),fuzz,,$(HOST_OUT)/fuzz/fuzz_$(1).build.log)
$(HOST_OUT)/fuzz/$(1).result: $(HOST_OUT)/fuzz/fuzz_$(1) host-force
	@HOST_OUT='$(HOST_OUT)' FUZZ_SECONDS='$(FUZZ_SECONDS)' sh tests/fuzz/run.sh $(2) >$$@.tmp 2>&1; mv $$@.tmp $$@
endef
define host_fuzz_seeds
host-fuzz-bins: $(HOST_OUT)/fuzz/fuzz_$(1).seeds
$(call host_program,$(HOST_OUT)/fuzz/fuzz_$(1).seeds,$(2) $(HOST_PARSER_SRCS),seed,,$(HOST_OUT)/fuzz/fuzz_$(1).seeds.build.log)
$(HOST_OUT)/fuzz/$(1).result: $(HOST_OUT)/fuzz/fuzz_$(1).seeds
endef
$(foreach s,$(HOST_FUZZ_SRCS),$(eval $(call host_fuzz_target,$(patsubst fuzz_%,%,$(basename $(notdir $(s)))),$(s))) \
	$(if $(shell grep -l FUZZ_SEEDS $(s)),$(eval $(call host_fuzz_seeds,$(patsubst fuzz_%,%,$(basename $(notdir $(s)))),$(s)))))

host-fuzz-results: $(HOST_FUZZ_RESULTS)
endif
