# ctl: restricted shell, broker daemon and PAM module. See README.md.

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DESTDIR ?=
PKG_CONFIG ?= pkg-config

BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
LIBEXECDIR = $(PREFIX)/libexec
MANDIR = $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ctl
SYSCONFDIR ?= /etc
# systemd reads units from /usr/local/lib/systemd/system too
UNITDIR ?= $(PREFIX)/lib/systemd/system
# INSTALL_SSHD=yes: the sshd snippet into sshd_config.d (if absent), not
# only into DOCDIR. SHELLS=no: /etc/shells left alone (it is whenever
# DESTDIR is set: a staging tree is not the running system).
INSTALL_SSHD ?= no
SHELLS ?= $(if $(DESTDIR),no,yes)

VERSION := $(shell sed -n 's/^\#define CTL_VERSION[^"]*"\(.*\)"/\1/p' common/version.h)

# -D_FORTIFY_SOURCE=2 unless the builder chose a level (Debian's
# dpkg-buildflags passes 2, others 3); -fcf-protection where the compiler
# and target have it.
cc_has = $(shell $(CC) -Werror $(1) -x c -c /dev/null -o /dev/null 2>/dev/null && echo $(1))
FORTIFY = $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
CF_PROTECTION := $(call cc_has,-fcf-protection)

LOCAL_CPPFLAGS = -D_GNU_SOURCE $(FORTIFY) -Icommon
LOCAL_CFLAGS = -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 \
	-Wno-unused-parameter -fstack-protector-strong \
	-fstack-clash-protection $(CF_PROTECTION) -fPIE -fvisibility=hidden \
	-MMD -MP
LOCAL_LDFLAGS = -pie -Wl,-z,relro,-z,now,-z,noexecstack

ifdef WERROR
LOCAL_CFLAGS += -Werror
endif

comma = ,
ifdef SANITIZE
SANITIZERS = address undefined
ifneq ($(filter-out $(SANITIZERS),$(subst $(comma), ,$(SANITIZE))),)
$(error SANITIZE: unknown sanitizer in "$(SANITIZE)"; use $(SANITIZERS))
endif
LOCAL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LOCAL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

BROKER_LIBS = $(shell $(PKG_CONFIG) --libs libcurl jansson libconfig) -lpam
ifdef SANITIZE
# ASan resolves its crypt() interceptor at start-up; pam_unix, loaded
# later, would call through a NULL pointer unless libcrypt is there.
BROKER_LIBS += -Wl,--no-as-needed -lcrypt -Wl,--as-needed
endif
SHELL_LIBS = $(shell $(PKG_CONFIG) --libs jansson libedit)
SHELL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libedit)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka)

ALL_CFLAGS = $(LOCAL_CPPFLAGS) $(CPPFLAGS) $(LOCAL_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LOCAL_LDFLAGS) $(LDFLAGS)

B = build

