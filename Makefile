# libcoap-3-openssl as a Rust drop-in. `make` builds the library and header,
# `make check` runs every test, `make install` installs like libcoap does.

CARGO    ?= cargo
CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
DESTDIR  ?=
SHARED   ?= ../shared

BUILD    := build
SONAME   := libcoap-3-openssl.so.3
REALNAME := libcoap-3-openssl.so.3.1.0
LIB      := $(BUILD)/$(REALNAME)
STATIC   := target/release/libcoap_3_openssl.a
HEADER   := include/coap3/coap.h
# Per-area headers libcoap installs; each includes coap.h.
AREA_HEADERS := coap_address coap_async coap_block coap_cache coap_debug coap_dtls \
  coap_encode coap_event coap_forward_decls coap_io coap_mem coap_net coap_option \
  coap_oscore coap_pdu coap_prng coap_resource coap_session coap_str coap_subscribe \
  coap_time coap_uri coap_ws coap_asn1 coap_persist coap_supported libcoap
NATIVE_LIBS := -lssl -lcrypto -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

CAPI_SRC := $(sort $(wildcard capi-tests/*.c))
CAPI_BIN := $(BUILD)/capi-tests
CFLAGS_TEST := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude

.PHONY: check-mcast check-pdu-compare check-cache-compare fuzz examples demo check-interop bench bench-pdu bench-server bench-transfer bench-dtls all lib header area-headers check check-deps check-rust check-header check-capi \
        check-abi check-install check-valgrind install uninstall clean FORCE

all: lib

# cargo decides what is stale; COAP_GEN_HEADER makes build.rs refresh the header.
$(STATIC): FORCE
	COAP_GEN_HEADER=1 $(CARGO) build --release --lib

header: $(STATIC) area-headers

area-headers:
	@for h in $(AREA_HEADERS); do \
	  f=include/coap3/$$h.h; \
	  printf '/* libcoap-3 declares its API across several headers; here coap.h holds it all. */\n#include <coap3/coap.h>\n' > $$f.tmp; \
	  if cmp -s $$f.tmp $$f; then rm $$f.tmp; else mv $$f.tmp $$f; fi; \
	done

lib: $(LIB) area-headers

$(LIB): $(STATIC) libcoap-3.map
	@mkdir -p $(BUILD)
	$(CC) -shared -o $@ \
	  -Wl,--whole-archive $(STATIC) -Wl,--no-whole-archive \
	  -Wl,--version-script=libcoap-3.map -Wl,-soname,$(SONAME) \
	  -Wl,-z,relro,-z,now -Wl,--gc-sections $(NATIVE_LIBS)
	ln -sf $(REALNAME) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libcoap-3-openssl.so

check: check-deps lib check-rust check-header check-abi check-install check-interop check-pdu-compare check-cache-compare check-valgrind check-mcast

# PDUs built through the API, byte for byte against Debian's libcoap.
check-pdu-compare: lib
	capi-tests/pdu-compare/run.sh

# Cache keys and entry behaviour, byte for byte against Debian's libcoap.
check-cache-compare: lib
	capi-tests/cache-compare/run.sh

check-deps:
	@tools/ensure-deps

check-rust:
	$(CARGO) test --lib

# The checked-in header and pending list must be what the sources generate.
check-header: lib
	@if [ -e $(SHARED)/abi/prototypes.txt ]; then tools/gen-pending --check; fi
	@git diff --exit-code --stat -- include/ src/ffi/header/pending.h || \
	  { echo "check-header: include/ is stale: commit the regenerated header"; exit 1; }
	@leaked=$$(grep -E '^#define ' $(HEADER) | awk '{print $$2}' | grep -vE '^(COAP|coap|LIBCOAP|LOG_|_COAP|PCHAR)'); \
	  if [ -n "$$leaked" ]; then echo "check-header: non-libcoap names in coap.h: $$leaked"; exit 1; fi

check-abi: lib
	tools/abi-gate $(SHARED)/abi/abi-check $(LIB)

check-install: lib
	capi-tests/install-test.sh

$(CAPI_BIN): $(CAPI_SRC) capi-tests/capi.h $(LIB)
	$(CC) $(CFLAGS_TEST) -o $@ $(CAPI_SRC) -L$(BUILD) -lcoap-3-openssl -lcunit -lssl -lcrypto \
	  -Wl,-rpath,$(abspath $(BUILD))

check-capi: $(CAPI_BIN)
	LD_LIBRARY_PATH=$(abspath $(BUILD)) $(CAPI_BIN)

# Multicast on the wire needs routes the host should not be given: the
# script runs `capi-tests mcast` in a private network namespace.
check-mcast: $(CAPI_BIN)
	LD_LIBRARY_PATH=$(abspath $(BUILD)) capi-tests/mcast-netns.sh $(abspath $(CAPI_BIN))

check-valgrind: check-deps $(CAPI_BIN)
	LD_LIBRARY_PATH=$(abspath $(BUILD)) valgrind -q --error-exitcode=99 --leak-check=full \
	  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	  $(CAPI_BIN)

EXAMPLES := $(BUILD)/examples/server $(BUILD)/examples/client

examples: $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(LIB)
	@mkdir -p $(BUILD)/examples
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -o $@ $< -L$(BUILD) -lcoap-3-openssl \
	  -Wl,-rpath,$(abspath $(BUILD))

# The README's "run it": our example server and client talking on loopback.
demo: examples
	@port=$$((40000 + $$$$ % 20000)); \
	$(BUILD)/examples/server -A 127.0.0.1 -p $$port & pid=$$!; sleep 0.3; \
	echo "GET coap://127.0.0.1:$$port/time"; $(BUILD)/examples/client coap://127.0.0.1:$$port/time; \
	echo "PUT coap://127.0.0.1:$$port/data"; $(BUILD)/examples/client -m put -e 'Hello, CoAP' coap://127.0.0.1:$$port/data; \
	echo "GET coap://127.0.0.1:$$port/data"; $(BUILD)/examples/client coap://127.0.0.1:$$port/data; \
	echo "GET coap://127.0.0.1:$$port/.well-known/core"; $(BUILD)/examples/client coap://127.0.0.1:$$port/.well-known/core; \
	kill $$pid

check-interop: examples
	capi-tests/interop.sh

# Every fuzz target for FUZZ_SECONDS each (cargo-fuzz needs nightly
# features: RUSTC_BOOTSTRAP=1 lets the stable toolchain build it). Findings
# land in fuzz/artifacts/<target>/; keep each as a regression test.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := parse_udp parse_tcp uri options block block_reassembly persist_files qblock
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	@mkdir -p $(BUILD)
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t; seeds=; [ -d seeds/$$t ] && seeds=seeds/$$t; \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run --release $$t corpus/$$t $$seeds -- \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 > ../$(BUILD)/fuzz-$$t.log 2>&1; rc=$$?; \
	  grep -E '^(Done|stat::number_of_executed_units)' ../$(BUILD)/fuzz-$$t.log | sed "s/^/$$t: /"; \
	  if [ $$rc -ne 0 ]; then tail -30 ../$(BUILD)/fuzz-$$t.log; exit 1; fi; \
	done

# Benchmarks are measurements, not tests: they print ratios against Debian's
# libcoap running the same program, and never fail on speed.
bench: bench-pdu bench-server bench-transfer bench-dtls

bench-transfer: lib
	bench/run-transfer-bench.sh

bench-server: lib
	bench/run-server-bench.sh

bench-pdu: lib
	bench/run-pdu-bench.sh

bench-dtls: lib
	bench/run-dtls-bench.sh

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/coap3
	install -m 0755 $(LIB) $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcoap-3-openssl.so
	install -m 0644 include/coap3/*.h $(DESTDIR)$(INCDIR)/coap3/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' pkgconfig/libcoap-3-openssl.pc.in \
	  > $(DESTDIR)$(LIBDIR)/pkgconfig/libcoap-3-openssl.pc
	cp $(DESTDIR)$(LIBDIR)/pkgconfig/libcoap-3-openssl.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libcoap-3.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libcoap-3-openssl.so \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/libcoap-3-openssl.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libcoap-3.pc
	rm -rf $(DESTDIR)$(INCDIR)/coap3

clean:
	rm -rf $(BUILD)
	$(CARGO) clean

FORCE:
