# accord's tasks. `make demo` and `make test` are the two commands a newcomer runs.
GO      ?= go
BIN     := bin/accord
# Packages whose code is concurrent: they also run under the race detector.
RACE_PKGS := ./templates/runtime/... ./cmd/... ./compat/... ./mock/... ./verify/...
# The end-to-end loopback tests assert timings (a call returns by its budget);
# they run on their own, after the rest, so that a parallel load of the
# 70 real corpus contracts cannot starve their timers on a 2-core machine.
E2E_PKGS  := ./examples/...

.PHONY: build demo test bench bench-events bench-examples bench-compat bench-mock fuzz lint gen corpus clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/accord

# The showcase: contracts valid, committed generated code up to date (run
# `$(BIN) gen --config examples/accord.yaml` after changing a contract), then
# the generated client and server at work over loopback, and the events
# (outbox, relay, franz-go's in-process kfake Kafka, inbox, dead letters).
# In-memory stores; ACCORD_DEMO_POSTGRES_DSN=postgres://... moves
# idempotency and the events' state, outbox and inbox to PostgreSQL.
demo: build
	$(BIN) validate examples/payments/openapi.yaml examples/crm/openapi.yaml examples/invoicing/openapi.yaml examples/partners/openapi.yaml examples/events/asyncapi.yaml
	$(BIN) gen --check --config examples/accord.yaml
	$(GO) run ./examples/demo

test:
	$(GO) vet ./...
	$(GO) test $$($(GO) list ./... | grep -v /examples/)
	$(GO) test -race $(RACE_PKGS)
	$(GO) test -race $(E2E_PKGS)
	@if [ -f /usr/local/lib/libpact_ffi.so ]; then \
		echo "pact-go tests (libpact_ffi installed)"; \
		PACT_DO_NOT_TRACK=true CGO_ENABLED=1 $(GO) test -tags pact ./pact/; \
	else echo "pact-go tests skipped: no /usr/local/lib/libpact_ffi.so (.ci/run installs it)"; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./scripts/bench-events.sh
	./scripts/bench-ogen.sh

# accord's outbox → Kafka → inbox against Watermill + watermill-sql's
# forwarder and raw franz-go, and the generated consumer against a bare
# franz-go loop (nested module bench/events; PostgreSQL, kfake in process).
bench-events:
	./scripts/bench-events.sh

# Generated client vs plain net/http on loopback, and the server chain vs
# the bare strict handler (ratio and µs per request are reported metrics).
bench-examples:
	$(GO) test ./examples/e2e -run '^$$' -bench . -benchmem -benchtime 3s

bench-compat: build
	./scripts/bench-compat.sh

# accord mock vs Prism 5.16 (npm, into a temporary directory), same load
# generator and contract: requests/s, p99 latency, peak memory, ratios.
bench-mock: build
	./scripts/bench-mock.sh

# Compile time and size of the package accord, oapi-codegen alone and ogen
# v1.24.0 generate for Stripe, GitHub and the payments example (peers
# pinned in the nested module bench/gen; fresh GOCACHE, dependencies
# prebuilt, the package alone timed).
.PHONY: bench-gen
bench-gen:
	./scripts/bench-gen.sh

# Short, bounded fuzzing of every parser and of the generator (FUZZTIME per
# target). Minimisation is capped: with the default, FuzzGenerate spends its
# whole budget shrinking one input.
FUZZTIME ?= 20s
FUZZ_TARGETS := ./contracts:FuzzLoad ./contracts:FuzzLoadAsyncAPI ./compat:FuzzCompare \
	./templates/runtime:FuzzTraceparent ./templates/runtime:FuzzRetryAfter \
	./templates/runtime:FuzzProblem ./templates/runtime:FuzzVerify ./templates/runtime:FuzzVerifyHTTPSig \
	./generator:FuzzGenerate \
	./templates/runtime:FuzzDecodeJSON ./templates/runtime:FuzzParseSwitches ./examples/e2e:FuzzValidateDifferential \
	./contracts:FuzzYAMLStream ./contracts:FuzzAppendJSONString
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t"; \
		$(GO) test $${t%%:*} -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s || exit 1; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v -e '^testdata/' -e '/testdata/')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

gen: build
	$(BIN) gen --config examples/accord.yaml

corpus: build
	./scripts/corpus.sh

clean:
	rm -rf bin
