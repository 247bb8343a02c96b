# wb: a research workbench for Laplacian-loss ablations on small U-Nets.
#
#   make                 build bin/wb (installs missing Debian packages first, see `make deps`)
#   make test            build and run every test (unit, gradient, golden, CLI)
#   make sweep           the main job: the lossweights ablation and its report (budgets of 8 and 16 epochs)
#   make sweep-full      the same design over budgets of 8 to 128 epochs, extending make sweep's runs
#   make install         wb into $(PREFIX)/bin (PREFIX=/usr/local; PREFIX=~/.local without root)
#   make GEMM=cblas test the same tests with a CBLAS GEMM (GSL's CBLAS unless CBLAS_LIBS says otherwise)
#   make check-asan      the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make check-valgrind  a micro sweep under valgrind (no -march=native, CBLAS)
#   make test-slurm      a real one-node SLURM job array of two shards, merged and compared
#   make test-browser    wb serve in headless Chromium while a sweep trains (needs `make browser-deps`)
#   make bench           benchmarks against PyTorch (needs `make bench-deps`)
#   make check-python    the report's loss as PyTorch code against wb's loss (needs `make python-deps`)
#   make check-python-module  python/wbtorch (PyTorch) against bin/wb (needs `make python-deps`)
#   make stats-reference regenerate the statistics fixture with SciPy/statsmodels (not in make test)
#   make fuzz            libFuzzer targets, each for FUZZ_SECONDS (needs clang)

SHELL := /bin/bash
.DEFAULT_GOAL := all

CC       ?= cc
BUILD    ?= $(if $(filter cblas,$(GEMM)),build-cblas,build)
GEMM     ?= dnnl
OPT      ?= -O3 -march=native
HARDEN   ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SAN      ?=
WB_VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CPPFLAGS += -I. -I$(BUILD)/gen -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
# -fno-math-errno: nothing reads errno after a math call, and with it sqrtf is an instruction, so
# the Adam step vectorises (it ran scalar: 1.6 % of a training step).
CFLAGS   += -std=c11 -Wall -Wextra -g $(OPT) -fno-math-errno $(HARDEN) $(SAN) -fopenmp -MMD -MP
LDFLAGS  += $(SAN) -fopenmp
LDLIBS   := -lsqlite3 -lpng -lcjson -linih -lnettle -lgsl -lmicrohttpd -lm

ifeq ($(GEMM),dnnl)
  CPPFLAGS += -DWB_GEMM_DNNL
  LDLIBS   += -ldnnl -lgslcblas
else ifeq ($(GEMM),cblas)
  CBLAS_LIBS ?= -lgslcblas
  CPPFLAGS += -DWB_GEMM_CBLAS
  LDLIBS   += $(CBLAS_LIBS)
else
  $(error GEMM must be dnnl or cblas, not '$(GEMM)')
endif

# ---------------------------------------------------------------------------------------------
# Debian packages. `make` and `make test` install them first when a header or tool is missing.
DEB_PACKAGES := gcc make pkg-config git libdnnl-dev libgsl-dev libcjson-dev libcmocka-dev \
                libinih-dev libpng-dev libsqlite3-dev nettle-dev gnuplot-nox sqlite3 \
                libmicrohttpd-dev curl jq
NEEDED_FILES := /usr/include/dnnl.h /usr/include/gsl/gsl_rng.h /usr/include/cjson/cJSON.h \
                /usr/include/cmocka.h /usr/include/ini.h /usr/include/png.h /usr/include/sqlite3.h \
                /usr/include/nettle/sha2.h /usr/bin/gnuplot /usr/bin/sqlite3 \
                /usr/include/microhttpd.h /usr/bin/curl /usr/bin/jq
MISSING_FILES := $(strip $(foreach f,$(NEEDED_FILES),$(if $(wildcard $(f)),,$(f))))

