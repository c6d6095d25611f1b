#!/usr/bin/env bash
# bench-compat: time and peak memory of `accord compat` against oasdiff
# `breaking` on real API evolutions from ../shared/corpus, in the same run,
# with the ratios. `make bench-compat` builds accord first and calls this.
#
# Environment:
#   CORPUS          corpus directory (default: ../shared/corpus next to the repo)
#   ACCORD          accord binary (default: bin/accord)
#   OASDIFF         oasdiff binary; default: install oasdiff $OASDIFF_VERSION into
#                   a temporary GOBIN once and reuse it
#   BENCH_TIMEOUT   seconds one tool may take on one pair (default 900)
#
# Findings are counted as each tool reports them: oasdiff prints one line per
# (change, operation) in its singleline format; accord reports root causes
# (one per changed element, listing every operation it reaches), and the
# table also shows how many (root cause, operation) pairs those cover.
#
# Measured 2026-12-02 03:00 UTC (2 cores, load average ~4 from other work,
# so wall times are noisy; cpu s is steadier), two runs; accord reads
# through contracts.LoadForCompare; oasdiff is v1.38.0, whose own peak
# varies by ~10% from run to run:
#
#   pair                             time s accord/oasdiff ratio  cpu s ratio  peak MiB accord/oasdiff ratio
#   stripe 2023-04-27 -> 2023-09-12       0.55 / 34.40   0.016        0.016          76 / 715    0.106
#                                         0.45 / 30.65   0.015        0.012          75 / 680    0.110
#   stripe 2023-09-12 -> 2026-08-26       0.58 / 74.31   0.008        0.008          85 / 2535   0.034
#                                         0.81 / 90.43   0.009        0.008          87 / 2715   0.032
#   github 17.0.0 -> 23.0.2               0.48 / 12.06   0.040        0.037          86 / 994    0.087
#                                         1.11 / 12.23   0.091        0.046          85 / 922    0.092
#
# The same hour, before the streaming YAML reader and the mapped reads: 153,
# 125 and 117 MiB (ratios 0.212, 0.051, 0.138). Earlier still, before the
# lean read path (2026-12-01, kin-openapi's loader): 145, 155 and 231 MiB.
# What peak memory is made of now: ~28 MiB the binary itself (21 MiB of it
# its own pages, `accord --version` alone), the two models (Stripe's YAML
# ~10 MB each plus 3.6 MB of JSON text and marks for positions; GitHub ~17
# MB each, the files themselves mapped and released from the process as
# they are decoded), and on the Stripe YAML pair compat's findings and the
# GC's headroom over all of it (GOGC 35, set by compat) at the report.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS:-$root/../shared/corpus}
accord=${ACCORD:-$root/bin/accord}
oasdiff_version=${OASDIFF_VERSION:-v1.38.0} # the newest that resolves through the module proxy here (issue 10)
timeout_s=${BENCH_TIMEOUT:-900}

die() { echo "bench-compat: $*" >&2; exit 2; }

[ -d "$corpus" ] || die "corpus not found at $corpus (expected ../shared/corpus beside the repository; set CORPUS)"
[ -x "$accord" ] || die "accord binary not found at $accord (run make build, or set ACCORD)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for peak memory: apt-get install time"
command -v jq >/dev/null || die "jq is needed to read accord's JSON report: apt-get install jq"

pairs=(
	"stripe 2023-04-27 -> 2023-09-12|stripe/stripe-spec3-2023-04-27.yaml|stripe/stripe-spec3-2023-09-12.yaml"
	"stripe 2023-09-12 -> 2026-08-26|stripe/stripe-spec3-2023-09-12.yaml|stripe/stripe-spec3-2026-08-26.json"
	"github 17.0.0 -> 23.0.2|github/api.github.com-octokit-17.0.0.json|github/api.github.com-octokit-23.0.2.json"
)
for p in "${pairs[@]}"; do
	IFS='|' read -r _ b h <<<"$p"
	[ -f "$corpus/$b" ] && [ -f "$corpus/$h" ] || die "missing $corpus/$b or $corpus/$h"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-compat.XXXXXX")
