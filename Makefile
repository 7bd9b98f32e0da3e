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
SYSCONFDIR ?= /etc

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
PYTEST ?= /usr/bin/python3 -m pytest
IT_JOBS ?= 4
XDIST = $(shell /usr/bin/python3 -c 'import xdist' 2>/dev/null && printf -- '-n %s --dist loadgroup' $(IT_JOBS))
integration: all
	@rc=0; \
	CTL_SANITIZE="$(SANITIZE)" $(PYTEST) -v $(XDIST) -m "not serial" tests/integration || rc=1; \
	CTL_SANITIZE="$(SANITIZE)" $(PYTEST) -v -m serial tests/integration || rc=1; \
	exit $$rc
.PHONY: integration

# The unit test programs mostly wait out timeouts: they run beside the
# integration tests, and their output follows.
check: all $(UNIT_BIN)
	@rc=0; sh scripts/unit.sh $(UNIT_BIN) >$(B)/unit.log 2>&1 & unit=$$!; \
	$(MAKE) --no-print-directory integration || rc=1; \
	wait $$unit || rc=1; \
	echo "== unit tests (run beside the integration tests)"; \
	cat $(B)/unit.log; \
	test $$rc = 0 || echo "make check: some test failed (see above)"; \
	exit $$rc
.PHONY: check

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
	broker/engine.c broker/clientfd.c broker/hijack.c common/proto.c common/verbs.c common/names.c
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

demo: deps all
	sh scripts/demo.sh
.PHONY: demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(LIBEXECDIR)/ctl
	install -m 0755 $(B)/bin/ctl $(DESTDIR)$(BINDIR)/ctl
	install -m 0755 $(B)/libexec/ctl/ctl-shell \
		$(DESTDIR)$(LIBEXECDIR)/ctl/ctl-shell
	install -m 0755 $(B)/ctld $(DESTDIR)$(SBINDIR)/ctld
	$(if $(PAM_SRC),install -d $(DESTDIR)$(PAMDIR) && \
		install -m 0644 $(B)/pam_ctl.so $(DESTDIR)$(PAMDIR)/pam_ctl.so)
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 docs/man/ctl.1 $(DESTDIR)$(MANDIR)/man1/ctl.1
	install -m 0644 docs/man/ctld.8 $(DESTDIR)$(MANDIR)/man8/ctld.8
	$(if $(PAM_SRC),install -m 0644 docs/man/pam_ctl.8 \
		$(DESTDIR)$(MANDIR)/man8/pam_ctl.8)
	install -d $(DESTDIR)$(SYSCONFDIR)/ctl $(DESTDIR)$(SYSCONFDIR)/pam.d
	test -e $(DESTDIR)$(SYSCONFDIR)/ctl/ctld.conf || \
		install -m 0644 etc/ctld.conf $(DESTDIR)$(SYSCONFDIR)/ctl/ctld.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/pam.d/ctl || \
		install -m 0644 etc/pam.d/ctl $(DESTDIR)$(SYSCONFDIR)/pam.d/ctl
.PHONY: install

clean:
	rm -rf $(B) tests/integration/__pycache__ .pytest_cache \
		tests/integration/.pytest_cache
.PHONY: clean

-include $(COMMON_OBJ:.o=.d) $(BROKER_OBJ:.o=.d) $(SHELL_OBJ:.o=.d) \
	$(PAM_PIC_OBJ:.o=.d)
