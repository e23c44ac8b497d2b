# SPDX-License-Identifier: ISC
# Packaging: man pages, .deb and .rpm packages, the systemd unit checks and the
# install test. Included by the top Makefile; paths are relative to the top.
#
#   make man            build/man/*.[1358] from packaging/man/*.scd (scdoc)
#   make install        also installs the man pages (install-man)
#   make unit-check     systemd-analyze verify + security on the unit
#   make deb            build/pkg/*.deb   (dpkg-buildpackage on a copy of the tree)
#   make rpm            build/pkg/*.rpm   (rpmbuild --nodeps on a tarball of it)
#   make package-check  build both, install the .debs here, run them, purge;
#                       check the .rpms (packaging/package-check.sh; root)

PKG_DIR   := $(B)/pkg
MAN_DIR   := $(B)/man
MAN_SRC   := packaging/man/spa-gatewayd.8.scd packaging/man/spa-admin.8.scd \
             packaging/man/spa-knock.1.scd packaging/man/libspa-client.3.scd \
             packaging/man/spa-gateway.ini.5.scd
MAN_PAGES := $(MAN_SRC:packaging/man/%.scd=$(MAN_DIR)/%)
PKG_NAME  := spa-gateway-$(VERSION)
# The tree as a package build sees it: no build output, no git metadata.
PKG_EXCLUDE := --exclude=./$(B) --exclude=./.git --exclude=__pycache__ --exclude='*.deb' \
               --exclude='*.rpm' --exclude=./tests/fuzz/out
RPM_PACKAGER := spa-gateway maintainers <maintainers@spa-gateway.example>
# Exposure score ceiling for systemd-analyze security, in tenths (2.5).
UNIT_THRESHOLD := 25

$(MAN_DIR)/%: packaging/man/%.scd
	@mkdir -p $(dir $@)
	$(E) "  SCDOC   $@"
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@

man: $(MAN_PAGES)

install-man: man
	$(Q)for p in $(MAN_PAGES); do \
	  s=$${p##*.}; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s && \
	  install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

install: install-man

# The unit as packaged, but running build/spa-gatewayd, so that verify can
# check the command exists before anything is installed.
$(B)/unit/spa-gatewayd.service: packaging/systemd/spa-gatewayd.service
	@mkdir -p $(dir $@)
	$(Q)sed 's|/usr/sbin/spa-gatewayd|$(CURDIR)/$(B)/spa-gatewayd|g' $< > $@

unit-check: $(B)/spa-gatewayd $(B)/unit/spa-gatewayd.service
	$(E) "  UNIT    systemd-analyze verify + security (<= 2.5)"
	$(Q)out=$$(systemd-analyze verify --man=no $(B)/unit/spa-gatewayd.service 2>&1); \
	  if [ -n "$$out" ]; then echo "$$out"; echo "unit-check: verify printed output"; exit 1; fi
	$(Q)systemd-analyze security --offline=yes --threshold=$(UNIT_THRESHOLD) \
	  $(B)/unit/spa-gatewayd.service | tail -1

# Package builds run in a scratch copy under /tmp, never under $(B): the top
# Makefile includes every *.d it finds in $(B), and package trees hold
# directories such as logrotate.d and sysusers.d (and a build of their own).
# Only the results are copied to $(PKG_DIR); the copy is removed either way.
deb:
	$(Q)v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version); \
	  if [ "$$v" != "$(VERSION)" ]; then \
	    echo "deb: packaging/debian/changelog is $$v, Makefile VERSION is $(VERSION)"; exit 1; fi
	$(E) "  DEB     dpkg-buildpackage -us -uc -b"
	$(Q)mkdir -p $(PKG_DIR) && rm -rf $(PKG_DIR)/deb && mkdir -p $(PKG_DIR)/deb && \
	  tmp=$$(mktemp -d /tmp/spa-deb.XXXXXX) && src=$$tmp/$(PKG_NAME) && mkdir $$src && \
	  tar -cf - $(PKG_EXCLUDE) . | tar -xf - -C $$src && \
	  rm -rf $$src/debian && cp -rL packaging/debian $$src/debian && \
	  if (cd $$src && dpkg-buildpackage -us -uc -b) > $(PKG_DIR)/deb/build.log 2>&1; then \
	    rm -rf $$src && mv $$tmp/* $(PKG_DIR)/deb/ && rmdir $$tmp; \
	  else tail -40 $(PKG_DIR)/deb/build.log; rm -rf $$tmp; exit 1; fi
	$(Q)rm -f $(PKG_DIR)/*.deb && cp $(PKG_DIR)/deb/*.deb $(PKG_DIR)/
	$(Q)ls $(PKG_DIR)/*.deb

rpm:
	$(Q)v=$$(sed -n 's/^Version: *//p' packaging/rpm/spa-gateway.spec); \
	  if [ "$$v" != "$(VERSION)" ]; then \
	    echo "rpm: spa-gateway.spec is $$v, Makefile VERSION is $(VERSION)"; exit 1; fi
	$(E) "  RPM     rpmbuild -bb --nodeps"
	$(Q)mkdir -p $(PKG_DIR) && tmp=$$(mktemp -d /tmp/spa-rpm.XXXXXX) && \
	  mkdir -p $$tmp/SOURCES $$tmp/tmp && \
	  tar -czf $$tmp/SOURCES/$(PKG_NAME).tar.gz $(PKG_EXCLUDE) \
	    --transform='s|^\.|$(PKG_NAME)|' . && \
	  if rpmbuild -bb --nodeps --define "_topdir $$tmp" --define "_tmppath $$tmp/tmp" \
	      --define "packager $(RPM_PACKAGER)" \
	      packaging/rpm/spa-gateway.spec > $(PKG_DIR)/rpmbuild.log 2>&1; then \
	    rm -f $(PKG_DIR)/*.rpm && mv $$tmp/RPMS/*/*.rpm $(PKG_DIR)/ && rm -rf $$tmp; \
	  else tail -40 $(PKG_DIR)/rpmbuild.log; rm -rf $$tmp; exit 1; fi
	$(Q)ls $(PKG_DIR)/*.rpm

package-check: deb rpm
	@packaging/package-check.sh $(PKG_DIR)

.PHONY: man install-man unit-check deb rpm package-check
