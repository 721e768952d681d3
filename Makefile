# chemvae build.
#
#   make            build build/chemvae and build/libchemvae.a (nothing else: no packages)
#   make deps       install the missing Debian packages and fetch RDKit's C FFI source from
#                   Debian's rdkit source package (says on stderr what it changes)
#   make demo       the README's first command: deps, then the demo pipeline
#   make test       deps and MPI, then the module-graph check (tests/check-layers.sh) and
#                   every test (tests/test_*.c, cmocka)
#   make asan       the tests under AddressSanitizer + UBSan (build/asan)
#   make bench      benchmarks side by side with the Python references (tests/bench/*.sh)
#   make fuzz       libFuzzer targets (tests/fuzz/fuzz_*.c) for FUZZ_SECONDS (or FUZZ_RUNS
#                   executions) each; FUZZ_TARGETS="checkpoint vocab" picks targets
#   make format / format-check
#   make install    PREFIX (default /usr/local) and DESTDIR: the program, libchemvae.so
#                   and the static libraries, the headers, chemvae.pc, the SQLite
#                   extension, the shipped model and vocabulary
#
# Sources are found by wildcard: a new src/<stage>/*.c joins the library, a new
# src/cli/*.c joins the program, a new tests/test_*.c becomes a test binary.
# Third-party pieces are built from Debian packages into build/deps (see deps/).

BUILD      ?= build
DEPS_BUILD := build/deps
CC         ?= gcc
CXX        ?= g++
ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := g++
endif
OPT        ?= -O2 -g
SAN        ?=
WERROR     ?=
ifeq ($(NATIVE),1)
OPT += -march=native
endif

# Debian packages: what building needs; what tests add (report rendering check, NumPy for
# the Python package's model calls); what benchmarks add.
PACKAGES       := gcc g++ make pkg-config libopenblas-dev librdkit-dev rdkit-data libcsv-dev \
                  libsqlite3-dev libboost-dev rapidjson-dev libeigen3-dev libcmocka-dev \
                  zlib1g-dev python3 xz-utils
TEST_PACKAGES  := chromium sqlite3 python3-numpy python3-rdkit
MPI_PACKAGES   := libopenmpi-dev openmpi-bin
PG_PACKAGES    := libpq-dev postgresql-15 postgresql-15-rdkit
BENCH_PACKAGES := python3-rdkit python3-torch
FUZZ_PACKAGES  := clang libclang-rt-14-dev

# Release hardening (Debian's hardening=+all set): checked libc calls, stack protector and
# stack-clash probes, position-independent executables, full RELRO. Off under sanitizers
# (ASan and _FORTIFY_SOURCE intercept the same calls) and with `make HARDEN=`. The benchmarks
# measured no difference (README "Speed": tests/bench/harden.sh).
HARDEN   ?= 1
ifeq ($(SAN),)
ifeq ($(HARDEN),1)
HARDEN_CFLAGS  := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
endif
endif

# MPI (OpenMPI): data-parallel training, `mpirun -np N chemvae train` (src/nn/dist.c, the only
# file that includes <mpi.h>). On where mpicc is on the PATH (`make test` installs
# MPI_PACKAGES first); MPI=0 builds without it, MPI=1 insists. Without MPI the program trains
# in one process and the MPI tests skip.
MPI_ASKED := $(MPI)
ifeq ($(origin MPI),undefined)
MPI := $(if $(shell command -v mpicc 2>/dev/null),1,0)
endif
ifeq ($(MPI),1)
MPI_CFLAGS := -DCHEMVAE_MPI $(shell mpicc --showme:compile)
MPI_LIBS   := $(shell mpicc --showme:link)
endif

