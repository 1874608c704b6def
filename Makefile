# rtj build. `make` = build/librtj.a + build/rtj-run for this machine; `make test`, `make bench`,
# `make clean`; `make ARCH=aarch64` cross-builds (aarch64-linux-gnu-gcc) into build/aarch64/.
# Only files under an ISA's folder get that ISA's flags: the library runs on any CPU of the architecture.

ARCH ?= $(shell uname -m)
ifeq ($(ARCH),arm64)
  ARCH := aarch64
endif
HOST_ARCH := $(shell uname -m)

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
AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx512vnni
NEON_FLAGS := -march=armv8-a
NEONDOT_FLAGS := -march=armv8.2-a+dotprod

PORTABLE_SRC := $(wildcard arch/*.c) $(wildcard arch/scalar/*.c) $(wildcard kernels/*.c) \
                $(wildcard model/*.c) $(wildcard tokenizer/*.c)
PORTABLE_SRC := $(filter-out kernels/ref.c,$(PORTABLE_SRC))
ifeq ($(ARCH),x86_64)
  ISA_SRC := $(wildcard arch/x86/avx2/*.c) $(wildcard arch/x86/avx512/*.c)
else ifeq ($(ARCH),aarch64)
  ISA_SRC := $(wildcard arch/arm/neon/*.c) $(wildcard arch/arm/neondot/*.c)
endif
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(PORTABLE_SRC) $(ISA_SRC))

TEST_SRC := $(wildcard tests/*.c) kernels/ref.c
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

.PHONY: all test test-native test-aarch64 test-cli test-models test-tsan bench clean install
all: $(LIB) $(RUN)

$(BUILD)/obj/arch/x86/avx2/%.o: arch/x86/avx2/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/arch/x86/avx512/%.o: arch/x86/avx512/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AVX512_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/arch/arm/neon/%.o: arch/arm/neon/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(NEON_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/arch/arm/neondot/%.o: arch/arm/neondot/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(NEONDOT_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/bench/x86/avx2/%.o: bench/x86/avx2/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/bench/x86/avx512/%.o: bench/x86/avx512/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AVX512_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/bench/arm/neon/%.o: bench/arm/neon/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(NEON_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/bench/arm/neondot/%.o: bench/arm/neondot/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(NEONDOT_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -MMD -MP -c $< -o $@

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
test: test-native test-cli test-models test-aarch64

test-native: $(TESTS)
	$(TESTS) -j$(TEST_JOBS) --verbose

# A core without dotprod and one with it (max adds SVE and i8mm, which no kernel uses yet).
QEMU_CPUS ?= cortex-a53 neoverse-n1
# Under emulation (10-55x slower) the whole-model suites run on their small models only, and the batch
# suite (ISA-independent scheduling; the kernels' row independence it rests on is tested per ISA by
# f32_gemm/rows_independent_of_m) not at all: the cases left out show as skipped.
QEMU_FILTER ?= !(bert/*large*|bert/*tinybert*|batch/*)
test-aarch64:
	tools/aarch64-sysroot.sh $(SYSROOT_AARCH64)
	$(MAKE) ARCH=aarch64 build/aarch64/tests/rtj_tests
	tools/binfmt-aarch64.sh
	@set -e; for cpu in $(QEMU_CPUS); do \
	  echo "== aarch64 tests under qemu -cpu $$cpu"; \
	  QEMU_CPU=$$cpu QEMU_LD_PREFIX=$(CURDIR)/$(SYSROOT_AARCH64) \
	    timeout -k 10 900 build/aarch64/tests/rtj_tests -j$(TEST_JOBS) --verbose --filter '$(QEMU_FILTER)'; \
	done

# The CLI end to end on a tiny random model that tests/cli/make_tiny_model.c writes (no Python needed).
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

# ---- benchmarks -----------------------------------------------------------------------------------
BENCH_FORMAT ?= table
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $^ -o $@ -ldl $(LDLIBS)

.SECONDARY: $(patsubst bench/%.c,$(BUILD)/obj/bench/%.o,$(BENCH_SRC))
bench: $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do $$b $(if $(filter json,$(BENCH_FORMAT)),--json,) $(BENCH_ARGS); done

# rtj-run looks for its default model beside the build folder (models/default.rtj) or, installed, in
# $(PREFIX)/share/rtj/default.rtj.
PREFIX ?= /usr/local
install: $(LIB) $(RUN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/rtj
	install -m 755 $(RUN) $(DESTDIR)$(PREFIX)/bin/rtj-run
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/librtj.a
	install -m 644 include/rtj.h include/rtj_tokenizer.h include/rtj_json.h $(DESTDIR)$(PREFIX)/include/
	if [ -e models/default.rtj ]; then install -m 644 models/default.rtj $(DESTDIR)$(PREFIX)/share/rtj/default.rtj; fi

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