trap 'rm -rf "$work"' EXIT

oasdiff=${OASDIFF:-}
if [ -z "$oasdiff" ]; then
	gobin=${TMPDIR:-/tmp}/accord-bench-gobin-$oasdiff_version
	if [ ! -x "$gobin/oasdiff" ]; then
		echo "installing oasdiff $oasdiff_version into $gobin ..." >&2
		# Outside the repository, so accord's go.mod plays no part.
		(cd "$work" && GOBIN="$gobin" GOFLAGS= go install "github.com/oasdiff/oasdiff@$oasdiff_version") ||
			die "go install github.com/oasdiff/oasdiff@$oasdiff_version failed"
	fi
	oasdiff=$gobin/oasdiff
fi
[ -x "$oasdiff" ] || die "oasdiff not executable: $oasdiff"

# measure LABEL OUT CMD...: runs CMD with stdout to OUT under GNU time and
# sets t (wall seconds), m (peak RSS, KiB) and c (CPU seconds, user + sys:
# steadier than wall time when other work shares the machine). Exit codes 0 and 1 are results
# (1 = breaking changes found); anything else is a failure of the run.
measure() {
	local label=$1 out=$2
	shift 2
	local rc=0
	# Run from the scratch directory so neither tool picks up a config file.
	(cd "$work" && timeout "$timeout_s" /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$out" 2>"$work/stderr") || rc=$?
	if [ "$rc" -gt 1 ]; then
		echo "bench-compat: $label exited $rc:" >&2
		head -c 2000 "$work/stderr" >&2
		exit 1
	fi
	# GNU time puts "Command exited with non-zero status N" first when the
	# command fails; the measurement is the last line.
	read -r t m u s < <(tail -n 1 "$work/time")
	c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

echo "accord: $("$accord" --version 2>/dev/null || echo "$accord")"
echo "oasdiff: $oasdiff ($oasdiff_version)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-32s %-8s %9s %9s %11s %12s %s\n' "pair" "tool" "time s" "cpu s" "peak MiB" "findings" "notes"
worst_t=0
worst_m=0
for p in "${pairs[@]}"; do
	IFS='|' read -r name b h <<<"$p"

	measure "accord on $name" "$work/accord.json" "$accord" compat --format json "$corpus/$b" "$corpus/$h"
	at=$t am=$m ac=$c
	roots=$(jq '.summary.findings' "$work/accord.json")
	failing=$(jq '.summary.failing' "$work/accord.json")
	perop=$(jq '[.comparisons[].findings[] | ([.affected | length, 1] | max)] | add // 0' "$work/accord.json")
	rm -f "$work/accord.json"

	measure "oasdiff on $name" "$work/oasdiff.txt" "$oasdiff" breaking --format singleline --color never "$corpus/$b" "$corpus/$h"
	ot=$t om=$m oc=$c
	# One "LEVEL at FILE, in API ..." line per finding, after a summary line.
	ofind=$(grep -cE '^(error|warning|info) at ' "$work/oasdiff.txt" || true)
	rm -f "$work/oasdiff.txt"

	rt=$(ratio "$at" "$ot")
	rm_=$(ratio "$am" "$om")
	rc_=$(ratio "$ac" "$oc")
	printf '%-32s %-8s %9s %9s %11s %12s %s\n' "$name" accord "$at" "$ac" "$(mib "$am")" "$roots" "root causes ($failing failing; $perop root cause × operation pairs)"
	printf '%-32s %-8s %9s %9s %11s %12s %s\n' "" oasdiff "$ot" "$oc" "$(mib "$om")" "$ofind" "(one per change per operation)"
	printf '%-32s %-8s %9s %9s %11s\n' "" "ratio" "$rt" "$rc_" "$rm_"
	worst_t=$(awk -v a="$worst_t" -v b="$rt" 'BEGIN { print (b > a ? b : a) }')
	worst_m=$(awk -v a="$worst_m" -v b="$rm_" 'BEGIN { print (b > a ? b : a) }')
done
echo
echo "worst ratio accord/oasdiff: time $worst_t, peak memory $worst_m (goal: at most 0.1 each)"
