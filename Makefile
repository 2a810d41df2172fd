# Makefile
#	  Build the autoplay extension with PGXS, and the gateway beside it.
#
# make            build the extension and autoplay-gateway
# make install    install both (the gateway next to PostgreSQL's programs)
# make test       build, install, start a throwaway PostgreSQL and run every
#                 test layer (unit, regression, isolation, TAP)
# make demo       run the whole job end to end on a throwaway PostgreSQL
# make fuzz       fuzz every plain-C parser for FUZZ_SECONDS (default 60)
#                 each, two at a time (needs clang; see fuzz/Makefile)
# make bench      measure speed side by side (QUICK=1 for a short run)

EXTENSION = autoplay
MODULE_big = autoplay
OBJS = \
	src/autoplay.o \
	src/ingest.o \
	src/click.o \
	src/click_store.o \
	src/click_batch.o \
	src/click_direct.o \
	src/click_partitions.o \
	src/url_rules.o \
	src/canonical_url.o \
	src/canonical_fn.o \
	src/email_policy.o \
	src/parse_time.o \
	src/parse_session.o \
	src/parse_url.o \
	src/parse_label.o \
	src/sha256.o \
	src/json_repair.o
DATA = autoplay--1.0.sql
PGFILEDESC = "autoplay - FullStory click streams in PostgreSQL"

REGRESS = setup times session_keys labels urls canonical_urls fields batches \
	duplicates rejects raw_body samples email strict privileges partitions \
	analytics actions hostile direct_insert
ISOLATION = concurrent_duplicate notify url_rules_reload partition_race \
	direct_insert_race
EXTRA_CLEAN = results output_iso tmp_check regression.diffs regression.out

PG_CONFIG ?= pg_config

# The server's headers are not -Wextra clean: read them as system headers
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CFLAGS = -Wall -Wextra -Werror

# Click fingerprints are SHA-256 digests taken through OpenSSL directly
SHLIB_LINK = -lcrypto

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: gateway install-gateway clean-gateway unit test demo bench fuzz

all: gateway
install: install-gateway
clean: clean-gateway

gateway:
	$(MAKE) -C src/gateway

install-gateway: gateway
	$(MAKE) -C src/gateway install

clean-gateway:
	$(MAKE) -C src/gateway clean
	$(MAKE) -C test/unit clean
	$(MAKE) -C fuzz clean

unit:
	$(MAKE) -C test/unit check

test:
	@./scripts/run-tests.sh

demo:
	@./demo/run-demo.sh

bench:
	@./bench/run.sh

fuzz:
	$(MAKE) -C fuzz -j2 run
