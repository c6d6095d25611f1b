#!/usr/bin/env bash
# bench-ogen: accord's generated server against ogen v1.24.0's on the same
# contract (bench/ogen/openapi.yaml: bearer auth, a validated JSON body,
# path parameter and header), in process (httptest.NewRecorder + ServeHTTP,
# no network), in one run of the Go benchmarks of the nested module
# bench/ogen (ogen never enters accord's go.mod). `make bench` calls this.
#
# Both servers are generated here, each run, into bench/ogen (not
# committed): accord's by bin/accord, built first from this checkout, so the
# numbers follow the current generator and runtime; ogen's by `go tool ogen`
# (the tool directive of bench/ogen/go.mod pins v1.24.0).
#
#   ogen                 its router, security handler, decoding with
#                        validation, handler, encoder (OTel no-ops)
#   accord               NewServer: recover, trace id, JSON access log
#                        (formatted, written to io.Discard), concurrency
#                        limit, timeout, bearer authentication, validation,
#                        strict handler; idempotency turned off
#   accord, no log       the same with a logger that is never enabled
#   accord + idempotency the whole chain with the in-memory store: every
#                        request carries a fresh Idempotency-Key (claim,
#                        handler, stored answer)
#
# Environment:
#   ACCORD              accord binary (default: build bin/accord)
#   BENCH_OGEN_TIME     -benchtime of each run (default 2s)
#   BENCH_OGEN_COUNT    runs of the interleaved ratio benchmark; medians are
#                       reported (default 3)
#   BENCH_OGEN_PROFILE  a directory: also write CPU and allocation profiles
#                       of accord's request path (with idempotency) there and
#                       print their top
#
# Every ratio comes from one process: the contenders serve the same request
# in turn in each iteration (BenchmarkServerRatio), so load from other work
# on the machine falls on all of them.
#
# Measured 2026-12-02 06:13 UTC (2 cores, load average 4-6 from other
# sessions' compiles, so absolute times are several times an idle machine's;
# the ratios are what this run can tell), 5 ratio runs, medians:
#
#   per request                  ns   allocs  bytes  x ogen
#   ogen v1.24.0              24756     58     5032
#   accord                    45440     74     5769   1.71
#   accord, no access log     41085     73     5635   1.56
#   accord + idempotency      55687     93     7284   2.18
#
# Where accord's request goes (CPU profile of the idempotent contender,
# share of the chain): the handler wrapper 41% (oapi-codegen's
# BindJSONBody decoding the body a second time with encoding/json 33%, the
# response's json.Encoder 4%), validation 18% (its JSON parse 4%, the
# generated checks 6%, 7 regexp matches most of that), idempotency 18%
# (claim, complete, fingerprint), concurrency limit + timeout 11%
# (context.WithTimeout and AfterFunc), trace id + access log 11% (the JSON
# access line 9%), authentication 1%. ogen decodes once (jx, no
# reflection) and validates the decoded struct.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/bench-ogen.XXXXXX")
trap 'rm -f "$out"' EXIT
benchtime=${BENCH_OGEN_TIME:-2s}
count=${BENCH_OGEN_COUNT:-3}

accord=${ACCORD:-}
if [ -z "$accord" ]; then
	echo "bench-ogen: building bin/accord" >&2
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -o bin/accord ./cmd/accord)
	accord=$root/bin/accord
fi
case $accord in
/*) ;;
*/*) accord=$(cd "$(dirname "$accord")" && pwd)/$(basename "$accord") ;; # we cd below
esac

cd "$root/bench/ogen"
# The generated packages need what the nested module requires; when
# accord's generated code moves ahead of bench/ogen/go.mod, let the go
# command fill it in rather than fail (commit the go.mod/go.sum it writes).
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
echo "bench-ogen: generating accordapi/ (accord) and ogenapi/ (ogen v1.24.0) from openapi.yaml" >&2
"$accord" gen openapi.yaml -o accordapi -p accordapi --generate models,server >&2
go tool ogen -target ogenapi -package ogenapi -clean openapi.yaml 2>"$out" || { cat "$out" >&2; exit 1; }