# PostgreSQL (libpq): the results store at a `--db postgresql://...` URI (src/store/pg.c, the
# only file that includes <libpq-fe.h>). On where pkg-config finds libpq (`make test`
# installs PG_PACKAGES first); PG=0 builds without it, PG=1 insists.
PG_ASKED := $(PG)
ifeq ($(origin PG),undefined)
PG := $(if $(shell pkg-config --exists libpq 2>/dev/null && echo 1),1,0)
endif
ifeq ($(PG),1)
PG_CFLAGS := -DCHEMVAE_PG $(shell pkg-config --cflags libpq)
PG_LIBS   := $(shell pkg-config --libs libpq)
endif

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(WERROR) $(SAN) $(HARDEN_CFLAGS) -Iinclude -MMD -MP
CXXFLAGS := -std=c++17 -D_GNU_SOURCE $(OPT) -Wall -Wextra $(WERROR) $(SAN) $(HARDEN_CFLAGS) -fPIC -Iinclude -MMD -MP \
            -include RDGeneral/RDConfig.h -DBOOST_BIND_GLOBAL_PLACEHOLDERS \
            -I/usr/include/rdkit -I/usr/include/eigen3 -I$(DEPS_BUILD)/rdkit-src
RDKIT_CFLAGS := -I/usr/include/rdkit -I$(DEPS_BUILD)/rdkit-src

RDKIT_LIBS := FilterCatalog Catalogs ChemTransforms MolStandardize DistGeomHelpers MolAlign MolTransforms \
              ChemReactions MolDraw2D Depictor MolInterchange Descriptors Fingerprints SubstructMatch FileParsers \
              SmilesParse DataStructs GraphMol RDGeneral
LDLIBS := $(DEPS_BUILD)/librdkitcffi.a $(addprefix -lRDKit,$(RDKIT_LIBS)) \
          -lopenblas -lsqlite3 -lcsv -lz -lstdc++ -lm -lpthread $(MPI_LIBS) $(PG_LIBS)
TEST_LDLIBS := -lcmocka

