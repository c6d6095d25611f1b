#!/usr/bin/env bash
# bench-events: accord's event pipeline against Watermill, and the generated
# consumer's per-message cost against a bare franz-go loop, in one run of
# the Go benchmarks of the nested module bench/events (Watermill and sarama
# never enter accord's go.mod). `make bench-events` calls this; `make bench`
# too.
#
#   outbox → Kafka → inbox   N messages written in producers' transactions,
#                            relayed to Kafka (franz-go's in-process kfake),
#                            consumed, effect recorded once in SQL with
#                            dedupe; PostgreSQL at ACCORD_TEST_POSTGRES_DSN
#                            (the benchmark skips without it)
#   consumer overhead        ns per message: decode + validate + dispatch
#                            through accord's Kafka transport vs a bare
#                            franz-go poll loop, and Deliver alone
#
# Environment:
#   BENCH_EVENTS_N           messages per pipeline run (default 10000)
#   BENCH_EVENTS_CONSUME_N   records per consumer run (default 20000)
#   BENCH_EVENTS_ROUNDS      interleaved rounds, medians reported (default 3)
#   BENCH_EVENTS_ONLY        comma-separated contenders of the pipeline run
#
# Every ratio comes from this one process: the contenders run interleaved,
# so load from other work on the machine falls on all of them.
#
# Measured 2026-12-02 (2 cores, load average 3-5 from other work; N=10000,
# 3 rounds, medians; PostgreSQL 127.0.0.1 with synchronous_commit on):
#
#   accord                                 9,115 msgs/s
#   accord, MaxPollRecords 10000          10,805
#   Watermill forwarder, franz-go          2,270   accord x4.0
#   Watermill forwarder, watermill-kafka   2,271   accord x4.0
#   raw franz-go + SQL effect             29,742   accord 0.31 of it
#   raw franz-go, no database            444,088   accord 0.02 of it
#   consumer: bare loop 21 ns/msg, accord 4,815 ns/msg (Deliver alone
#   3,522, validate + decode 2,969 of it)
#
# The raw ceiling has no database at all; every contender that records an
# effect in PostgreSQL is bounded by the raw + effect line (one round trip
# per message), which is itself 0.07 of raw.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/bench-events.XXXXXX")
trap 'rm -f "$out"' EXIT

cd "$root/bench/events"
# The nested module replaces accord with this checkout: when accord's own
# requirements move ahead of bench/events/go.mod, let the go command fill
# them in rather than fail (commit the go.mod/go.sum it then writes).
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
echo "bench-events: go test -bench (bench/events), N=${BENCH_EVENTS_N:-10000}, rounds=${BENCH_EVENTS_ROUNDS:-3}" >&2
# Pipeline and consumer runs are measured once each (-benchtime 1x: n is
# the message count, not b.N); Deliver alone is a per-op benchmark.
go test -run '^$' -bench '^(BenchmarkOutboxKafkaInbox|BenchmarkConsumerOverhead)$' -benchtime 1x -timeout 20m -v . | tee "$out" >&2
go test -run '^$' -bench '^BenchmarkConsumerDispatch$' -benchtime 1s -benchmem . | tee -a "$out" >&2


# metric NAME BENCH: the value printed before unit NAME on BENCH's line.
metric() {
	awk -v b="$2" -v u="$1" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 3; i <= NF; i++) if ($i == u) { print $(i-1); exit } }' "$out"
}
p=BenchmarkOutboxKafkaInbox
c=BenchmarkConsumerOverhead
if [ -z "$(metric accord-msgs/s $p)" ]; then
	echo
	echo "outbox → Kafka → inbox: skipped (PostgreSQL unreachable? see the SKIP line above)"
else
printf '\n%-52s %14s\n' "outbox → Kafka → inbox (median of rounds)" "msgs/s"
printf '%-52s %14s\n' "accord (SQLOutbox + relay + SQLInbox)" "$(metric accord-msgs/s $p)"
printf '%-52s %14s\n' "accord, MaxPollRecords 10000" "$(metric accord10k-msgs/s $p)"
printf '%-52s %14s\n' "Watermill + watermill-sql forwarder, franz-go" "$(metric wm-franz-msgs/s $p)"
printf '%-52s %14s\n' "Watermill + watermill-sql forwarder, watermill-kafka" "$(metric wm-sarama-msgs/s $p)"
printf '%-52s %14s\n' "raw franz-go + effect row in SQL (no outbox/inbox)" "$(metric rawfx-msgs/s $p)"
printf '%-52s %14s\n' "raw franz-go produce + consume (no database)" "$(metric raw-msgs/s $p)"
printf '%-52s %14s %s\n' "accord / Watermill (franz-go)" "$(metric x-wm-franz $p)" "(target >= 2)"
printf '%-52s %14s %s\n' "accord / Watermill (watermill-kafka)" "$(metric x-wm-sarama $p)" "(target >= 2)"
printf '%-52s %14s %s\n' "accord / raw franz-go" "$(metric of-raw $p)" "(target >= 0.5)"
printf '%-52s %14s\n' "accord / raw franz-go + effect" "$(metric of-rawfx $p)"
fi
printf '\n%-52s %14s\n' "consumer, per message (median of rounds)" "ns/msg"
printf '%-52s %14s\n' "bare franz-go poll loop" "$(metric bare-ns/msg $c)"
printf '%-52s %14s\n' "accord transport + decode + validate + dispatch" "$(metric accord-ns/msg $c)"
printf '%-52s %14s\n' "overhead" "$(metric overhead-ns/msg $c)"
printf '%-52s %14s\n' "ratio accord / bare" "$(metric ratio $c)"
printf '%-52s %14s\n' "Deliver alone (no Kafka)" "$(metric ns/op BenchmarkConsumerDispatch/deliver)"
printf '%-52s %14s\n' "validate + decode alone" "$(metric ns/op BenchmarkConsumerDispatch/validate_decode)"