# Leaks in libraries (tests/lsan.supp) are not ours to report.
export LSAN_OPTIONS = suppressions=$(abspath tests/lsan.supp):print_suppressions=0
COMMON_SRC = common/proto.c common/names.c common/verbs.c
BROKER_SRC = $(wildcard broker/*.c)
SHELL_SRC = $(filter-out shell/launch.c,$(wildcard shell/*.c))
COMMON_OBJ = $(COMMON_SRC:%.c=$(B)/%.o)
BROKER_OBJ = $(BROKER_SRC:%.c=$(B)/%.o)
SHELL_OBJ = $(SHELL_SRC:%.c=$(B)/%.o)
BROKER_LIB_OBJ = $(filter-out $(B)/broker/main.o,$(BROKER_OBJ))
SHELL_LIB_OBJ = $(filter-out $(B)/shell/main.o,$(SHELL_OBJ))

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

PAM_SRC = $(wildcard pam/*.c)
PAM_PIC_OBJ = $(PAM_SRC:%.c=$(B)/pic/%.o) $(COMMON_SRC:%.c=$(B)/pic/%.o)
PAM_LIBS = $(shell $(PKG_CONFIG) --libs jansson) -lpam
# The directory libpam loads modules from: pam.pc's libdir, else the
# multiarch one.
PAMDIR ?= $(or $(shell $(PKG_CONFIG) --variable=libdir pam 2>/dev/null),$\
	/lib/$(shell $(CC) -print-multiarch))/security

all: $(B)/ctl $(B)/ctld $(if $(PAM_SRC),$(B)/pam_ctl.so)
.PHONY: all

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SHELL_CFLAGS) -c $< -o $@

# The PAM module: position-independent objects, only pam_sm_* exported.
# Never sanitized: sshd, which loads it, is not, and the ASan runtime
# must come first in a process.
PAM_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(ALL_CFLAGS))

$(B)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(PAM_CFLAGS) -fPIC -c $< -o $@

$(B)/pam_ctl.so: $(PAM_PIC_OBJ) pam/pam_ctl.map
	$(CC) $(PAM_CFLAGS) -fPIC -shared -Wl,-z,relro,-z,now,-z,noexecstack \
		-Wl,-z,defs -Wl,--version-script=pam/pam_ctl.map $(LDFLAGS) \
		$(PAM_PIC_OBJ) $(PAM_LIBS) -o $@

# ctl is two programs: bin/ctl, static so that no dynamic loader reads
# the environment a login brings (LD_PRELOAD from ~/.pam_environment),
# runs libexec/ctl/ctl-shell, the shell, with an environment of its own
# making. The launcher is never sanitized: a static binary cannot be.
# build/ctl is bin/ctl, as the kernel resolves it to find the shell.
$(B)/libexec/ctl/ctl-shell: $(SHELL_OBJ) $(COMMON_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(SHELL_LIBS) -o $@

LAUNCH_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=% -MMD -MP,$(ALL_CFLAGS))

$(B)/bin/ctl: shell/launch.c $(B)/libexec/ctl/ctl-shell
	@mkdir -p $(@D)
	$(CC) $(LAUNCH_CFLAGS) -static-pie -Wl,-z,relro,-z,now,-z,noexecstack \
		$(LDFLAGS) $< -o $@

$(B)/ctl: $(B)/bin/ctl
	ln -sf bin/ctl $@

$(B)/ctld: $(BROKER_OBJ) $(COMMON_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(BROKER_LIBS) -o $@

# Unit tests link the archives, so the linker pulls in only what a test
# uses and shell and broker objects never meet.
$(B)/libcommon.a: $(COMMON_OBJ)
$(B)/libbroker.a: $(BROKER_LIB_OBJ)
$(B)/libshell.a: $(SHELL_LIB_OBJ)
$(B)/%.a:
	rm -f $@
	$(AR) rcs $@ $^

# Broker tests talk to a fake Engine API (tests/unit/fake_engine.c) and
# share tests/unit/bk_util.c.
BK_TEST_SRC = tests/unit/fake_engine.c tests/unit/bk_util.c
$(B)/tests/%: tests/unit/%.c $(B)/libbroker.a $(B)/libshell.a $(B)/libcommon.a \
		$(BK_TEST_SRC) tests/unit/fake_engine.h tests/unit/bk_util.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SHELL_CFLAGS) -Ibroker -Ishell $(ALL_LDFLAGS) \
		$< $(if $(filter test_bk_%,$*),$(BK_TEST_SRC)) \
		$(if $(filter test_sh_%,$*),$(B)/libshell.a) \
		$(if $(filter test_bk_%,$*),$(B)/libbroker.a) $(B)/libcommon.a \
		$(BROKER_LIBS) $(SHELL_LIBS) $(CMOCKA_LIBS) -ldl -lpthread -o $@

# PAM module tests load the built module by path.
$(B)/tests/test_pam_%: CPPFLAGS += -DPAM_CTL_SO=\"$(abspath $(B)/pam_ctl.so)\"
$(filter $(B)/tests/test_pam_%,$(UNIT_BIN)): $(B)/pam_ctl.so

unit: $(UNIT_BIN)
	@sh scripts/unit.sh $(UNIT_BIN)
.PHONY: unit

# Integration tests drive the real binaries against the real dockerd and
# PAM: they need root. `make deps` installs and starts what they need.
# Most run in IT_JOBS parallel workers (python3-pytest-xdist; without it,
# or with IT_JOBS=0, one after another); those marked serial run after
# them, one at a time, with no other test of this run beside them.
# pytest keeps its assertion-rewritten test modules in
# tests/integration/__pycache__ (ignored, removed by make clean) even
# where the environment says PYTHONDONTWRITEBYTECODE: rewriting them
# again costs each pytest process about a second of CPU.
PYTEST ?= /usr/bin/python3 -m pytest
IT_JOBS ?= 3
XDIST = $(shell /usr/bin/python3 -c 'import xdist' 2>/dev/null && printf -- '-n %s --dist loadgroup' $(IT_JOBS))
IT_ENV = CTL_SANITIZE="$(SANITIZE)" PYTHONDONTWRITEBYTECODE=
integration: all
	@rc=0; \
	$(IT_ENV) $(PYTEST) -v $(XDIST) -m "not serial" tests/integration || rc=1; \
	$(IT_ENV) $(PYTEST) -v -m serial tests/integration || rc=1; \
	exit $$rc
.PHONY: integration

# The unit test programs mostly wait out timeouts: they run beside the
# integration tests, and their output follows. What they and the
# integration tests need is built first with BUILD_JOBS jobs whatever
# make's own -j: on a clean tree a serial build took 42 s here, two jobs 23.
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check:
	@$(MAKE) --no-print-directory -j$(BUILD_JOBS) check-build
	@rc=0; sh scripts/unit.sh $(UNIT_BIN) >$(B)/unit.log 2>&1 & unit=$$!; \
	$(MAKE) --no-print-directory integration || rc=1; \
	wait $$unit || rc=1; \
	echo "== unit tests (run beside the integration tests)"; \
	cat $(B)/unit.log; \
	test $$rc = 0 || echo "make check: some test failed (see above)"; \
	exit $$rc
.PHONY: check

# What the integration tests run ctl as a test user through.
$(B)/tests/asuser: tests/asuser.c
	@mkdir -p $(@D)
	$(CC) $(LAUNCH_CFLAGS) -static $(LDFLAGS) $< -o $@

check-build: all $(UNIT_BIN) $(B)/tests/asuser
.PHONY: check-build

# Line coverage of each source file from the unit tests alone (gcov),
# built apart in $(B)/cov. CTL_COVERAGE: a test whose child ends with
# _exit writes the child's counts first (test_bk_relay.c).
coverage:
	$(MAKE) B=$(B)/cov CFLAGS="-O0 -g --coverage -DCTL_COVERAGE" \
		LDFLAGS=--coverage unit \
		>$(B)/coverage.log 2>&1 || { tail -30 $(B)/coverage.log; exit 1; }
	sh scripts/coverage.sh $(B)/cov
.PHONY: coverage

# libFuzzer harnesses (clang, libclang-rt-14-dev): `make fuzz` runs each
# for FUZZ_TIME seconds from the seeds in tests/fuzz/seeds; what they
# find stays in build/fuzz.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZERS = frame request lex config demux ttyout session
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -D_GNU_SOURCE -Icommon -Ibroker -Ishell
fuzz_frame_SRC = common/proto.c
fuzz_request_SRC = common/verbs.c common/names.c
fuzz_lex_SRC = shell/lex.c shell/args.c common/verbs.c common/names.c
fuzz_config_SRC = broker/config.c broker/confutil.c broker/engconf.c broker/execconf.c broker/tmplconf.c broker/template.c broker/policy.c \
	broker/engine.c broker/clientfd.c broker/hijack.c broker/health.c broker/log.c broker/shmtable.c \
	common/proto.c common/verbs.c common/names.c
fuzz_config_LIBS = $(shell $(PKG_CONFIG) --libs libcurl)
fuzz_demux_SRC = broker/stream.c
fuzz_ttyout_SRC = shell/ttyout.c
# a whole session, with the fake Engine API of the unit tests behind
fuzz_session_SRC = $(filter-out broker/main.c,$(BROKER_SRC)) $(COMMON_SRC) \
	tests/unit/fake_engine.c
fuzz_session_LIBS = $(BROKER_LIBS) -lpthread
FUZZ_LIBS = $(shell $(PKG_CONFIG) --libs jansson libconfig)

.SECONDEXPANSION:
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(fuzz_$$*_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(SHELL_CFLAGS) $< $(fuzz_$*_SRC) \
		$(FUZZ_LIBS) $(fuzz_$*_LIBS) -o $@

fuzz: $(FUZZERS:%=$(B)/fuzz/fuzz_%)
	@set -e; for f in $(FUZZERS); do \
		mkdir -p $(B)/fuzz/corpus-$$f; \
		echo "== fuzz_$$f for $(FUZZ_TIME)s"; \
		$(B)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -max_len=65536 \
			-print_final_stats=1 -artifact_prefix=$(B)/fuzz/$$f- \
			$(B)/fuzz/corpus-$$f tests/fuzz/seeds/$$f 2>&1 | \
			grep -E '^(Done|stat::number_of_executed_units|==|SUMMARY|INFO: Seed)' || true; \
		test -z "$$(ls $(B)/fuzz/$$f-* 2>/dev/null)" || \
			{ echo "fuzz_$$f found a crash: $$(ls $(B)/fuzz/$$f-*)"; exit 1; }; \
	done
.PHONY: fuzz

deps:
	sh scripts/deps.sh
.PHONY: deps

# ctl against the Docker CLI and the raw Engine API (docs/BENCHMARKS.md).
bench: all
	sh scripts/deps.sh
	/usr/bin/python3 bench/bench.py
.PHONY: bench

# The demo needs what building needs and a dockerd, nothing of the tests.
demo:
	sh scripts/deps.sh --demo
	$(MAKE) --no-print-directory all
	sh scripts/demo.sh
demo-clean:
	sh scripts/demo.sh clean
.PHONY: demo demo-clean

# The unit and the sshd snippet in etc/ name /usr (PREFIX=/usr, as the
# Debian package has it); installed, they name BINDIR and SBINDIR.
PATHS_SED = -e 's|/usr/sbin/ctld|$(SBINDIR)/ctld|g' \
	-e 's|/usr/bin/ctl\>|$(BINDIR)/ctl|g'
$(B)/gen/ctld.service $(B)/gen/sshd-ctl.conf: FORCE
	@mkdir -p $(@D)
	sed $(PATHS_SED) $(if $(findstring service,$@),etc/systemd/ctld.service,\
		etc/ssh/sshd_config.d/ctl.conf) >$@
FORCE:
.PHONY: FORCE

# What install copies, as DESTINATION:SOURCE:MODE; the configuration
# (CONF_FILES) only where none exists, and uninstall removes it only if
# it is still the one installed: an admin's file is never touched.
PROG_FILES = $(BINDIR)/ctl:$(B)/bin/ctl:0755 \
	$(LIBEXECDIR)/ctl/ctl-shell:$(B)/libexec/ctl/ctl-shell:0755 \
	$(SBINDIR)/ctld:$(B)/ctld:0755 \
	$(if $(PAM_SRC),$(PAMDIR)/pam_ctl.so:$(B)/pam_ctl.so:0644 \
	$(MANDIR)/man8/pam_ctl.8:docs/man/pam_ctl.8:0644) \
	$(MANDIR)/man1/ctl.1:docs/man/ctl.1:0644 \
	$(MANDIR)/man5/ctld.conf.5:docs/man/ctld.conf.5:0644 \
	$(MANDIR)/man8/ctld.8:docs/man/ctld.8:0644 \
	$(UNITDIR)/ctld.service:$(B)/gen/ctld.service:0644 \
	$(UNITDIR)/ctld.socket:etc/systemd/ctld.socket:0644 \
	$(DOCDIR)/examples/sshd_config.d-ctl.conf:$(B)/gen/sshd-ctl.conf:0644
CONF_FILES = $(SYSCONFDIR)/ctl/ctld.conf:etc/ctld.conf:0644 \
	$(SYSCONFDIR)/pam.d/ctl:etc/pam.d/ctl:0644 \
	$(SYSCONFDIR)/logrotate.d/ctld:etc/logrotate.d/ctld:0644 \
	$(if $(filter yes,$(INSTALL_SSHD)),$\
	$(SYSCONFDIR)/ssh/sshd_config.d/ctl.conf:$(B)/gen/sshd-ctl.conf:0644)
# Directories of ours alone, removed by uninstall when empty; in a
# staging tree (DESTDIR), every directory install made is.
OWN_DIRS = $(LIBEXECDIR)/ctl $(DOCDIR)/examples $(DOCDIR) $(SYSCONFDIR)/ctl

install: all $(B)/gen/ctld.service $(B)/gen/sshd-ctl.conf
	@set -e; for f in $(PROG_FILES); do \
		dst=$${f%%:*}; rest=$${f#*:}; src=$${rest%%:*}; mode=$${rest#*:}; \
		echo "install $$src $(DESTDIR)$$dst"; \
		install -D -m $$mode $$src $(DESTDIR)$$dst; \
	done; \
	for f in $(CONF_FILES); do \
		dst=$${f%%:*}; rest=$${f#*:}; src=$${rest%%:*}; mode=$${rest#*:}; \
		if [ -e $(DESTDIR)$$dst ]; then echo "kept $(DESTDIR)$$dst"; \
		else echo "install $$src $(DESTDIR)$$dst"; \
			install -D -m $$mode $$src $(DESTDIR)$$dst; fi; \
	done
	@if [ "$(SHELLS)" = yes ]; then sh scripts/shells.sh add $(BINDIR)/ctl; fi
.PHONY: install

uninstall: $(B)/gen/ctld.service $(B)/gen/sshd-ctl.conf
	@set -e; for f in $(PROG_FILES); do \
		dst=$(DESTDIR)$${f%%:*}; \
		if [ -e $$dst ]; then echo "rm $$dst"; rm -f $$dst; fi; \
	done; \
	for f in $(CONF_FILES); do \
		dst=$(DESTDIR)$${f%%:*}; rest=$${f#*:}; src=$${rest%%:*}; \
		if [ ! -e $$dst ]; then :; \
		elif cmp -s $$src $$dst; then echo "rm $$dst"; rm -f $$dst; \
		else echo "kept $$dst (changed since install)"; fi; \
	done; \
	for d in $(OWN_DIRS); do rmdir $(DESTDIR)$$d 2>/dev/null || :; done; \
	if [ -n "$(DESTDIR)" ]; then \
		for f in $(PROG_FILES) $(CONF_FILES); do \
			d=$$(dirname $(DESTDIR)$${f%%:*}); \
			while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != / ] && \
			    { [ ! -e $$d ] || rmdir $$d 2>/dev/null; }; do \
				d=$$(dirname $$d); done; \
		done; \
	fi
	@if [ "$(SHELLS)" = yes ]; then sh scripts/shells.sh remove $(BINDIR)/ctl; fi
.PHONY: uninstall

# The Debian packages (debian/, README.source there): built by
# dpkg-buildpackage from a copy of the tree, so that its clean step never
# touches this build/; the .deb files, .changes and .buildinfo are left
# in $(B)/deb, then checked by lintian: an error or a warning fails (a
# warning debian/ explains is overridden there, with its reason).
DEB_SRC = $(B)/deb/ctl-$(VERSION)
deb:
	rm -rf $(B)/deb
	mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.git --exclude=__pycache__ \
		--exclude=.pytest_cache . | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b -J
	rm -rf $(DEB_SRC)
	lintian --fail-on error,warning --info $(B)/deb/*.changes
.PHONY: deb

# As CI does: the packages installed for real (dpkg -i), ctld started
# from the installed unit, ls and logs by a user whose shell is ctl, the
# audit log rotated under a live follow, then purged (needs root).
deb-check: deb
	$(PYTEST) -v tests/package
.PHONY: deb-check

clean:
	rm -rf $(B) tests/integration/__pycache__ .pytest_cache \
		tests/integration/.pytest_cache tests/package/__pycache__
.PHONY: clean

-include $(COMMON_OBJ:.o=.d) $(BROKER_OBJ:.o=.d) $(SHELL_OBJ:.o=.d) \
	$(PAM_PIC_OBJ:.o=.d)
