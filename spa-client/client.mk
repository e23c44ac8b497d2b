# SPDX-License-Identifier: ISC
# spa-client extras, included by the top Makefile: the connect() shim that
# `spa-knock run` preloads, the example program (built like a user would:
# against the header and pkg-config file of a staged install), and the Python
# module's install.

SHIMDIR   ?= $(LIBDIR)/spa-client
PYTHONDIR ?= $(PREFIX)/lib/python3/dist-packages

SHIM_SRC := spa-client/shim.c spa-client/shim_map.c
SHIM_PIC := $(SHIM_SRC:%.c=$(B)/pic/%.o)
LIBSHIM  := $(B)/libspa-shim.so
EXAMPLE  := $(B)/example/spa-fetch
STAGE    := $(B)/stage

all: $(LIBSHIM) $(EXAMPLE)
install: install-client-extras
# The multi-thread, multi-process knock test (tests/e2e/24-*) drives the
# client unit test program against a real gateway.
e2e: $(B)/tests/test_client

# spa-knock run looks for the shim next to itself, then here; the stamp
# rebuilds it when SHIMDIR changes (rewritten only when it differs).
$(B)/spa-client/cli_run.o: ALL_CFLAGS += -DSPA_SHIM_PATH=\"$(SHIMDIR)/libspa-shim.so\"
$(B)/spa-client/cli_run.o: $(B)/spa-client/shimdir
$(B)/spa-client/shimdir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SHIMDIR)' | cmp -s - $@ || echo '$(SHIMDIR)' > $@
FORCE:

SHIM_LD = $(CC) -shared -Wl,-soname,libspa-shim.so -Wl,-z,relro,-z,now \
	  $(SHIM_PIC) -L$(B) -lspa-client $(LDFLAGS)

$(LIBSHIM): $(SHIM_PIC) $(LIBCLIENT)
	$(E) "  LD      $@"
	$(Q)$(SHIM_LD) -Wl,-rpath,'$$ORIGIN' -o $@

# A staged install of exactly what libspa-client-dev ships.
$(STAGE)/.done: $(LIBCLIENT) $(B)/spa-client.pc spa-client/spa.h
	$(E) "  STAGE   $(STAGE)"
	$(Q)rm -rf $(STAGE)
	$(Q)install -d $(STAGE)$(LIBDIR)/pkgconfig $(STAGE)$(INCLUDEDIR)
	$(Q)install -m 0644 spa-client/spa.h $(STAGE)$(INCLUDEDIR)/spa.h
	$(Q)install -m 0644 $(LIBCLIENT) $(STAGE)$(LIBDIR)/
	$(Q)ln -sf libspa-client.so.$(SOVER) $(STAGE)$(LIBDIR)/libspa-client.so.$(SOMAJOR)
	$(Q)ln -sf libspa-client.so.$(SOMAJOR) $(STAGE)$(LIBDIR)/libspa-client.so
	$(Q)install -m 0644 $(B)/spa-client.pc $(STAGE)$(LIBDIR)/pkgconfig/spa-client.pc
	$(Q)touch $@

STAGE_PC = PKG_CONFIG_SYSROOT_DIR=$(abspath $(STAGE)) \
	   PKG_CONFIG_LIBDIR=$(abspath $(STAGE))$(LIBDIR)/pkgconfig \
	   PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 pkg-config

# No -I or -L of the source tree: only what pkg-config says.
$(EXAMPLE): spa-client/example/spa-fetch.c $(STAGE)/.done
	@mkdir -p $(dir $@)
	$(E) "  CC      $< (example)"
	$(Q)$(CC) $(WARN) $(CFLAGS) $$($(STAGE_PC) --cflags spa-client) -o $@ $< \
	  $$($(STAGE_PC) --libs spa-client) -Wl,-rpath,'$$ORIGIN/..' $(LDSAN) $(LDFLAGS)

install-client-extras: all
	$(E) "  INSTALL $(DESTDIR)$(SHIMDIR)/libspa-shim.so"
	$(Q)install -d $(DESTDIR)$(SHIMDIR) $(DESTDIR)$(PYTHONDIR)
	$(Q)$(SHIM_LD) -o $(B)/libspa-shim.so.install
	$(Q)install -m 0644 $(B)/libspa-shim.so.install $(DESTDIR)$(SHIMDIR)/libspa-shim.so
	$(E) "  INSTALL $(DESTDIR)$(PYTHONDIR)/spa.py"
	$(Q)install -m 0644 spa-client/python/spa.py $(DESTDIR)$(PYTHONDIR)/spa.py

.PHONY: install-client-extras
