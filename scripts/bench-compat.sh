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
# Measured 2026-12-02 06:55-07:05 UTC (2 cores, load average ~5 from other
# work, so wall times are noisy; cpu s is steadier); oasdiff v1.38.0, whose
# own peak varies by ~10% from run to run. Stripe YAML pair: five runs side
# by side, peak ratio min 0.075, median 0.079, max 0.085 (before the
# positions were streamed again: 0.087 / 0.092 / 0.098); the others once:
#
#   pair                             time s accord/oasdiff ratio  peak MiB accord/oasdiff ratio
#   stripe 2023-04-27 -> 2023-09-12       1.00 / 61.46   0.016        55 / 719    0.076
#   stripe 2023-09-12 -> 2026-08-26       1.14 / 107.5   0.011        64 / 2345   0.027
#   github 17.0.0 -> 23.0.2               0.79 / 19.20   0.041        74 / 919    0.080
#
# What peak memory is made of now (Stripe YAML pair): ~21 MiB of the
# binary's own pages, touched by package initialisation before any file is
# read (every linked package's init runs whatever the command; the largest
# is kin-openapi's JSON Schema validator compiling its meta-schemas, 31 ms
# and 1.7 MB), ~17 MB for the two models, the comparison's nodes and
# findings, and the GC's headroom (GOGC 10, set by compat) and metadata.
# A mapped YAML contract keeps neither its JSON conversion nor its marks:
# the findings' positions are found by streaming the file once more at the
# end (contracts.Document.RefPositions).
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
