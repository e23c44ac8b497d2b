# SPDX-License-Identifier: ISC
# spa-gateway: one non-recursive GNU Makefile.
# Targets: all install check demo deps clean (and fuzz, bench, deb, rpm where present).
# Sources are listed by name, never found by pattern.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR    ?=

CC      ?= cc
# Sanitized builds live apart: make tracks no flag changes.
B       := $(if $(filter 1,$(SANITIZE)),build/san,build)
SOMAJOR := 1
SOVER   := 1.0.0
VERSION := 0.1.0

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wcast-qual -Wformat=2 -Wwrite-strings -Wno-unused-parameter
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
CFLAGS ?= -O2 -g
ifeq ($(CI),true)
WARN += -Werror
endif
# make SANITIZE=1: ASan + UBSan (failing on the first report) for the
# daemon, the CLIs and the tests. The client library and the connect() shim
# stay uninstrumented: they are loaded into programs (curl, python) that do
# not carry the ASan runtime.
ifeq ($(SANITIZE),1)
SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS := -O1 -g -fno-omit-frame-pointer
LDSAN  := -fsanitize=address,undefined
HARDEN := -fstack-protector-strong -fPIC
endif

PKGS := libpcap libsodium libnftnl libmnl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
INI_CFLAGS := -I/usr/include/iniparser
INI_LIBS   := -liniparser

ALL_CFLAGS := $(WARN) $(HARDEN) $(CFLAGS) $(SAN) -D_GNU_SOURCE -DSPA_VERSION=\"$(VERSION)\" \
              -Icommon -Irules -Igatewayd -Ispa-client $(INI_CFLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDSAN) $(LDFLAGS)

ifneq ($(V),1)
Q := @
E := @echo
else
E := @:
endif

# Every source is listed: a file added or renamed is a change to this list.
COMMON_SRC := common/addr.c common/diag.c common/ini.c common/keyfile.c \
              common/keys.c common/knock.c common/list.c common/table.c \
              common/util.c
RULES_SRC  := rules/agent.c rules/agentdb.c rules/arena.c rules/decide.c \
              rules/dedup.c rules/policy.c
# The daemon's library (spa-admin links it too: config, control, init).
# In the order a knock meets them, then what surrounds the path.
GWD_SRC    := gatewayd/capture.c gatewayd/engine.c gatewayd/bucket.c \
              gatewayd/srclimit.c gatewayd/replay.c gatewayd/verifier.c \
              gatewayd/keycache.c gatewayd/grant.c gatewayd/batch.c \
              gatewayd/hist.c gatewayd/openings.c gatewayd/oprecs.c \
              gatewayd/intern.c \
              gatewayd/audit.c gatewayd/privsep.c gatewayd/nft.c \
              gatewayd/nft_set.c gatewayd/nft_rule.c gatewayd/nl.c \
              gatewayd/conntrack.c gatewayd/warm.c gatewayd/reconcile.c \
              gatewayd/listing.c gatewayd/control.c gatewayd/ctlops.c \
              gatewayd/reload.c gatewayd/daemon.c gatewayd/config.c \
              gatewayd/log.c gatewayd/notify.c
GWD_MAIN   := gatewayd/main.c
ADMIN_SRC  := gatewayd/admin/main.c gatewayd/admin/admin.c \
              gatewayd/admin/agent_cmd.c gatewayd/admin/agent_add.c \
              gatewayd/admin/agent_list.c gatewayd/admin/agent_revoke.c \
              gatewayd/admin/check.c gatewayd/admin/init.c \
              gatewayd/admin/init_tree.c gatewayd/admin/live.c
# The client library; spa-knock's own files; the connect() shim (client.mk).
CLIENT_SRC := spa-client/client.c spa-client/connect.c spa-client/probe.c
# spa-knock run checks --map with the shim's own parser (shim_map.c).
KNOCK_SRC  := spa-client/cli_main.c spa-client/cli_send.c spa-client/cli_run.c \
              spa-client/cli_keepalive.c spa-client/cli_util.c spa-client/shim_map.c

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
RULES_OBJ  := $(RULES_SRC:%.c=$(B)/%.o)
GWD_OBJ    := $(GWD_SRC:%.c=$(B)/%.o)
ADMIN_OBJ  := $(ADMIN_SRC:%.c=$(B)/%.o)

LIBCOMMON := $(B)/libspacommon.a
LIBRULES  := $(B)/libsparules.a
LIBGWD    := $(B)/libspagwd.a
LIBCLIENT := $(B)/libspa-client.so.$(SOVER)

