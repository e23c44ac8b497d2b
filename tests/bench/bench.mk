# SPDX-License-Identifier: ISC
# Benchmarks (issue 5): C tools in tests/bench/*.c, each built into
# build/bench/NAME with the product's libraries; tests/bench/run.sh drives them
# in network namespaces it creates. Benchmarks are not tests: `make check`
# never depends on a timing. See tests/bench/README.md.
#
#   make bench         the full suite (a few minutes), prints a table and writes
#                      build/bench/results.json (+ latency.png with gnuplot)
#   make bench-check   every scenario at tiny scale (<= 60 s): the harness works
#   make bench-tools   just build the tools

BENCH_B       := $(B)/bench
BENCH_NAMES   := gen lat nft notify scale send verify
BENCH_SRC     := $(BENCH_NAMES:%=tests/bench/bench_%.c)
BENCH_BIN     := $(BENCH_SRC:tests/bench/%.c=$(BENCH_B)/%)
BENCH_LIBOBJ  := $(BENCH_B)/lib/benchlib.o
BENCH_LIBS    := $(LIBGWD) $(LIBRULES) $(LIBCOMMON) $(INI_LIBS) $(PKG_LIBS) -lpthread
# fwknop's side needs fwknop's own library (Debian libfko3-dev).
BENCH_FKO     := $(if $(wildcard /usr/include/fko.h),$(BENCH_B)/bench_fwknop)
# Debian packages of the comparison and the plot; the product's own are `deps`.
BENCH_DEB_PKGS := fwknop-server fwknop-client libfko3-dev iptables gnuplot-nox

$(BENCH_LIBOBJ): tests/bench/lib/benchlib.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bench/lib -c -o $@ $<

$(BENCH_B)/bench_%: tests/bench/bench_%.c $(BENCH_LIBOBJ) $(LIBGWD) $(LIBRULES) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bench/lib $(ALL_LDFLAGS) -o $@ $< \
	  $(BENCH_LIBOBJ) $(BENCH_LIBS) $(if $(filter %bench_fwknop,$@),-lfko)

bench-tools: all $(BENCH_BIN) $(BENCH_FKO)

# Safe to run twice; a failed install only costs the fwknop comparison.
bench-deps:
	@if dpkg-query -W -f='$${Status}\n' $(BENCH_DEB_PKGS) 2>/dev/null | grep -qv 'install ok installed' \
	    || ! dpkg-query -W $(BENCH_DEB_PKGS) >/dev/null 2>&1; then \
	  echo "  DEPS    installing: $(BENCH_DEB_PKGS)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(BENCH_DEB_PKGS) >/dev/null) || \
	    echo "  DEPS    could not install $(BENCH_DEB_PKGS): fwknop comparison skipped"; \
	else echo "  DEPS    bench: all installed"; fi

bench: deps bench-deps
	@$(MAKE) --no-print-directory bench-tools
	@tests/bench/run.sh

bench-check: deps bench-deps
	@$(MAKE) --no-print-directory bench-tools
	@tests/bench/run.sh --check

.PHONY: bench bench-check bench-tools bench-deps