# ---- sources -------------------------------------------------------------------------
LIB_DIRS  := core chem data nn model latent store app report pipeline
LIB_C     := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
LIB_CXX   := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.cpp))
LIB_GEN   :=
CLI_C     := $(wildcard src/cli/*.c)
TEST_C    := $(wildcard tests/test_*.c)
SUPPORT_C := $(wildcard tests/support/*.c)
BENCH_C   := $(wildcard tests/bench/bench_*.c)
FUZZ_C    := $(wildcard tests/fuzz/fuzz_*.c)

OBJ       = $(BUILD)/obj
LIB_OBJ   = $(LIB_C:%.c=$(OBJ)/%.o) $(LIB_CXX:%.cpp=$(OBJ)/%.o) $(LIB_GEN)
CLI_OBJ   = $(CLI_C:%.c=$(OBJ)/%.o)
SUP_OBJ   = $(SUPPORT_C:%.c=$(OBJ)/%.o)
LIB       = $(BUILD)/libchemvae.a
BIN       = $(BUILD)/chemvae
PICOBJ    = $(BUILD)/picobj
PIC_OBJ   = $(LIB_C:%.c=$(PICOBJ)/%.o) $(LIB_CXX:%.cpp=$(PICOBJ)/%.o) $(PICOBJ)/gen/chem_fpscores.o
SHLIB     = $(BUILD)/libchemvae.so.0
SQLITE_EXT = $(BUILD)/chemvae_sqlite.so
TESTS     = $(TEST_C:tests/%.c=$(BUILD)/tests/%)
BENCHES   = $(BENCH_C:tests/bench/%.c=$(BUILD)/bench/%)

DEPS_READY := $(DEPS_BUILD)/deps.stamp
CFFI_LIB   := $(DEPS_BUILD)/librdkitcffi.a

.PHONY: all demo test test-run asan bench bench-run fuzz format format-check clean packages deps install
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BIN) $(LIB) $(SHLIB) $(SQLITE_EXT)

# ---- third-party pieces, built at build time from Debian packages ---------------------
# `make deps` is the only step that changes the system (both scripts are no-ops when
# everything is there); a plain `make` without it stops with a message saying so.
deps:
	@mkdir -p $(DEPS_BUILD)
	deps/install-packages.sh $(PACKAGES)
	deps/fetch-rdkit-source.sh $(DEPS_BUILD)/rdkit-src
	@touch $(DEPS_READY)

packages: deps

$(DEPS_READY):
	@echo "chemvae: the build dependencies are not set up: run 'make deps' first (it installs" \
	  "missing Debian packages and fetches RDKit's C FFI source; 'make demo' and 'make test' run it)" >&2
	@exit 1

$(DEPS_BUILD)/rdkit-src/cffiwrapper.cpp: | $(DEPS_READY)

$(DEPS_BUILD)/cffi/cffiwrapper.o: $(DEPS_BUILD)/rdkit-src/cffiwrapper.cpp
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -fPIC -w -include RDGeneral/RDConfig.h -DBOOST_BIND_GLOBAL_PLACEHOLDERS \
	  -Ideps/rdkit-shim -I/usr/include/rdkit -I/usr/include/eigen3 -I$(DEPS_BUILD)/rdkit-src \
	  -c $< -o $@

$(DEPS_BUILD)/cffi/inchi_stub.o: deps/rdkit-shim/inchi_stub.cpp | $(DEPS_READY)
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -fPIC -Ideps/rdkit-shim -I/usr/include/rdkit -c $< -o $@

$(CFFI_LIB): $(DEPS_BUILD)/cffi/cffiwrapper.o $(DEPS_BUILD)/cffi/inchi_stub.o
	rm -f $@
	ar rcs $@ $^

# ---- project objects ----------------------------------------------------------------
$(OBJ)/%.o: %.c | $(DEPS_READY)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.cpp | $(DEPS_READY)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# The same sources as position-independent code for the shared objects (libchemvae.so.0,
# chemvae_sqlite.so); the per-file flags below apply to both object trees.
$(PICOBJ)/%.o: %.c | $(DEPS_READY)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -c $< -o $@
$(PICOBJ)/%.o: %.cpp | $(DEPS_READY)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -fPIC -c $< -o $@

# The packed GEMM kernel's multiply-adds must become FMAs; -std=c11 turns contraction off.
$(OBJ)/src/nn/gemm_packed.o $(PICOBJ)/src/nn/gemm_packed.o: CFLAGS += -ffp-contract=fast

# Only the chem module sees RDKit's headers.
$(OBJ)/src/chem/%.o $(PICOBJ)/src/chem/%.o: CFLAGS += $(RDKIT_CFLAGS)

# MPI reaches dist.c alone; the stamp rebuilds it when MPI is switched on or off.
$(OBJ)/src/nn/dist.o $(PICOBJ)/src/nn/dist.o: CFLAGS += $(MPI_CFLAGS)
$(OBJ)/src/nn/dist.o $(PICOBJ)/src/nn/dist.o: $(BUILD)/gen/mpi.stamp
$(BUILD)/gen/mpi.stamp: FORCE
	@mkdir -p $(@D)
	@echo 'MPI=$(MPI) $(MPI_CFLAGS) $(MPI_LIBS)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# libpq reaches pg.c alone; the stamp rebuilds it when PG is switched on or off.
$(OBJ)/src/store/pg.o $(PICOBJ)/src/store/pg.o: CFLAGS += $(PG_CFLAGS)
$(OBJ)/src/store/pg.o $(PICOBJ)/src/store/pg.o: $(BUILD)/gen/pg.stamp
$(BUILD)/gen/pg.stamp: FORCE
	@mkdir -p $(@D)
	@echo 'PG=$(PG) $(PG_CFLAGS) $(PG_LIBS)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# SA-score fragment table: rdkit-data's fpscores.pkl.gz converted to C at build time.
FPSCORES_PKL := /usr/share/RDKit/Contrib/SA_Score/fpscores.pkl.gz
$(BUILD)/gen/chem_fpscores.c: deps/gen-fpscores.py | $(DEPS_READY)
	@mkdir -p $(@D)
	python3 deps/gen-fpscores.py $(FPSCORES_PKL) $@
$(OBJ)/gen/chem_fpscores.o: $(BUILD)/gen/chem_fpscores.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
$(PICOBJ)/gen/chem_fpscores.o: $(BUILD)/gen/chem_fpscores.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -c $< -o $@
LIB_GEN += $(OBJ)/gen/chem_fpscores.o

# The build's git commit for cv_git_commit(): the header is rewritten only when the commit
# (or the tree's dirtiness) changes, so only src/core/version.o rebuilds after a commit.
GIT_COMMIT := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
                { git diff --quiet HEAD -- 2>/dev/null || c="$$c+"; echo "$$c"; } || echo unknown)
$(BUILD)/gen/git_commit.h: FORCE
	@mkdir -p $(@D)
	@echo '#define CHEMVAE_GIT_COMMIT "$(GIT_COMMIT)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(OBJ)/src/core/version.o $(PICOBJ)/src/core/version.o: $(BUILD)/gen/git_commit.h
$(OBJ)/src/core/version.o $(PICOBJ)/src/core/version.o: CFLAGS += -I$(BUILD)/gen
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# ---- shared objects ----------------------------------------------------------------------
# libchemvae.so.0 (soname libchemvae.so.0, exports per src/libchemvae.map; RDKit's C FFI
# stays inside). The SQLite extension is its entry point alone, linked to libchemvae.so.0
# and finding it beside itself ($ORIGIN), as in PREFIX/lib after `make install`.
$(SHLIB): $(PIC_OBJ) $(CFFI_LIB) src/libchemvae.map
	$(CXX) -shared $(SAN) -Wl,-z,relro -Wl,-z,now -Wl,-soname,libchemvae.so.0 \
	  -Wl,--version-script=src/libchemvae.map -o $@ $(PIC_OBJ) $(LDLIBS)
$(SQLITE_EXT): $(PICOBJ)/src/sqlite_ext/chemvae_sqlite.o $(SHLIB) src/sqlite_ext/exports.map
	$(CC) -shared $(SAN) -Wl,-z,relro -Wl,-z,now -Wl,--version-script=src/sqlite_ext/exports.map \
	  -Wl,-rpath,'$$ORIGIN' -o $@ $< $(SHLIB) -lsqlite3

$(BIN): $(CLI_OBJ) $(LIB) $(CFFI_LIB)
	$(CC) $(SAN) $(HARDEN_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(OBJ)/tests/%.o $(SUP_OBJ) $(LIB) $(CFFI_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN) $(HARDEN_LDFLAGS) -o $@ $< $(SUP_OBJ) $(LIB) $(LDLIBS) $(TEST_LDLIBS)

# The fuzz smoke test links every fuzz target, each entry point renamed smoke_fuzz_<name>.
FUZZ_SMOKE_OBJ = $(FUZZ_C:tests/fuzz/%.c=$(OBJ)/fuzzsmoke/%.o)
$(OBJ)/fuzzsmoke/%.o: tests/fuzz/%.c | $(DEPS_READY)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DLLVMFuzzerTestOneInput=smoke_$* -c $< -o $@
$(BUILD)/tests/test_fuzz_smoke: $(OBJ)/tests/test_fuzz_smoke.o $(FUZZ_SMOKE_OBJ) $(SUP_OBJ) $(LIB) $(CFFI_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN) $(HARDEN_LDFLAGS) -o $@ $< $(FUZZ_SMOKE_OBJ) $(SUP_OBJ) $(LIB) $(LDLIBS) $(TEST_LDLIBS)

$(BUILD)/bench/%: $(OBJ)/tests/bench/%.o $(SUP_OBJ) $(LIB) $(CFFI_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN) $(HARDEN_LDFLAGS) -o $@ $< $(SUP_OBJ) $(LIB) $(LDLIBS)

# ---- commands -------------------------------------------------------------------------
demo:
	$(MAKE) deps
	$(MAKE) $(BIN)
	tests/run-demo.sh $(BIN)

TEST_PKG_STAMP := $(DEPS_BUILD)/test-packages.stamp
$(TEST_PKG_STAMP): deps/install-packages.sh
	@mkdir -p $(@D)
	deps/install-packages.sh $(TEST_PACKAGES)
	@touch $@

test:
	$(MAKE) deps
	$(if $(filter 0,$(MPI_ASKED)),,deps/install-packages.sh $(MPI_PACKAGES))
	$(if $(filter 0,$(PG_ASKED)),,deps/install-packages.sh $(PG_PACKAGES))
	$(MAKE) test-run

# tests/check-mpi.sh (test_dist) drives training through the benchmarks' bench_dist.
test-run: $(TESTS) $(BIN) $(BUILD)/bench/bench_dist $(TEST_PKG_STAMP)
	@tests/check-layers.sh
	@BUILD=$(BUILD) tests/run-tests.sh $(TESTS)

# Leaks inside RDKit itself (not chemvae) are suppressed narrowly: tests/lsan.supp.
LSAN_ENV = LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp
asan:
	$(LSAN_ENV) $(MAKE) BUILD=build/asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

bench:
	$(MAKE) deps
	$(MAKE) bench-run

bench-run: $(BENCHES) $(BIN)
	deps/install-packages.sh $(BENCH_PACKAGES)
	@set -e; for s in tests/bench/*.sh; do echo "== $$s"; BUILD=$(BUILD) bash $$s; done

FUZZ_SECONDS ?= 30
fuzz:
	$(MAKE) deps
	deps/install-packages.sh $(FUZZ_PACKAGES)
	$(MAKE) BUILD=build/fuzz CC=clang CXX=clang++ OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer" fuzz-run

FUZZERS = $(FUZZ_C:tests/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: $(OBJ)/tests/fuzz/%.o $(LIB) $(CFFI_LIB)
	@mkdir -p $(@D)
	$(CXX) $(SAN) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

.PHONY: fuzz-run
# FUZZ_RUNS=N: N executions per target instead of FUZZ_SECONDS; FUZZ_TARGETS=NAME...: only
# those targets (names without fuzz_).
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
FUZZ_RUN_LIST = $(if $(FUZZ_TARGETS),$(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%),$(FUZZERS))
fuzz-run: $(FUZZ_RUN_LIST)
	@set -e; for f in $(FUZZ_RUN_LIST); do \
	  name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; work=$(BUILD)/fuzz/work-$$name; \
	  mkdir -p $$work; cp -r $$corpus/. $$work/ 2>/dev/null || true; \
	  echo "== $$name ($(FUZZ_LIMIT))"; \
	  $(LSAN_ENV) $$f $(FUZZ_LIMIT) -max_len=8192 -print_final_stats=1 $$work; done

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' '*.cpp')
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@deps/install-packages.sh clang-format
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "ok   $(words $(FORMAT_FILES)) files formatted (.clang-format)"

# ---- install ----------------------------------------------------------------------------
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/^\#define CHEMVAE_VERSION_STRING "\(.*\)"/\1/p' include/chemvae/core/version.h)
PC_LIBS := $(addprefix -lRDKit,$(RDKIT_LIBS)) -lopenblas -lsqlite3 -lcsv -lz -lstdc++ -lm -lpthread $(MPI_LIBS) $(PG_LIBS)
install: $(BIN) $(LIB) $(SHLIB) $(CFFI_LIB) $(SQLITE_EXT)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/chemvae \
	  $(DESTDIR)$(PREFIX)/share/chemvae/models $(DESTDIR)$(PREFIX)/share/chemvae/vocab \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/chemvae
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/chemvae
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libchemvae.a
	install -m 755 $(SHLIB) $(DESTDIR)$(PREFIX)/lib/libchemvae.so.$(VERSION)
	ln -sf libchemvae.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libchemvae.so.0
	ln -sf libchemvae.so.0 $(DESTDIR)$(PREFIX)/lib/libchemvae.so
	install -m 644 $(CFFI_LIB) $(DESTDIR)$(PREFIX)/lib/libchemvae_rdkit.a
	install -m 644 $(SQLITE_EXT) $(DESTDIR)$(PREFIX)/lib/chemvae_sqlite.so
	install -m 644 include/chemvae/chemvae.h $(DESTDIR)$(PREFIX)/include/chemvae/
	for d in include/chemvae/*/; do \
	  install -d $(DESTDIR)$(PREFIX)/$$d && install -m 644 $$d*.h $(DESTDIR)$(PREFIX)/$$d || exit 1; \
	done
	install -m 644 results/models/zinc24k-small.cvae $(DESTDIR)$(PREFIX)/share/chemvae/models/
	install -m 644 vocab/*.vocab $(DESTDIR)$(PREFIX)/share/chemvae/vocab/
	install -m 644 src/chemvae.1 $(DESTDIR)$(PREFIX)/share/man/man1/chemvae.1
	install -m 644 src/python/chemvae/__init__.py $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/chemvae/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(PC_LIBS)|' \
	  src/chemvae.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/chemvae.pc

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(PICOBJ) -name '*.d' 2>/dev/null)
