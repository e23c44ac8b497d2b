# SPDX-License-Identifier: ISC
# Tests: unit programs (tests/unit/test_*.c, one per module) and end-to-end
# scripts (tests/e2e/NN-*.sh) in network namespaces they create.

UNIT_NAMES := knock list table config policy decide agent agentdb keycache openings \
              openings_targets verifier engine privsep nft client
UNIT_SRC := $(UNIT_NAMES:%=tests/unit/test_%.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

# test_engine makes the openings index fail on demand.
$(B)/tests/test_engine: TEST_LDFLAGS := -Wl,--wrap=openings_add

$(B)/tests/%: tests/unit/%.c $(LIBGWD) $(LIBRULES) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) $(TEST_LDFLAGS) -o $@ $< $(LIBGWD) $(LIBRULES) \
	  $(LIBCOMMON) $(INI_LIBS) $(PKG_LIBS) -lpthread

unit: all $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

# Under SANITIZE=1, tests preload libraries (faketime) into instrumented
# binaries: ASan must not insist on coming first.
e2e: all
	@SPA_BUILD=$(CURDIR)/$(B) SPA_SANITIZE=$(SANITIZE) \
	  ASAN_OPTIONS=verify_asan_link_order=0 tests/e2e/run.sh $(E2E)

# Each product object exports only its own file's prefix (foo.c: foo_*), and
# the shared libraries only their interfaces.
symbols-check: all
	@tests/check-symbols.sh $(B)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory symbols-check
	@$(MAKE) --no-print-directory unit-check
	@[ "$(SANITIZE)" = 1 ] || $(MAKE) --no-print-directory fuzz-check
	@$(MAKE) --no-print-directory e2e

.PHONY: unit e2e symbols-check

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh
