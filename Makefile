# ebpfctl — build, test, install.  `make` builds build/ebpfctl and the examples;
# `make check` runs every test layer (unit, open-only, end-to-end).
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
INCDIR  := $(PREFIX)/include/ebpfctl
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

CC      ?= cc
CLANG   ?= clang
PKGS    := libbpf libelf libdw zlib libmicrohttpd libcjson yaml-0.1 gnutls libcrypt libcap libcurl
# sd_notify for Type=notify units: optional (without it ebpfctl never notifies)
HAVE_LIBSYSTEMD ?= $(shell pkg-config --exists libsystemd && echo 1)
ifeq ($(HAVE_LIBSYSTEMD),1)
PKGS    += libsystemd
SYSTEMD_DEF := -DHAVE_LIBSYSTEMD
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	   -D_GNU_SOURCE $(SYSTEMD_DEF) -Irunner -Iinclude $(shell pkg-config --cflags $(PKGS))
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

B       := build
RUNNER_SRC := $(wildcard runner/*.c)
CLI_SRC    := $(wildcard ebpfctl/*.c)
RUNNER_OBJ := $(RUNNER_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
BPF_SRC    := $(wildcard tests/bpf/*.bpf.c)
BPF_OBJ    := $(BPF_SRC:tests/bpf/%.bpf.c=$(B)/tests/bpf/%.bpf.o)
EX_SRC     := $(wildcard examples/*/*.bpf.c)
EX_OBJ     := $(foreach s,$(EX_SRC),$(B)/examples/$(notdir $(s:.bpf.c=.bpf.o)))
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
PYTEST     ?= /usr/bin/python3 -m pytest

.PHONY: all check unit e2e deploy-tests install clean bench check-kernels deps demo
all: $(B)/ebpfctl $(EX_OBJ)

# Objects live under $(B)/obj: $(B)/ebpfctl is the binary, not a directory.
$(B)/obj/%.o: %.c $(wildcard runner/*.h ebpfctl/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DEBPFCTL_VERSION='"$(VERSION)"' -DEBPFCTL_INCDIR='"$(INCDIR)"' -c $< -o $@

# The include dir is compiled in: rebuild what uses it when PREFIX changes
# (`make && make install PREFIX=/usr` must not install a /usr/local path).
$(B)/incdir.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(INCDIR)' | cmp -s - $@ || echo '$(INCDIR)' > $@
$(B)/obj/runner/builder.o $(B)/obj/ebpfctl/cmd_build.o: $(B)/incdir.stamp
# The version is compiled in too (`ebpfctl version`, ebpfctl_build_info): rebuild what prints it
# when `git describe` changes, so an incremental build after a commit is not stale.
$(B)/version.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(B)/obj/ebpfctl/main.o $(B)/obj/runner/metrics.o $(B)/obj/runner/oci_artifact.o: $(B)/version.stamp
.PHONY: FORCE
FORCE:

$(B)/libebpfctl-runner.a: $(RUNNER_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/ebpfctl: $(CLI_OBJ) $(B)/libebpfctl-runner.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(B)/libebpfctl-runner.a $(LDLIBS)

# Fixture probes: vmlinux.h-free (kernel uapi headers), compiled straight with clang.
$(B)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(wildcard tests/bpf/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(BPF_DEFS) -Iinclude -Itests/bpf \
		-I/usr/include/$(shell uname -m)-linux-gnu -c $< -o $@

# The USDT fixture names its target binary by absolute path.
USDT_TARGET := $(CURDIR)/$(B)/tests/usdt_target
$(B)/tests/bpf/at_usdt.bpf.o: BPF_DEFS = -DUSDT_TARGET='"$(USDT_TARGET)"'
$(B)/tests/bpf/at_usdt.bpf.o: $(USDT_TARGET)
$(USDT_TARGET): tests/usdt/usdt_target.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -o $@ $<

# bad_sec.bpf.c again with the other typo
BPF_OBJ += $(B)/tests/bpf/bad_sec_nodot.bpf.o
$(B)/tests/bpf/bad_sec_nodot.bpf.o: tests/bpf/bad_sec.bpf.c $(wildcard tests/bpf/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -DTYPO_SEC='".mapsprint"' -Iinclude -Itests/bpf \
		-I/usr/include/$(shell uname -m)-linux-gnu -c $< -o $@

# at_bare.bpf.c once per program kind (-DBARE_<KIND>), for --attach
BARE_KINDS := uprobe tp kprobe fentry
BPF_OBJ += $(BARE_KINDS:%=$(B)/tests/bpf/at_bare_%.bpf.o)
$(B)/tests/bpf/at_bare_%.bpf.o: tests/bpf/at_bare.bpf.c $(wildcard tests/bpf/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -DBARE_$(shell echo $* | tr a-z A-Z) -Iinclude \
		-Itests/bpf -I/usr/include/$(shell uname -m)-linux-gnu -c $< -o $@

# The same multi-section fixture after the BPF linker (non-zero DATASEC sizes).
$(B)/tests/bpf/rw_linked.bpf.o: $(B)/tests/bpf/rw_multi.bpf.o
	bpftool gen object $@ $<
unit: $(B)/tests/bpf/rw_linked.bpf.o

# Examples are built the way users build: through `ebpfctl build`.
$(B)/examples/%.bpf.o: $(B)/ebpfctl $(wildcard examples/*/*.bpf.c) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	EBPFCTL_INCLUDE=$(CURDIR)/include $(B)/ebpfctl build examples/$*/$*.bpf.c -o $@