# Same answers first (201, 401, 400), so neither is measured skipping work.
go test -run '^TestSameContract$' -count 1 . >&2
echo "bench-ogen: go test -bench (bench/ogen), benchtime $benchtime, ratio runs $count" >&2
go test -run '^$' -bench '^Benchmark(Ogen|Accord|AccordNoAccessLog|AccordIdempotency)$' -benchtime "$benchtime" -benchmem . | tee "$out" >&2
go test -run '^$' -bench '^BenchmarkServerRatio$' -benchtime "$benchtime" -count "$count" . | tee -a "$out" >&2

# metric NAME BENCH: the median over runs of the value before unit NAME on
# BENCH's lines.
metric() {
	awk -v b="$2" -v u="$1" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 3; i <= NF; i++) if ($i == u) print $(i-1) }' "$out" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
r=BenchmarkServerRatio
row() { printf '%-46s %9s %7s %7s %7s\n' "$@"; }
echo
row "per request, in process (median of $count runs)" ns allocs bytes "x ogen"
row "ogen v1.24.0 (validation + security handler)" "$(metric ogen-ns/req $r)" "$(metric ogen-allocs/req $r)" "$(metric ogen-B/req $r)" ""
row "accord (auth + validation, access log)" "$(metric accord-ns/req $r)" "$(metric accord-allocs/req $r)" "$(metric accord-B/req $r)" "$(metric x-ogen $r)"
row "accord, no access log" "$(metric accord-nolog-ns/req $r)" "$(metric accord-nolog-allocs/req $r)" "$(metric accord-nolog-B/req $r)" "$(metric x-ogen-nolog $r)"
row "accord + in-memory idempotency" "$(metric accord-idem-ns/req $r)" "$(metric accord-idem-allocs/req $r)" "$(metric accord-idem-B/req $r)" "$(metric x-ogen-idem $r)"
echo
row "each alone (process CPU time, GC included)" "wall ns" "cpu ns" allocs "x ogen"
cpu_ogen=$(metric cpu-ns/op BenchmarkOgen)
alone() {
	local c; c=$(metric cpu-ns/op "$2")
	row "$1" "$(metric ns/op "$2")" "$c" "$(metric allocs/op "$2")" "$(awk -v a="$c" -v o="$cpu_ogen" 'BEGIN { if (o > 0 && a != "") printf "%.3f", a / o }')"
}
alone "ogen v1.24.0" BenchmarkOgen
alone "accord (auth + validation, access log)" BenchmarkAccord
alone "accord, no access log" BenchmarkAccordNoAccessLog
alone "accord + in-memory idempotency" BenchmarkAccordIdempotency
echo "targets (issue 8): accord / ogen <= 1.5; the whole chain with idempotency < 8 µs" \
	"(here $(metric idem-µs/req $r) µs wall in the ratio run, $(metric cpu-ns/op BenchmarkAccordIdempotency) ns CPU alone)"

if [ -n "${BENCH_OGEN_PROFILE:-}" ]; then
	mkdir -p "$BENCH_OGEN_PROFILE"
	p=$(cd "$BENCH_OGEN_PROFILE" && pwd)
	go test -run '^$' -bench '^BenchmarkAccordIdempotency$' -benchtime "$benchtime" -o "$p/ogenbench.test" \
		-cpuprofile "$p/accord-cpu.prof" -memprofile "$p/accord-mem.prof" . >&2
	echo
	echo "accord's request path (with idempotency): CPU, cumulative"
	go tool pprof -top -cum -nodecount 40 "$p/ogenbench.test" "$p/accord-cpu.prof" 2>/dev/null | sed -n '/flat%/,$p'
	echo
	echo "allocations (count)"
	go tool pprof -top -sample_index alloc_objects -nodecount 25 "$p/ogenbench.test" "$p/accord-mem.prof" 2>/dev/null | sed -n '/flat%/,$p'
fi
