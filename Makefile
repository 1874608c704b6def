# rtj build. `make` = build/librtj.a + build/rtj-run for this machine; `make test`, `make bench`,
# `make clean`; `make ARCH=aarch64` cross-builds (aarch64-linux-gnu-gcc) into build/aarch64/.
# Only files under an ISA's folder get that ISA's flags: the library runs on any CPU of the architecture.

ARCH ?= $(shell uname -m)
ifeq ($(ARCH),arm64)
  ARCH := aarch64
endif
HOST_ARCH := $(shell uname -m)
# Test logs go through tee: a failing test must still fail its recipe.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

ifeq ($(ARCH),$(HOST_ARCH))
  BUILD := build
else
  BUILD := build/$(ARCH)
  ifeq ($(ARCH),aarch64)
    CC := aarch64-linux-gnu-gcc
  endif
endif

# -O2, not -O3: GCC 12 at -O3 put register copies and spills into the micro-kernels' inner loops
# (../shared/notes/zen4.md).
OPT ?= -O2
WERROR ?=
SAN ?=
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -g -Wall -Wextra $(WERROR) \
               -fno-math-errno -Iinclude $(SAN)
LDLIBS := -lm -lpthread

AVX2_FLAGS := -mavx2 -mfma -mf16c
AVXVNNI_FLAGS := $(AVX2_FLAGS) -mavxvnni
AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx512vnni
NEON_FLAGS := -march=armv8-a
NEONDOT_FLAGS := -march=armv8.2-a+dotprod