BINS := $(B)/spa-gatewayd $(B)/spa-admin $(B)/spa-knock

all: $(BINS) $(LIBCLIENT) $(B)/spa-client.pc

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The client library is built with hidden visibility; only spa_* is exported.
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $< (shared)"
	$(Q)$(CC) $(filter-out $(SAN),$(ALL_CFLAGS)) -fvisibility=hidden -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBRULES): $(RULES_OBJ)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBGWD): $(GWD_OBJ)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

CLIENT_PIC := $(CLIENT_SRC:%.c=$(B)/pic/%.o) $(COMMON_SRC:%.c=$(B)/pic/%.o)
$(LIBCLIENT): $(CLIENT_PIC) spa-client/libspa-client.map
	$(E) "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,libspa-client.so.$(SOMAJOR) \
	  -Wl,--version-script=spa-client/libspa-client.map -Wl,-z,relro,-z,now \
	  -o $@ $(CLIENT_PIC) $(INI_LIBS) $(shell pkg-config --libs libsodium) $(LDFLAGS)
	$(Q)ln -sf libspa-client.so.$(SOVER) $(B)/libspa-client.so.$(SOMAJOR)
	$(Q)ln -sf libspa-client.so.$(SOMAJOR) $(B)/libspa-client.so

$(B)/spa-client.pc: spa-client/spa-client.pc.in
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

$(B)/spa-gatewayd: $(GWD_MAIN:%.c=$(B)/%.o) $(LIBGWD) $(LIBRULES) $(LIBCOMMON)
	$(E) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(INI_LIBS) $(PKG_LIBS) -lpthread

$(B)/spa-admin: $(ADMIN_OBJ) $(LIBGWD) $(LIBRULES) $(LIBCOMMON)
	$(E) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(INI_LIBS) $(PKG_LIBS) -lpthread

KNOCK_OBJ := $(KNOCK_SRC:%.c=$(B)/%.o)
$(B)/spa-knock: $(KNOCK_OBJ) $(LIBCLIENT)
	$(E) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(KNOCK_OBJ) -L$(B) -lspa-client \
	  -Wl,-rpath,'$$ORIGIN' $(shell pkg-config --libs libsodium)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0755 $(B)/spa-gatewayd $(B)/spa-admin $(DESTDIR)$(SBINDIR)/
	$(CC) $(ALL_LDFLAGS) -o $(B)/spa-knock.install $(KNOCK_OBJ) -L$(B) -lspa-client \
	  $(shell pkg-config --libs libsodium)
	install -m 0755 $(B)/spa-knock.install $(DESTDIR)$(BINDIR)/spa-knock
	install -m 0644 $(LIBCLIENT) $(DESTDIR)$(LIBDIR)/
	ln -sf libspa-client.so.$(SOVER) $(DESTDIR)$(LIBDIR)/libspa-client.so.$(SOMAJOR)
	ln -sf libspa-client.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libspa-client.so
	install -m 0644 spa-client/spa.h $(DESTDIR)$(INCLUDEDIR)/spa.h
	install -m 0644 $(B)/spa-client.pc $(DESTDIR)$(LIBDIR)/pkgconfig/spa-client.pc

# Debian packages every target below needs; safe to run twice.
# build: compiler and libraries; tests: nftables (listing only), namespaces,
# scanners and clients; fuzz: clang; packaging: debhelper, rpm, linters.
DEB_PKGS := build-essential pkg-config libpcap-dev libsodium-dev libnftnl-dev libmnl-dev \
            libiniparser-dev nftables iproute2 nmap tcpdump ncat curl python3 conntrack \
            faketime valgrind strace clang libclang-rt-14-dev llvm-14 scdoc debhelper dh-python \
            dpkg-dev lintian rpm rpmlint systemd
deps:
	@if dpkg-query -W -f='$${Status}\n' $(DEB_PKGS) 2>/dev/null | grep -qv 'install ok installed' \
	    || ! dpkg-query -W $(DEB_PKGS) >/dev/null 2>&1; then \
	  echo "  DEPS    installing: $(DEB_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS); \
	else echo "  DEPS    all installed"; fi

clean:
	rm -rf $(B)

-include tests/tests.mk
-include spa-client/client.mk
-include tests/fuzz/fuzz.mk
-include tests/bench/bench.mk
-include packaging/packaging.mk

.PHONY: all install deps clean check demo
-include $(shell find $(B) -type f -name '*.d' 2>/dev/null)