$(B)/tests/%: tests/unit/%.c $(B)/libebpfctl-runner.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(B)/libebpfctl-runner.a $(LDLIBS) -lcmocka

unit: $(UNIT_BIN) $(BPF_OBJ)
	@rc=0; for t in $(UNIT_BIN); do EBPFCTL_TEST_BPF=$(B)/tests/bpf $$t || rc=1; done; exit $$rc

e2e: all $(BPF_OBJ)
	$(PYTEST) -q -rs tests/e2e

# A fresh Debian 12 machine gets its missing packages first (a no-op after).
deps:
	@bash ci/install-deps.sh

# Tests that are not about the kernel (container image, Kubernetes manifests, systemd units,
# web config, HTTP limits, man page): on the host only, not again in the second-kernel guest.
deploy-tests: all $(BPF_OBJ)
	$(PYTEST) -q -rs tests/deploy

check: deps
	@$(MAKE) --no-print-directory unit e2e deploy-tests fuzz check-kernels

DEMO ?= execsnoop
demo: deps
	@$(MAKE) --no-print-directory all
	build/ebpfctl run build/examples/$(DEMO).bpf.o --no-metrics

check-kernels: all $(BPF_OBJ)
	bash ci/vm-check.sh

bench: all
	bash bench/run.sh

# ---- Fuzzing (fuzz/README.md) --------------------------------------------------------------
# `make fuzz [FUZZ_SECONDS=N]`: clang libFuzzer targets fuzz/fuzz_<name>.c with ASan + UBSan,
# linked against the runner (and, for env, the CLI) compiled again with the sanitizers under
# $(B)/fuzz/obj; each runs N seconds (default 20) from its committed seeds fuzz/corpus/<name>/
# (read only: new inputs go to $(B)/fuzz/corpus/<name>/) and any crash, leak, UBSan report,
# oracle failure or 10 s hang fails the run, its input left in $(B)/fuzz/artifacts/.
# `make -j2 fuzz` runs two targets at a time; `make fuzz-<name>` runs one.  The inputs are the
# same every time (FUZZ_SEED=1, an empty work corpus; at most FUZZ_RUNS of them), so `make check`
# fails on regressions, not on chance; `make fuzz-long [FUZZ_SECONDS=3600]` explores with random
# seeds, unbounded.
FUZZ_SECONDS ?= 20
FUZZ_SEED    ?= 1
FUZZ_RUNS    ?= 3000000
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g $(filter-out -O% -g,$(CFLAGS)) $(FUZZ_SAN)
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
FUZZ_RUNNER_OBJ := $(RUNNER_SRC:%.c=$(B)/fuzz/obj/%.o)
FUZZ_CLI_OBJ    := $(CLI_SRC:%.c=$(B)/fuzz/obj/%.o)
.PHONY: fuzz fuzz-long fuzz-build $(FUZZ_TARGETS:%=fuzz-%)
fuzz: $(FUZZ_TARGETS:%=fuzz-%)
fuzz-long:
	@$(MAKE) --no-print-directory fuzz FUZZ_SEED=0 FUZZ_RUNS=-1 FUZZ_SECONDS=$(if $(filter command line,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),3600)