PORTABLE_SRC := $(wildcard arch/*.c) $(wildcard arch/scalar/*.c) $(wildcard kernels/*.c) \
                $(wildcard model/*.c) $(wildcard tokenizer/*.c)
ifeq ($(ARCH),x86_64)
  ISA_SRC := $(wildcard arch/x86/avx2/*.c) $(wildcard arch/x86/avxvnni/*.c) $(wildcard arch/x86/avx512/*.c)
else ifeq ($(ARCH),aarch64)
  ISA_SRC := $(wildcard arch/arm/neon/*.c) $(wildcard arch/arm/neondot/*.c)
endif
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(PORTABLE_SRC) $(ISA_SRC))

# tests/isa/<isa>/: the vector-layer probes, built with their ISA's flags like the kernels they probe.
TEST_ISA_SRC := tests/isa/scalar/vec_probe.c
ifeq ($(ARCH),x86_64)
  TEST_ISA_SRC += tests/isa/x86/avx2/vec_probe.c tests/isa/x86/avx512/vec_probe.c tests/isa/x86/avx512/simde_shim_check.c \
    tests/isa/x86/avxvnni/simde_shim_check.c
else ifeq ($(ARCH),aarch64)
  TEST_ISA_SRC += tests/isa/arm/neon/vec_probe.c
endif
TEST_SRC := $(wildcard tests/*.c) $(TEST_ISA_SRC)
TEST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SRC))
# bench/bench_*.c are programs; the other bench/*.c are their shared code, and bench/<isa>/*.c (the loops
# that measure the machine's peaks) get their ISA's flags as arch/<isa>/*.c do.
BENCH_SRC := $(wildcard bench/bench_*.c)
ifeq ($(ARCH),x86_64)
  BENCH_ISA_SRC := $(wildcard bench/x86/avx2/*.c) $(wildcard bench/x86/avx512/*.c)
else ifeq ($(ARCH),aarch64)
  BENCH_ISA_SRC := $(wildcard bench/arm/neon/*.c) $(wildcard bench/arm/neondot/*.c)
endif
BENCH_LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out bench/bench_%,$(wildcard bench/*.c)) $(BENCH_ISA_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

LIB := $(BUILD)/librtj.a
RUN := $(BUILD)/rtj-run
TESTS := $(BUILD)/tests/rtj_tests

.PHONY: all test test-native test-emulated test-aarch64 test-cli test-models test-tsan bench clean install
all: $(LIB) $(RUN)

# A file's ISA flags follow from its folder, wherever it is (arch/, tests/isa/, bench/): .../x86/avx2/,
# .../x86/avxvnni/, .../x86/avx512/, .../arm/neon/, .../arm/neondot/; every other file is portable C.
isa_flags = $(strip $(if $(findstring /x86/avx512/,/$1),$(AVX512_FLAGS),$(if $(findstring /x86/avx2/,/$1),$(AVX2_FLAGS),\
  $(if $(findstring /x86/avxvnni/,/$1),$(AVXVNNI_FLAGS),\
  $(if $(findstring /arm/neon/,/$1),$(NEON_FLAGS),$(if $(findstring /arm/neondot/,/$1),$(NEONDOT_FLAGS)))))))
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(call isa_flags,$<) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

RUN_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard cli/*.c))
# The CLI reaches the library through include/ only: the link fails otherwise (tools/check_cli_includes.sh).
$(RUN): $(RUN_OBJ) $(LIB)
	tools/check_cli_includes.sh
	$(CC) $(SAN) $^ -o $@ $(LDLIBS)

# ---- tests ----------------------------------------------------------------------------------------
# Criterion for aarch64: its arm64 runtime unpacked into a private sysroot (tools/aarch64-sysroot.sh);
# the amd64 headers serve both.
SYSROOT_AARCH64 ?= build/sysroot-aarch64
ifeq ($(ARCH),aarch64)
  TEST_LDLIBS := -L$(SYSROOT_AARCH64)/usr/lib/aarch64-linux-gnu -l:libcriterion.so.3 \
     -Wl,-rpath-link,$(SYSROOT_AARCH64)/usr/lib/aarch64-linux-gnu:$(SYSROOT_AARCH64)/lib/aarch64-linux-gnu
else
  TEST_LDLIBS := -lcriterion
endif

$(TESTS): $(TEST_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $^ -o $@ $(TEST_LDLIBS) $(LDLIBS)

TEST_JOBS ?= 2
# The native suite, the CLI driven as a user would, then the aarch64 suite under qemu on CPUs without and
# with dotprod.
# Then, for every kernel set compiled into the x86-64 or aarch64 library, how it ran (tests/kernel_sets.sh):
# a set that ran neither natively, nor emulated, nor under qemu fails make test.
test: test-native test-emulated test-cli test-fuzz-regress test-models test-aarch64
	tests/kernel_sets.sh $(ARCH) "$$($(RUN) cpu | sed -n 's/^compiled  *//p')" "native=$(BUILD)/tests/native.log" \
	  $(if $(strip $(EMU_SETS)),"emulated (SIMDe)=$(EMU)/tests.log")
	tests/kernel_sets.sh aarch64 "$$(QEMU_CPU=cortex-a53 QEMU_LD_PREFIX=$(CURDIR)/$(SYSROOT_AARCH64) build/aarch64/rtj-run cpu \
	  | sed -n 's/^compiled  *//p')" $(foreach c,$(QEMU_CPUS),"qemu $c=build/aarch64/tests/qemu-$c.log")

test-native: $(TESTS)
	$(TESTS) -j$(TEST_JOBS) --verbose 2>&1 | tee $(BUILD)/tests/native.log

# A core without dotprod and one with it (max adds SVE and i8mm, which no kernel uses yet).
QEMU_CPUS ?= cortex-a53 neoverse-n1
# Under emulation (10-55x slower) the whole-model suites run on their small models only, and the batch
# suite (ISA-independent scheduling; the kernels' row independence it rests on is tested per ISA by
# f32_gemm/rows_independent_of_m) not at all: the cases left out show as skipped.
QEMU_FILTER ?= !(bert/*large*|bert/*tinybert*|batch/*)
test-aarch64:
	tools/aarch64-sysroot.sh $(SYSROOT_AARCH64)
	$(MAKE) ARCH=aarch64 build/aarch64/tests/rtj_tests build/aarch64/rtj-run
	tools/binfmt-aarch64.sh
	@set -e; for cpu in $(QEMU_CPUS); do \
	  echo "== aarch64 tests under qemu -cpu $$cpu"; \
	  QEMU_CPU=$$cpu QEMU_LD_PREFIX=$(CURDIR)/$(SYSROOT_AARCH64) \
	    timeout -k 10 900 build/aarch64/tests/rtj_tests -j$(TEST_JOBS) --verbose --filter '$(QEMU_FILTER)' 2>&1 \
	    | tee build/aarch64/tests/qemu-$$cpu.log; \
	  echo "== rtj-run selftest under qemu -cpu $$cpu"; \
	  QEMU_CPU=$$cpu QEMU_LD_PREFIX=$(CURDIR)/$(SYSROOT_AARCH64) build/aarch64/rtj-run selftest --model models/default.rtj; \
	done

# ---- emulated kernel sets -------------------------------------------------------------------------
# Every kernel set compiled into the library runs in every `make test`: natively where this CPU has it,
# otherwise here, its files compiled a second time against SIMDe (tests/emu/x86/immintrin.h: the real
# header, SIMDe's native aliases, and a shim for the few intrinsics SIMDe 0.7.4 lacks) with the flags of
# what the host does have, linked into a test binary whose CPU read adds the emulated features
# (tests/emu/cpu_emulated.c), and the suite run on those sets and on the whole models under them.
# Test build only: the library itself depends on nothing.
EMU := $(BUILD)/emu
ifeq ($(ARCH)-$(HOST_ARCH),x86_64-x86_64)
  HOST_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
  host_has = $(if $(strip $(foreach f,$1,$(if $(filter $f,$(HOST_FLAGS)),,missing))),,yes)
  HOST_AVX2 := $(call host_has,avx2 fma f16c)
  HOST_AVX512 := $(if $(HOST_AVX2),$(call host_has,avx512f avx512dq avx512bw avx512vl))
  HOST_VNNI := $(if $(HOST_AVX512),$(call host_has,avx512_vnni))
  HOST_AVXVNNI := $(if $(HOST_AVX2),$(call host_has,avx_vnni))
  EMU_SETS := $(if $(HOST_AVX2),,avx2) $(if $(HOST_AVXVNNI),,avxvnni) $(if $(HOST_AVX512),,avx512) \
    $(if $(HOST_VNNI),,avx512vnni)
  # The widest ISA the host runs natively: SIMDe builds the emulated intrinsics from it.
  EMU_BASE_FLAGS := $(if $(HOST_AVX512),$(filter-out -mavx512vnni,$(AVX512_FLAGS)),$(if $(HOST_AVX2),$(AVX2_FLAGS)))
  EMU_FILES := $(if $(filter avx2,$(EMU_SETS)),$(wildcard arch/x86/avx2/*.c) tests/isa/x86/avx2/vec_probe.c) \
    $(if $(filter avx512,$(EMU_SETS)),$(filter-out %vnni.c,$(wildcard arch/x86/avx512/*.c)) tests/isa/x86/avx512/vec_probe.c) \
    $(if $(filter avx512vnni,$(EMU_SETS)),$(wildcard arch/x86/avx512/*vnni.c)) \
    $(if $(filter avxvnni,$(EMU_SETS)),$(wildcard arch/x86/avxvnni/*.c))
endif
EMU_OBJ := $(patsubst %.c,$(EMU)/obj/%.o,$(EMU_FILES))
EMU_TEST_BIN := $(EMU)/tests/rtj_tests
EMU_DEFS := $(foreach s,$(EMU_SETS),-DRTJ_EMU_$(shell echo $s | tr a-z A-Z)=1)
# The emulated sets' own tests (name__<set>), and the whole-model and batch suites under the best of them.
EMU_FILTER := @($(subst $(eval) ,|,$(foreach s,$(EMU_SETS),*/*__$s))|bert/*|batch/*|selftest/*)
# AVX-VNNI is an AVX2-table kernel, below the best emulated table: its whole-model run forces that table.
EMU_AVX2_TABLE_FILTER := @(bert/int8_*|batch/*int8*|dispatch/table_in_use_*)
$(EMU)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(EMU_BASE_FLAGS) -Itests/emu/x86 -Wno-psabi -MMD -MP -c $< -o $@
$(EMU)/obj/tests/emu/cpu_emulated.o: tests/emu/cpu_emulated.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(EMU_DEFS) -MMD -MP -c $< -o $@
$(EMU_TEST_BIN): $(filter-out $(patsubst %.c,$(BUILD)/obj/%.o,$(EMU_FILES)),$(TEST_OBJ) $(LIB_OBJ)) $(EMU_OBJ) \
                 $(EMU)/obj/tests/emu/cpu_emulated.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $^ -o $@ -Wl,--wrap=rtj_cpu_read $(TEST_LDLIBS) $(LDLIBS)

test-emulated:
ifeq ($(strip $(EMU_SETS)),)
	@echo "== emulated kernel sets: none needed (this CPU runs every x86 set natively)"
else
	$(MAKE) $(EMU_TEST_BIN)
	@echo "== emulated kernel sets ($(strip $(EMU_SETS))) under SIMDe"
	$(EMU_TEST_BIN) -j$(TEST_JOBS) --verbose --filter '$(EMU_FILTER)' 2>&1 | tee $(EMU)/tests.log
ifneq ($(filter avxvnni,$(EMU_SETS)),)
	@echo "== the INT8 whole-model and batch suites on the AVX2 table, which takes the emulated AVX-VNNI kernel"
	RTJ_ISA=avx2 $(EMU_TEST_BIN) -j$(TEST_JOBS) --verbose --filter '$(EMU_AVX2_TABLE_FILTER)' 2>&1 \
	  | tee $(EMU)/tests-avx2-table.log
endif
endif

# The CLI end to end on a tiny random model that tests/cli/make_tiny_model.c writes (no Python needed);
# then tests/test_bounds.sh: absurd checkpoints refused within 64 MiB of address space, and convert
# killed with SIGKILL at many points never leaving a half-written output.
# Contexts on one model from several threads, under ThreadSanitizer (a build of its own; Criterion does
# not start under TSan, so this is a plain program).
test-tsan:
	$(MAKE) BUILD=build/tsan SAN="-fsanitize=thread" build/tsan/librtj.a
	$(CC) $(CFLAGS_BASE) -fsanitize=thread tests/tsan/tsan_contexts.c tests/bert_fixture.c build/tsan/librtj.a \
	  -o build/tsan/tsan_contexts $(LDLIBS)
	TSAN_OPTIONS=halt_on_error=1 build/tsan/tsan_contexts

# The shipped model still scores what its model card says (tests/test_models.sh).
test-models: $(RUN)
	tests/test_models.sh $(RUN)

test-cli: $(RUN)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS_BASE) tests/cli/make_tiny_model.c -o $(BUILD)/tests/make_tiny_model -lm
	tests/test_cli.sh $(RUN) $(BUILD)/tests/make_tiny_model
	$(CC) $(CFLAGS_BASE) tests/cli/run_bounded.c -o $(BUILD)/tests/run_bounded
	tests/test_bounds.sh $(RUN) $(BUILD)/tests/make_tiny_model $(BUILD)/tests/run_bounded models/default.rtj

# ---- fuzzing ---------------------------------------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_<target>.c), one per reader of outside data, built with clang,
# ASan and UBSan into build/fuzz/. `make fuzz` runs each for FUZZ_SECONDS, one after another, seeded from
# files made here (tests/fuzz/make_seeds.sh: the tiny checkpoint, its .rtj files, lines of ../shared/data),
# and fails on any finding. `make test` replays tests/fuzz/regress/<target>/ (inputs that once failed)
# through the same entry points linked with tests/fuzz/replay_main.c instead of libFuzzer.
FUZZ_TARGETS := json safetensors rtj_file vocab tokenizer data hf_dir
FUZZ_SECONDS ?= 30
FUZZ_DIR := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CLI_SRC := cli/data.c cli/common.c
FIXTURES := $(BUILD)/fuzz-fixtures
SHARED_DATA ?= ../shared/data
FUZZ_VOCAB ?= $(firstword $(wildcard $(SHARED_DATA)/vocab/bert-base-uncased-vocab.txt) $(FIXTURES)/seeds/tiny/vocab.txt)
FUZZ_ENV = RTJ_FUZZ_TINY=$(FIXTURES)/seeds/tiny RTJ_FUZZ_VOCAB=$(FUZZ_VOCAB)
fuzz_extra = $(if $(filter data,$1),$2/obj/cli/data.o $2/obj/cli/common.o)
.PHONY: fuzz fuzz-build fuzz-lib fuzz-seeds test-fuzz-regress

fuzz-lib:
	$(MAKE) CC=clang BUILD=$(FUZZ_DIR) SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(FUZZ_DIR)/librtj.a \
	  $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_CLI_SRC))
$(FUZZ_DIR)/bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h fuzz-lib
	@mkdir -p $(dir $@)
	clang $(CFLAGS_BASE) $(FUZZ_SAN) -fsanitize=fuzzer $< $(call fuzz_extra,$*,$(FUZZ_DIR)) $(FUZZ_DIR)/librtj.a \
	  -o $@ $(LDLIBS)
fuzz-build: $(patsubst %,$(FUZZ_DIR)/bin/fuzz_%,$(FUZZ_TARGETS))

# (a fixture maker, not under test: built without the sanitizers, whose leak check it would fail at exit)
$(FIXTURES)/make_tiny_model: tests/cli/make_tiny_model.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN),$(CFLAGS_BASE)) $< -o $@ -lm
fuzz-seeds: $(RUN) $(FIXTURES)/make_tiny_model tests/fuzz/make_seeds.sh
	tests/fuzz/make_seeds.sh $(abspath $(FIXTURES)/seeds) $(abspath $(RUN)) $(abspath $(FIXTURES)/make_tiny_model) \
	  $(abspath $(firstword $(wildcard $(SHARED_DATA)/vocab/bert-base-uncased-vocab.txt) $(FIXTURES)/seeds/tiny/vocab.txt)) \
	  $(abspath $(SHARED_DATA))

fuzz: fuzz-build fuzz-seeds
	$(FUZZ_ENV) tests/fuzz/run.sh $(FUZZ_DIR)/bin $(FIXTURES)/seeds $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The replay build: the same target files with replay_main.c, against this build's library (gcc is fine;
# under BUILD=build/asan SAN=... the sanitizers watch the replay too).
$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz.h $(LIB) \
                             $(patsubst %.c,$(BUILD)/obj/%.o,$(FUZZ_CLI_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $< tests/fuzz/replay_main.c $(call fuzz_extra,$*,$(BUILD)) $(LIB) -o $@ $(LDLIBS)
test-fuzz-regress: $(patsubst %,$(BUILD)/fuzz-replay/fuzz_%,$(FUZZ_TARGETS)) fuzz-seeds
	@set -e; for t in $(FUZZ_TARGETS); do \
	  if [ -d tests/fuzz/regress/$$t ]; then $(FUZZ_ENV) $(BUILD)/fuzz-replay/fuzz_$$t tests/fuzz/regress/$$t; fi; \
	  $(FUZZ_ENV) $(BUILD)/fuzz-replay/fuzz_$$t $(FIXTURES)/seeds/$$t; \
	done

# ---- benchmarks -----------------------------------------------------------------------------------
BENCH_FORMAT ?= table
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $^ -o $@ -ldl $(LDLIBS)

.SECONDARY: $(patsubst bench/%.c,$(BUILD)/obj/bench/%.o,$(BENCH_SRC))
bench: $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do $$b $(if $(filter json,$(BENCH_FORMAT)),--json,) $(BENCH_ARGS); done

# rtj next to ONNX Runtime in one run (bench/peers_ort/): a developer tool that makes its own venv from PyPI;
# never a dependency of make or make test, and not run by CI. BENCH_PEERS_ARGS=--quick, --models tiny, ...
.PHONY: bench-peers
bench-peers: $(RUN) $(SHLIB)
	bench/peers_ort/run.sh $(BENCH_PEERS_ARGS)

# ---- shared library, pkg-config, install ---------------------------------------------------------------
# librtj.so is linked from the very objects in librtj.a: every object is compiled -fPIC, and with
# -fvisibility=hidden, so that the .so exports the calls marked RTJ_API in include/*.h and nothing else
# (tests/test_install.sh checks with nm -D). On x86-64 this costs the static library nothing: Debian's GCC
# already builds PIE code, and hidden symbols plus -fno-semantic-interposition keep every call inside the
# library direct (no PLT, no GOT).
RTJ_VERSION := 0.1.0
RTJ_SOVERSION := 0
CFLAGS_BASE += -fPIC -fvisibility=hidden -fno-semantic-interposition
API_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard api/*.c))
SHLIB_NAME := librtj.so.$(RTJ_VERSION)
SONAME := librtj.so.$(RTJ_SOVERSION)
SHLIB := $(BUILD)/librtj.so

# The library's objects are rebuilt when the compile flags change (a build folder made before -fPIC
# cannot be linked into the .so): $(BUILD)/obj/.cflags, rewritten when make starts with other flags.
CFLAGS_STAMP := $(BUILD)/obj/.cflags
ifneq ($(CC) $(CFLAGS_BASE),$(shell cat $(CFLAGS_STAMP) 2>/dev/null))
  $(shell mkdir -p $(BUILD)/obj && echo '$(CC) $(CFLAGS_BASE)' > $(CFLAGS_STAMP))
endif
$(LIB_OBJ) $(API_OBJ): $(CFLAGS_STAMP)

$(LIB): $(API_OBJ)
all: $(SHLIB)
.PHONY: shared test-install
shared: $(SHLIB)
$(SHLIB): $(LIB_OBJ) $(API_OBJ)
	$(CC) $(SAN) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $^ -o $(BUILD)/$(SHLIB_NAME) $(LDLIBS)
	ln -sf $(SHLIB_NAME) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

# rtj-run looks for its default model beside the build folder (models/default.rtj) or, installed, in
# $(PREFIX)/share/rtj/default.rtj; rtj.pc names it too (pkg-config --variable=model rtj).
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
install: $(LIB) $(RUN) $(SHLIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PREFIX)/share/rtj
	install -m 755 $(RUN) $(DESTDIR)$(PREFIX)/bin/rtj-run
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/librtj.a
	install -m 755 $(BUILD)/$(SHLIB_NAME) $(DESTDIR)$(LIBDIR)/$(SHLIB_NAME)
	ln -sf $(SHLIB_NAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/librtj.so
	install -m 644 include/rtj.h include/rtj_tokenizer.h include/rtj_json.h include/rtj_api.h $(DESTDIR)$(INCLUDEDIR)/
	if [ -e models/default.rtj ]; then install -m 644 models/default.rtj $(DESTDIR)$(PREFIX)/share/rtj/default.rtj; fi
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(RTJ_VERSION)|' -e 's|@LIBS_PRIVATE@|$(LDLIBS)|' rtj.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/rtj.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/rtj.pc

# make install into a temporary DESTDIR and PREFIX, then a small C program built against the installed
# tree with pkg-config, shared and static, run (tests/test_install.sh).
test-install: $(LIB) $(RUN) $(SHLIB)
	tests/test_install.sh

# The Python package (python/) and its pytest tests, the Dask cluster test among them, in a venv made by
# tools/test_python.sh (which installs what it needs; see docs/python.md).
.PHONY: test-python
test-python:
	tools/test_python.sh
# ---- end of shared library, pkg-config, install -------------------------------------------------------

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(EMU)/obj -name '*.d' 2>/dev/null)