define apt_install
	@if [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends $(1) || \
	    { apt-get update && apt-get install -y --no-install-recommends $(1); }; \
	else \
	  echo "wb: missing packages; run as root:"; \
	  echo "  apt-get update && apt-get install -y --no-install-recommends $(1)"; exit 1; \
	fi
endef

.PHONY: deps deps-if-missing bench-deps fuzz-deps valgrind-deps browser-deps python-deps
deps:
	$(call apt_install,$(DEB_PACKAGES))
deps-if-missing:
ifneq ($(MISSING_FILES),)
	@echo "wb: missing $(MISSING_FILES): installing build dependencies"
	@$(MAKE) --no-print-directory deps
endif
bench-deps:
	$(call apt_install,python3-torch python3-numpy hyperfine time)
fuzz-deps:
	$(call apt_install,clang libclang-rt-14-dev)
valgrind-deps:
ifeq ($(shell command -v valgrind),)
	$(call apt_install,valgrind)
endif
# The Python interpreter of every Python target and of README's Python lines: Debian's, which
# Debian's python3-torch and python3-numpy install into (the `python3` first on PATH may be
# another one without them; a venv works when made with --system-site-packages).
PYTHON ?= /usr/bin/python3
# Debian's PyTorch and NumPy for $(PYTHON), for make check-python and README's Python lines.
python-deps:
ifneq ($(shell $(PYTHON) -c 'import torch, numpy' 2>/dev/null && echo ok),ok)
	$(call apt_install,python3-torch python3-numpy)
	@$(PYTHON) -c 'import torch, numpy' 2>/dev/null || { echo "wb: $(PYTHON) cannot import torch" \
	  "and numpy, which Debian installed for /usr/bin/python3: use PYTHON=/usr/bin/python3, or a" \
	  "venv made with --system-site-packages"; exit 1; }
endif
# Debian's Chromium, for make test-browser (headless; about 300 MB with its libraries).
browser-deps:
ifeq ($(shell command -v chromium),)
	$(call apt_install,chromium)
endif

# ---------------------------------------------------------------------------------------------
# Sources: one folder per module; every .c but wb/main.c goes into the library the tests link.
MODULES  := base data model store analysis plots serve wb
LIB_SRC  := $(filter-out wb/main.c,$(wildcard $(addsuffix /*.c,$(MODULES))))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/support/*.c))

.PHONY: all clean test check-asan check-valgrind test-slurm test-browser sweep bench fuzz FORCE
# The build uses every core unless the caller chose a job count (`make sweep` from a fresh clone
# builds in about 26 s on 2 cores instead of 48; -j is only visible to a recipe).
all: deps-if-missing
	@case " $$MAKEFLAGS" in *" -j"*) jobs= ;; *) jobs=-j$$(nproc) ;; esac; \
	 $(MAKE) --no-print-directory $$jobs wb-binary

.PHONY: wb-binary
wb-binary: $(BUILD)/wb
ifeq ($(BUILD),build)
	@mkdir -p bin && ln -sf ../$(BUILD)/wb bin/wb
endif

$(BUILD)/obj/%.o: %.c $(BUILD)/gen/flags | $(BUILD)/gen/wb_build.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The compile flags, rewritten only when they change: objects built with other flags (OPT, SAN,
# HARDEN, GEMM in one build folder) are rebuilt instead of linked together.
$(BUILD)/gen/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)' > $@.tmp; \
	 if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# Files embedded with .incbin: the object must be rebuilt when they change.
$(BUILD)/obj/data/photos.o: $(wildcard data/photos/*.png) data/photos/NOTICE.md
$(BUILD)/obj/store/schema.o: store/schema.sql
$(BUILD)/obj/serve/assets.o: $(filter-out %.md %.sh,$(wildcard serve/assets/*))

# Build identity (version, commit, dirty flag, compiler, flags), rewritten only when it changes.
$(BUILD)/gen/wb_build.h: FORCE
	@mkdir -p $(@D)
	@commit=$$(git rev-parse --verify -q HEAD 2>/dev/null || echo unknown); \
	 dirty=$$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo 1 || echo 0); \
	 { echo '#define WB_VERSION "$(WB_VERSION)"'; \
	   echo "#define WB_GIT_COMMIT \"$$commit\""; \
	   echo "#define WB_GIT_DIRTY $$dirty"; \
	   echo "#define WB_COMPILER \"$$($(CC) --version | head -n1 | sed 's/\"//g')\""; \
	   echo '#define WB_CFLAGS "$(strip $(OPT) $(HARDEN) $(SAN))"'; \
	   echo '#define WB_GEMM_NAME "$(GEMM)"'; } > $@.tmp; \
	 if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/libwb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/wb: $(BUILD)/obj/wb/main.o $(BUILD)/libwb.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libwb.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libwb.a $(LDLIBS) -lcmocka

# ---------------------------------------------------------------------------------------------
# Tests: every tests/test_*.c (cmocka) and every tests/cli_*.sh, run by tests/run.sh.
test: deps-if-missing
	@$(MAKE) --no-print-directory test-build
	@WB=$(BUILD)/wb BUILD=$(BUILD) bash tests/run.sh $(TESTS)

.PHONY: test-build
test-build: $(BUILD)/wb $(TEST_BIN)

check-asan: deps-if-missing
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer" HARDEN= \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

# Without -march=native (valgrind knows no AVX-512) and with CBLAS: oneDNN's JIT kernels read
# whole vectors past the ends of their buffers, which valgrind reports as invalid reads in code
# it cannot name; the check is of wb's own memory handling.
check-valgrind: deps-if-missing valgrind-deps
	@$(MAKE) --no-print-directory BUILD=build-valgrind OPT="-O2" GEMM=cblas build-valgrind/wb
	@bash tests/valgrind.sh build-valgrind/wb

test-slurm: all
	@bash tests/slurm.sh bin/wb

# wb serve in a real browser (headless Chromium) while a sweep trains: about a minute.
test-browser: all
	@bash tests/browser/run.sh $(BUILD)/wb

# python/wbtorch against bin/wb: PyTorch's predictions with a run's weights equal wb predict's
# (needs python3-torch and python3-numpy: `make bench-deps`; not part of `make test`).
.PHONY: check-python-module
check-python-module: all
	@WB=$(BUILD)/wb $(PYTHON) tests/python/test_wbtorch.py

# The golden fixture: wb's initial weights through PyTorch (needs `make bench-deps`).
$(BUILD)/tests/golden_export: tests/golden/golden_export.c $(BUILD)/libwb.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libwb.a $(LDLIBS)

.PHONY: golden
golden: $(BUILD)/tests/golden_export
	@d=$$(mktemp -d) && $(BUILD)/tests/golden_export $$d && \
	  $(PYTHON) tests/golden/make_golden.py $$d tests/fixtures/golden_unet.safetensors; \
	  rc=$$?; rm -rf $$d; exit $$rc

# The loss to take home (plots/takehome.h): the PyTorch code of a generated report, and of every
# kernel, normalisation, border and pixel loss, run on fixed tensors and compared with wb's own
# loss to 1e-6 (tests/python/check_takehome_loss.py). Python, so not part of make test.
$(BUILD)/tests/takehome_loss: tests/python/takehome_loss.c $(BUILD)/libwb.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libwb.a $(LDLIBS)

.PHONY: check-python
check-python: all python-deps $(BUILD)/tests/takehome_loss
	@d=$$(mktemp -d /tmp/wb-check-python-XXXXXX) && \
	  $(BUILD)/wb sweep experiments/micro.ini --db $$d/micro.db --quiet >/dev/null && \
	  $(BUILD)/wb report --db $$d/micro.db --out $$d/report >/dev/null && \
	  WB=$(BUILD)/wb $(PYTHON) tests/python/check_takehome_loss.py $(BUILD)/tests/takehome_loss \
	    $$d/report/report.md; rc=$$?; rm -rf $$d; exit $$rc

# The statistics fixture: SciPy's and statsmodels' answers for analysis/stats.h (needs Debian's
# python3-scipy, python3-statsmodels and python3-mpmath; about a minute). Not run by make test.
.PHONY: stats-reference
stats-reference:
	$(PYTHON) tests/fixtures/make_stats_reference.py tests/fixtures/stats_reference.h

# `make install [PREFIX=~/.local]`: wb into $(PREFIX)/bin, so that the commands wb suggests
# (`wb ls --db ...`) work when pasted. One self-contained binary (the photos, the schema and the
# web view's files are inside it); the Debian libraries it links stay where `make deps` put them.
PREFIX ?= /usr/local
.PHONY: install uninstall
install: $(if $(WB_PREBUILT),,all)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(or $(WB_PREBUILT),$(BUILD)/wb) $(DESTDIR)$(PREFIX)/bin/wb
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; \
	  *) echo "wb: $(PREFIX)/bin is not on your PATH: add it (export PATH=\"$(PREFIX)/bin:\$$PATH\")";; esac
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/wb

# WB_SWEEP_INI picks another INI (WB_SWEEP_INI=experiments/smoke.ini make sweep: the same at
# smoke size); WB_PREBUILT runs a wb built elsewhere instead of building bin/wb (the README test).
WB_SWEEP_INI ?= experiments/lossweights.ini
WB_PREBUILT  ?=
sweep: $(if $(WB_PREBUILT),,all)
	$(or $(WB_PREBUILT),bin/wb) sweep $(WB_SWEEP_INI) --jobs 2
	$(or $(WB_PREBUILT),bin/wb) report $(WB_SWEEP_INI)

.PHONY: sweep-full
sweep-full: all
	bin/wb sweep experiments/lossweights-full.ini --jobs 2
	bin/wb report experiments/lossweights-full.ini

$(BUILD)/bench/bench_train: bench/bench_train.c $(BUILD)/libwb.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libwb.a $(LDLIBS)

bench: all $(BUILD)/bench/bench_train
	@bash bench/run.sh

fuzz: deps-if-missing fuzz-deps
	@bash tests/fuzz/run.sh

clean:
	rm -rf build build-* bin

FORCE:

# Test support objects are prerequisites of several tests: keep them between builds.
.SECONDARY: $(TEST_SUPPORT_OBJ)

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/wb/main.d $(TEST_BIN:=.d)