fuzz-build: $(FUZZ_BIN)
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(B)/fuzz/fuzz_%
	@B='$(B)' FUZZ_SEED='$(FUZZ_SEED)' FUZZ_RUNS='$(FUZZ_RUNS)' bash fuzz/run.sh $* $(FUZZ_SECONDS)
$(B)/fuzz/obj/%.o: %.c $(wildcard runner/*.h ebpfctl/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_DEFS) -DEBPFCTL_VERSION='"$(VERSION)"' \
		-DEBPFCTL_INCDIR='"$(INCDIR)"' -c $< -o $@
$(B)/fuzz/obj/ebpfctl/main.o: private FUZZ_DEFS = -Dmain=ebpfctl_main
$(B)/fuzz/obj/ebpfctl/main.o $(B)/fuzz/obj/ebpfctl/cmd_build.o $(B)/fuzz/obj/runner/builder.o: $(B)/incdir.stamp
$(B)/fuzz/libebpfctl-runner.a: $(FUZZ_RUNNER_OBJ)
	@rm -f $@
	ar rcs $@ $^
# the objects fuzz_set and fuzz_args open (embedded with .incbin)
$(B)/fuzz/%.bpf.o: fuzz/%.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I/usr/include/$(shell uname -m)-linux-gnu -c $< -o $@
$(B)/fuzz/fuzz_set: $(B)/fuzz/set_globals.bpf.o
$(B)/fuzz/fuzz_set: private FUZZ_DEFS = -DFUZZ_SET_OBJ='"$(abspath $(B))/fuzz/set_globals.bpf.o"'
$(B)/fuzz/fuzz_args: $(B)/fuzz/attach_progs.bpf.o
$(B)/fuzz/fuzz_args: private FUZZ_DEFS = -DFUZZ_ATTACH_OBJ='"$(abspath $(B))/fuzz/attach_progs.bpf.o"'
$(B)/fuzz/fuzz_env: $(FUZZ_CLI_OBJ)
$(B)/fuzz/fuzz_env: private FUZZ_LINK = $(FUZZ_CLI_OBJ)
$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(B)/fuzz/libebpfctl-runner.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_DEFS) -Ifuzz -Iebpfctl -o $@ $< $(FUZZ_LINK) \
		$(B)/fuzz/libebpfctl-runner.a $(LDLIBS)

# man page ebpfctl(1) and bash completion (loaded by bash-completion on first use)
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
install: $(B)/ebpfctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCDIR)
	install -m 755 $(B)/ebpfctl $(DESTDIR)$(BINDIR)/ebpfctl
	install -m 644 include/*.h $(DESTDIR)$(INCDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 doc/ebpfctl.1 $(DESTDIR)$(MANDIR)/man1/ebpfctl.1
	install -m 644 completion/ebpfctl.bash $(DESTDIR)$(BASHCOMPDIR)/ebpfctl

clean:
	rm -rf $(B)

# Container images: OCI archives built from Debian packages (mmdebstrap + umoci,
# no registry), see deploy/image/build.sh. The base layer is cached under
# build/image/cache/ and rebuilt only when its package list or apt sources change.
#   podman load -i build/ebpfctl-image.tar           # -> localhost/ebpfctl:latest
#   podman load -i build/ebpfctl-builder-image.tar   # -> localhost/ebpfctl-builder:latest
IMAGE_SOURCE ?= $(shell git config --get remote.origin.url 2>/dev/null)
IMAGE_FILES  := deploy/image/build.sh $(B)/ebpfctl $(wildcard include/*.h) \
		$(wildcard examples/*/README.md) $(EX_SRC)
.PHONY: image builder-image
image: $(B)/ebpfctl-image.tar
builder-image: $(B)/ebpfctl-builder-image.tar
$(B)/ebpfctl-image.tar: $(IMAGE_FILES) $(EX_OBJ) deploy/image/runtime.packages
	B='$(B)' IMAGE_SOURCE='$(IMAGE_SOURCE)' bash deploy/image/build.sh runtime $@
$(B)/ebpfctl-builder-image.tar: $(IMAGE_FILES) $(EX_OBJ) deploy/image/builder.packages
	B='$(B)' IMAGE_SOURCE='$(IMAGE_SOURCE)' bash deploy/image/build.sh builder $@
