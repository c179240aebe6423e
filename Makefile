# imgpool — small explicit Makefile. Variants: build/ (release) and build/asan/
# (ASan+UBSan). `make test` builds and runs everything, both variants.
CC      ?= cc
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

PKGS      := stb libcurl libcjson libexif gmp libdeflate libjpeg zlib libwebp libwebpdemux \
             libwebpmux libtiff-4 libheif libavif lcms2
TEST_PKGS := cmocka
# Asked of pkg-config on first use, not when the Makefile is read: on a fresh
# machine the packages (and pkg-config itself) arrive during this very make,
# from the deps stamps below, which every compile waits for.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
TEST_LIBS  = $(eval TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS)))$(TEST_LIBS)
DEPS_OK      := build/.deps-build
TEST_DEPS_OK := build/.deps-test

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS = $(CPPFLAGS) -std=c11 -D_GNU_SOURCE -DIMGPOOL_VERSION='"$(VERSION)"' -Iinclude \
             $(PKG_CFLAGS) $(WARN) $(CFLAGS) -MMD -MP
LDLIBS   = $(PKG_LIBS) -lpthread -lm
ASAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC  := $(filter-out src/main.c src/cli%.c,$(wildcard src/*.c))
CLI_SRC  := src/main.c $(wildcard src/cli*.c) $(wildcard src/demo/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
TOOL_SRC := $(wildcard tests/tool_*.c)

# $(call objs,VARIANT_DIR,SOURCES)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

B := build
A := build/asan
LIB      := $(B)/libimgpool.a
LIB_ASAN := $(A)/libimgpool.a
TESTS      := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
TESTS_ASAN := $(patsubst tests/%.c,$(A)/tests/%,$(TEST_SRC))
# tool_resample twice: also against a resample module without its per-CPU
# copies of the row loop, so a test can compare the bytes of both.
TOOLS      := $(patsubst tests/%.c,$(B)/tests/%,$(TOOL_SRC)) $(B)/tests/tool_resample_portable
TOOLS_ASAN := $(patsubst tests/%.c,$(A)/tests/%,$(TOOL_SRC)) $(A)/tests/tool_resample_portable

.SECONDARY:
.PHONY: all asan deps test-deps test-build run test style unit integration test-asan bench fuzz install deb clean
all: deps $(B)/imgpool
asan: $(A)/imgpool

deps: $(DEPS_OK)
test-deps: $(TEST_DEPS_OK)
$(DEPS_OK): tools/deps.sh
	@sh tools/deps.sh build
	@mkdir -p build && touch $@
$(TEST_DEPS_OK): tools/deps.sh $(DEPS_OK)
	@sh tools/deps.sh test
	@touch $@

$(B)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(A)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN) -c $< -o $@

$(LIB): $(call objs,$(B),$(LIB_SRC))
	$(AR) rcs $@ $^
$(LIB_ASAN): $(call objs,$(A),$(LIB_SRC))
	$(AR) rcs $@ $^

$(B)/imgpool: $(call objs,$(B),$(CLI_SRC)) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(A)/imgpool: $(call objs,$(A),$(CLI_SRC)) $(LIB_ASAN)
	$(CC) $(CFLAGS) $(LDFLAGS) $(ASAN) -o $@ $^ $(LDLIBS)

$(call objs,$(B),$(TEST_SRC) $(TOOL_SRC)) $(call objs,$(A),$(TEST_SRC) $(TOOL_SRC)): | $(TEST_DEPS_OK)
$(B)/tests/%: $(B)/obj/tests/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)
$(A)/tests/%: $(A)/obj/tests/%.o $(LIB_ASAN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(ASAN) -o $@ $^ $(LDLIBS) $(TEST_LIBS)
$(B)/obj/portable/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DRESAMPLE_PORTABLE -c $< -o $@
$(A)/obj/portable/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN) -DRESAMPLE_PORTABLE -c $< -o $@
$(B)/tests/tool_resample_portable: $(B)/obj/tests/tool_resample.o $(B)/obj/portable/src/resample.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(A)/tests/tool_resample_portable: $(A)/obj/tests/tool_resample.o $(A)/obj/portable/src/resample.o $(LIB_ASAN)
	$(CC) $(CFLAGS) $(LDFLAGS) $(ASAN) -o $@ $^ $(LDLIBS)

# --show-code: src/demo/registry.c embeds every demo's source with the
# assembler's .incbin, which -MMD cannot see; rebuild it when one changes.
$(call objs,$(B),src/demo/registry.c) $(call objs,$(A),src/demo/registry.c): $(wildcard src/demo/*.c)

run: all
	./$(B)/imgpool samples --procs 4 --resize '640x640>' --force --out build/samples-out --trace build/samples-trace.json

# Unit tests (cmocka) then integration tests (the built binary), release
# build first, then the same under ASan+UBSan.
# The written style of .editorconfig (line length, tabs, blanks) for C files.
style:
	@sh tests/run-style.sh
unit: test-deps $(TESTS)
	@sh tests/run-unit.sh $(B)
integration: test-deps $(B)/imgpool $(TOOLS)
	@sh tests/run-integration.sh $(B)
test-asan: test-deps $(A)/imgpool $(TESTS_ASAN) $(TOOLS_ASAN)
	@sh tests/run-unit.sh $(A)
	@sh tests/run-integration.sh $(A)
# Everything `make test` runs, built: `make -j2 test-build` first compiles on
# both cores what `make test` would build one file at a time (.ci/run does).
test-build: test-deps $(B)/imgpool $(TESTS) $(TOOLS) $(A)/imgpool $(TESTS_ASAN) $(TOOLS_ASAN)
test: style unit integration test-asan
	@sh tests/summary.sh $(B) $(A)

# libFuzzer (clang, ASan+UBSan), FUZZ_SECONDS per harness: fuzz_img on
# everything a hostile file reaches (decoders: JPEG, PNG, stb's, WebP, TIFF,
# HEIC/AVIF; gray, resampler, PNG encoder, TIFF encoder with EXIF),
# seeded with samples/, 16-bit and CMYK files made by ImageMagick and the
# shared corpus; fuzz_xkcd on what a hostile
# server sends (JSON record, names from titles, img URL, image check), seeded
# with the fixture's records (tools/xkcd-records.jsonl); fuzz_rle on the
# run-length deflate coder (every input back through zlib's inflate, and a
# buffer a byte short refused), seeded with the image seeds. New inputs and
# crashes stay in build/fuzz/.
# Not part of `make test`: FUZZ_SECONDS=600 make fuzz for a longer run.
FUZZ_SECONDS ?= 120
FUZZ_CC      := clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -std=c11 -D_GNU_SOURCE -DIMGPOOL_VERSION='"$(VERSION)"' -Iinclude
FUZZ_RUN     := -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
fuzz: all
	@sh tools/deps.sh fuzz
	@mkdir -p build/fuzz/img build/fuzz/img-seeds build/fuzz/xkcd build/fuzz/xkcd-seeds \
	  build/fuzz/rle
	$(FUZZ_CC) $$(pkg-config --cflags $(PKGS)) tests/fuzz/fuzz_img.c src/img.c src/png.c src/rle.c \
	  src/jpeg.c src/resample.c src/webp.c src/tiff.c src/heic.c src/avif.c \
	  src/icc.c src/meta.c -o build/fuzz/fuzz_img $$(pkg-config --libs $(PKGS)) -lpthread -lm
	$(FUZZ_CC) $$(pkg-config --cflags $(PKGS)) tests/fuzz/fuzz_xkcd.c src/xkcd.c src/fetch.c \
	  src/outfile.c src/clock.c src/text.c -o build/fuzz/fuzz_xkcd $$(pkg-config --libs $(PKGS)) -lpthread -lm
	$(FUZZ_CC) $$(pkg-config --cflags $(PKGS)) tests/fuzz/fuzz_rle.c src/rle.c \
	  -o build/fuzz/fuzz_rle $$(pkg-config --libs $(PKGS))
	@cp samples/* build/fuzz/img-seeds/
	@# WebP, TIFF and AVIF seeds: the samples written small by imgpool itself
	@for f in webp tiff avif; do ./$(B)/imgpool -q --force --resize 48x48 --format $$f \
	  -o build/fuzz/img-seeds samples || exit 1; done
	@# 16-bit and CMYK seeds (TIFF, PNG, JPEG), which imgpool does not write: ImageMagick's
	@for f in deep16.tif:'-depth 16' deep16.png:'-depth 16' cmyk.tif:'-colorspace CMYK' \
	  cmyk.jpg:'-colorspace CMYK'; do convert samples/photo.jpg -resize 48x48 $${f#*:} \
	  "build/fuzz/img-seeds/$${f%%:*}" || exit 1; done
	@[ ! -d ../shared/corpus ] || find ../shared/corpus -type f -size -200k \
	  -exec cp {} build/fuzz/img-seeds/ \;
	@# fuzz_xkcd: first byte even = a JSON record follows, odd = an image
	@for f in samples/*; do printf '\001' | cat - "$$f" >"build/fuzz/xkcd-seeds/$${f##*/}"; done
	@i=0; while IFS= read -r line; do i=$$((i + 1)); \
	  printf '\000%s' "$$line" >build/fuzz/xkcd-seeds/record-$$i; done <tools/xkcd-records.jsonl
	cd build/fuzz && ./fuzz_img $(FUZZ_RUN) -max_len=200000 img img-seeds
	cd build/fuzz && ./fuzz_xkcd $(FUZZ_RUN) -max_len=65536 xkcd xkcd-seeds
	cd build/fuzz && ./fuzz_rle $(FUZZ_RUN) -max_len=300000 rle img-seeds

bench: all
	@sh tools/deps.sh bench
	@sh tools/bench.sh $(B)/imgpool
	@sh tools/bench-xkcd.sh $(B)/imgpool

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(B)/imgpool $(DESTDIR)$(PREFIX)/bin/imgpool
	install -m 644 doc/imgpool.1 $(DESTDIR)$(PREFIX)/share/man/man1/imgpool.1
	install -m 644 tools/completion/imgpool.bash \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/imgpool
	install -d $(DESTDIR)$(PREFIX)/share/imgpool
	install -m 755 tools/xkcd-server.py $(DESTDIR)$(PREFIX)/share/imgpool/xkcd-server.py
	install -m 644 tools/xkcd-records.jsonl $(DESTDIR)$(PREFIX)/share/imgpool/xkcd-records.jsonl
	install -d $(DESTDIR)$(PREFIX)/share/imgpool/samples
	install -m 644 samples/* $(DESTDIR)$(PREFIX)/share/imgpool/samples/

# The Debian package, built from the committed tree in build/deb/ (so
# dpkg-buildpackage's ../ outputs stay inside build/): build/deb/*.deb.
deb:
	@sh tools/deps.sh deb
	rm -rf build/deb && mkdir -p build/deb/imgpool-$(VERSION)
	git archive HEAD | tar -x -C build/deb/imgpool-$(VERSION)
	cd build/deb/imgpool-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian build/deb/imgpool_$(VERSION)_*.changes

clean:
	rm -rf build

-include $(shell find build -path build/deb -prune -o -name '*.d' -print 2>/dev/null)
