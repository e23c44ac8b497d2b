# Fuzzing: one libFuzzer target per parser (tests/fuzz/fuzz_*.c), built with
# clang and ASan+UBSan from the project's sources (not the gcc-built static
# libraries). Included by the top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]        build, then fuzz each target that long
#   make fuzz-check [FUZZ_CHECK_SECONDS=10]   short bounded run; fails on a crash
#   make fuzz-build                    only build build/fuzz/fuzz_*
#   make fuzz-corpus                   rewrite the binary seeds (knock, engine,
#                                      capture) from tests/fuzz/mkcorpus.c
#   make fuzz FUZZ_TARGETS="knock engine"   a subset
#
# Needs clang 14 with its runtime (Debian: clang-14 libclang-rt-14-dev).

FUZZ_CC            ?= $(shell command -v clang-14 2>/dev/null || echo clang)
FUZZ_SECONDS       ?= 60
FUZZ_CHECK_SECONDS ?= 10
FUZZ_B             := $(B)/fuzz
FUZZ_ALL           := knock engine capture config policy agent cred control privsep
FUZZ_TARGETS       ?= $(FUZZ_ALL)

FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := $(filter-out -Werror,$(WARN)) -O1 -g -fno-omit-frame-pointer \
               -D_GNU_SOURCE -DSPA_VERSION=\"$(VERSION)\" -Icommon -Irules -Igatewayd \
               -Ispa-client -Itests/fuzz $(INI_CFLAGS) $(PKG_CFLAGS) -MMD -MP
FUZZ_LIBS   := $(INI_LIBS) $(PKG_LIBS) -lpthread

FUZZ_SRC := $(COMMON_SRC) $(RULES_SRC) $(GWD_SRC)
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(FUZZ_B)/obj/%.o)
FUZZ_LIB := $(FUZZ_B)/libspafuzz.a
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)

# The project's code: coverage instrumentation, no libFuzzer main.
$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJ)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/obj/tests/fuzz/fuzz_%.o $(FUZZ_B)/obj/tests/fuzz/fuzz_util.o $(FUZZ_LIB)
	$(E) "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

$(FUZZ_B)/mkcorpus: tests/fuzz/mkcorpus.c tests/fuzz/fuzz_util.c $(FUZZ_LIB)
	$(E) "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -o $@ $(filter %.c %.a,$^) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_B) $(FUZZ_TARGETS)

fuzz-check: fuzz-build
	@tests/fuzz/run.sh check $(FUZZ_CHECK_SECONDS) $(FUZZ_B) $(FUZZ_TARGETS)

fuzz-corpus: $(FUZZ_B)/mkcorpus
	@mkdir -p $(addprefix tests/fuzz/corpus/,knock engine capture privsep)
	$(FUZZ_B)/mkcorpus tests/fuzz/corpus

.PHONY: fuzz fuzz-build fuzz-check fuzz-corpus
.SECONDARY: $(FUZZ_ALL:%=$(FUZZ_B)/obj/tests/fuzz/fuzz_%.o) $(FUZZ_B)/obj/tests/fuzz/fuzz_util.o
