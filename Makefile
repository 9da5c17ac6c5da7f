# releasekit developer commands.
#
#   make test          every test of every module, with the race detector (the README's command)
#   make apicheck      compare the exported API with the last release tag (CI runs it)
#   make release VERSION=v0.2.0
#                      check, test (CI=true bash .ci/run), and tag every published module;
#                      see docs/RELEASING.md
#   make bench         every benchmark, median of COUNT runs (default 5, in rounds), written to docs/BENCHMARKS.md
#   make bench-quick   a smoke run of every benchmark (-count 1, short benchtimes), same report
#
# The benchmark report is written by bench/report (a program in the bench module); see
# `cd bench && GOWORK=off go run ./report -h`. Extra flags go in BENCH_FLAGS, e.g.
#   make bench COUNT=7 BENCH_FLAGS='-groups depgraph -raw /tmp/bench-raw'
# The PostgreSQL groups need RELEASEKIT_POSTGRES_DSN. When it is unset and initdb is
# installed, the bench targets start a throwaway cluster (.ci/postgres.sh) for the run and
# stop it at the end; otherwise the report lists those groups as skipped, with the reason.

SHELL := /bin/bash
GO ?= go
COUNT ?= 5
BENCH_FLAGS ?=

RELEASETOOL = $(GO) run ./internal/releasetool/cmd/releasetool

.PHONY: test apicheck release bench bench-quick

test:
	$(GO) test -race github.com/releasekit/releasekit/...

apicheck:
	$(RELEASETOOL) apicheck -v

release:
	@if [ -z "$(VERSION)" ]; then echo "usage: make release VERSION=v0.2.0"; exit 2; fi
	$(RELEASETOOL) release -version '$(VERSION)' -test 'CI=true bash .ci/run'

bench:
	@$(call run_report,-count $(COUNT),make bench)

bench-quick:
	@$(call run_report,-quick -count 1,make bench-quick)

# run_report(flags, how): start PostgreSQL when needed and possible, then the report.
define run_report
set -e; \
note=""; \
if [ -z "$${RELEASEKIT_POSTGRES_DSN:-}" ]; then \
	if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		source .ci/postgres.sh; \
		trap pg_stop EXIT; \
		pg_start || note="the throwaway cluster did not start (pg_start failed; its log is in the make output)"; \
	else \
		note="initdb is not installed, so make could not start a throwaway cluster"; \
	fi; \
fi; \
cd bench && GOWORK=off $(GO) run ./report $(1) -invoked '$(2)' -postgres-note "$$note" $(BENCH_FLAGS)
endef
