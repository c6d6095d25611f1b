#!/usr/bin/env bash
# bench-gen.sh: compile time and size of the package generated for Stripe
# 2026-08-26, GitHub 23.0.2 and the payments example by accord, by the
# oapi-codegen command alone and by ogen v1.24.0 (issue 11's target: accord's
# package no slower to compile than oapi-codegen's output).
#
#   make bench-gen
#   REPS=5 ONLY=payments scripts/bench-gen.sh     # one contract, more runs
#   ACCORD=bin/accord scripts/bench-gen.sh         # a given accord binary
#
# Generators. accord is built from the committed tree (git archive HEAD, so
# nobody's uncommitted work is measured) unless ACCORD names a binary.
# oapi-codegen and ogen are the tools of the nested module bench/gen, which
# pins them; accord's go.mod never requires them. oapi-codegen gets the
# choices accord makes when it calls it as a library (generator/oapi.go):
# models, client, std-http and strict servers, enum values prefixed with
# their type, colliding type names renamed. ogen gets
# ignore_not_implemented: [all], so it skips what it cannot generate
# instead of refusing the document.
#
# Method. Every generated package is put in a temporary module of its own
# whose requirements come from bench/gen (go mod tidy adds what the output
# imports). The whole run uses one fresh GOCACHE: first every dependency of
# the package (the standard library, oapi-codegen's or ogen's runtime, and
# for accord its runtime subpackage accordrt) is built into it; then each
# timed `go build` follows a one-line comment appended to one of the
# package's files, so the package itself, and only it, is compiled again
# (the cache is keyed by content: the dependencies stay cached, nothing
# depends on the package). Times are the median of REPS builds: wall
# seconds and user+system CPU seconds, under /tmp/accord-build.lock;
# peak is the largest process's resident memory (the compiler). Sizes are
# the package's own .go files (accord's runtime subpackage is shared by
# every integration of a module and is reported once, as its own row) and
# the compiled archive (go list -export). "oapi-codegen part" is accord's
# accord_models.gen.go compiled alone: oapi-codegen's output for the
# document as accord repaired it, the peer where oapi-codegen alone fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=$ROOT/../shared/corpus
REPS=${REPS:-3}
ONLY=${ONLY:-}
CONTRACTS=(
	"stripe-2026-08-26 $SHARED/stripe/stripe-spec3-2026-08-26.json"
	"github-23.0.2 $SHARED/github/api.github.com-octokit-23.0.2.json"
	"payments $ROOT/examples/payments/openapi.yaml"
)

OUT=$(mktemp -d "${TMPDIR:-/tmp}/accord-bench-gen.XXXXXX")
# KEEP=1 keeps the generated modules and logs.
[ "${KEEP:-0}" = 1 ] || trap 'chmod -R u+w "$OUT" 2>/dev/null; rm -rf "$OUT"' EXIT
export GOFLAGS=-mod=mod GOWORK=off GOSUMDB=off CGO_ENABLED=0 GOTOOLCHAIN=local
locked() { flock /tmp/accord-build.lock nice -n 10 "$@"; }

# The generators, built with the usual build cache (they are not measured).
mkdir -p "$OUT/bin"
echo "building the generators into $OUT/bin" >&2
(cd bench/gen && locked go build -o "$OUT/bin/oapi-codegen" github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen &&
	locked go build -o "$OUT/bin/ogen" github.com/ogen-go/ogen/cmd/ogen)
ACCORD=${ACCORD:-}
if [ -z "$ACCORD" ]; then
	mkdir -p "$OUT/src"
	git archive HEAD | tar -x -C "$OUT/src"
	(cd "$OUT/src" && locked go build -o "$OUT/bin/accord" ./cmd/accord)
	ACCORD=$OUT/bin/accord
	REV=$(git rev-parse --short HEAD)
else
	REV=${ACCORD_REV:-$ACCORD}
fi

cat >"$OUT/oapi-codegen.yaml" <<'EOF'
package: api
generate: {models: true, client: true, std-http-server: true, strict-server: true}
compatibility: {always-prefix-enum-values: true}
output-options: {resolve-type-name-collisions: true}
EOF
printf 'generator:\n  ignore_not_implemented: ["all"]\n' >"$OUT/ogen.yaml"

# From here on every go command builds into the fresh cache.
export GOCACHE=$OUT/gocache

module() { # dir: a module with bench/gen's requirements, without its tools
	mkdir -p "$1/api"
	sed -e 's|^module .*|module benchgen|' -e '/^tool (/,/^)/d' -e '/^tool /d' bench/gen/go.mod >"$1/go.mod"
	cp bench/gen/go.sum "$1/go.sum"
}

generate() { # tool contract dir
	case $1 in
	accord) "$ACCORD" gen "$2" -o "$3/api" -p api ;;
	oapi-codegen) (cd "$3" && "$OUT/bin/oapi-codegen" -config "$OUT/oapi-codegen.yaml" -o api/api.gen.go "$2") ;;
	ogen) "$OUT/bin/ogen" -config "$OUT/ogen.yaml" --target "$3/api" --package api --clean "$2" ;;
	esac
}

export -f generate
export ACCORD OUT

# measure dir pkg: prints "wall cpu peakKB archive" (medians). The lock is
# held from the dependencies' build to the last timed one: one wait per
# package rather than one per build.
measure() {
	local dir=$1 pkg=$2 i first t=$1/times.${2//\//_}
	exec 9>/tmp/accord-build.lock
	flock 9
	(cd "$dir" && nice -n 10 go build $(go list -deps -f '{{if ne .ImportPath "'"benchgen/$pkg"'"}}{{.ImportPath}}{{end}}' "./$pkg")) || return 1
	first=$(cd "$dir/$pkg" && ls ./*.go | head -n 1)
	: >"$t"
	for i in $(seq "$REPS"); do
		printf '\n// bench-gen %s %s\n' "$i" "$(date +%s%N)" >>"$dir/$pkg/$first"
		(cd "$dir" && nice -n 10 /usr/bin/time -f '%e %U %S %M' -o "$t.$i" go build "./$pkg") || return 1
		awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$t.$i" >>"$t"
	done
	exec 9>&-
	local archive
	archive=$(cd "$dir" && stat -c %s "$(go list -export -f '{{.Export}}' "./$pkg")")
	printf '%s %s %s %s\n' \
		"$(cut -d' ' -f1 "$t" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
		"$(cut -d' ' -f2 "$t" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
		"$(cut -d' ' -f3 "$t" | sort -n | tail -n 1)" "$archive"
}

sizes() { # dir: files bytes lines of the package's own .go files
	local files=("$1"/*.go)
	printf '%s %s %s\n' "${#files[@]}" "$(cat "${files[@]}" | wc -c)" "$(cat "${files[@]}" | wc -l)"
}

row() { # contract generator status [files bytes lines wall cpu peak archive]
	printf '| %-18s | %-22s | %-10s | %5s | %11s | %9s | %8s | %8s | %9s | %11s |\n' "$@" >>"$OUT/table"
}
: >"$OUT/table"

for entry in "${CONTRACTS[@]}"; do
	name=${entry%% *}
	file=${entry#* }
	[ -n "$ONLY" ] && [ "$ONLY" != "$name" ] && continue
	for tool in accord oapi-codegen ogen; do
		dir=$OUT/$tool-$name
		module "$dir"
		echo "$name: $tool generating" >&2
		if ! locked /usr/bin/time -f '%e s, %M KB' -o "$dir/gen.time" bash -c 'generate "$@"' _ "$tool" "$file" "$dir" >"$dir/gen.log" 2>&1; then
			why=$(grep -vE '^(INFO|WARN|DEBUG)|generation failed' "$dir/gen.log" |
				grep -m1 -E 'duplicate|conflict|invalid|not implemented|error' | sed 's/^[[:space:]-]*//' | cut -c1-110)
			row "$name" "$tool" "gen-fail" "" "" "" "" "" "" ""
			echo "$name $tool: $why" >>"$OUT/notes"
			continue
		fi
		(cd "$dir" && go mod tidy >>"$dir/gen.log" 2>&1)
		read -r files bytes lines < <(sizes "$dir/api")
		echo "$name: $tool building ($files files, $bytes bytes)" >&2
		if m=$(measure "$dir" api 2>"$dir/build.log"); then
			read -r wall cpu peak archive <<<"$m"
			row "$name" "$tool" ok "$files" "$bytes" "$lines" "$wall" "$cpu" "$peak" "$archive"
			echo "$name $tool $wall $cpu" >>"$OUT/walls"
		else
			row "$name" "$tool" "build-fail" "$files" "$bytes" "$lines" "" "" "" ""
			echo "$name $tool: $(grep -m1 -E '\.go:[0-9]+' "$dir/build.log" | sed 's/^[^ ]*: //' | cut -c1-90)" >>"$OUT/notes"
		fi
		if [ "$tool" = accord ]; then
			# oapi-codegen's share of accord's package, compiled alone.
			part=$OUT/part-$name
			module "$part"
			cp "$dir/api/accord_models.gen.go" "$part/api/"
			(cd "$part" && go mod tidy >/dev/null 2>&1)
			read -r files bytes lines < <(sizes "$part/api")
			if m=$(measure "$part" api 2>"$part/build.log"); then
				read -r wall cpu peak archive <<<"$m"
				row "$name" "oapi-codegen part" ok "$files" "$bytes" "$lines" "$wall" "$cpu" "$peak" "$archive"
				echo "$name oapi-codegen-part $wall $cpu" >>"$OUT/walls"
			else
				row "$name" "oapi-codegen part" "build-fail" "$files" "$bytes" "$lines" "" "" "" ""
			fi
			if [ ! -e "$OUT/runtime.done" ]; then
				# The runtime subpackage, once: every integration shares it.
				read -r files bytes lines < <(sizes "$dir/api/accordrt")
				if m=$(measure "$dir" api/accordrt 2>"$dir/rt.log"); then
					read -r wall cpu peak archive <<<"$m"
					row "(any)" "accord runtime" ok "$files" "$bytes" "$lines" "$wall" "$cpu" "$peak" "$archive"
				fi
				touch "$OUT/runtime.done"
			fi
		fi
		[ "${KEEP:-0}" = 1 ] || rm -rf "$dir/api" "$part/api" # Stripe's output is ~28 MB per generator
	done
done

echo
echo "accord $REV, oapi-codegen v2.8.2, ogen v1.24.0; $(go version | cut -d' ' -f3); $(nproc) cores; median of $REPS builds"
echo
printf '| %-18s | %-22s | %-10s | %5s | %11s | %9s | %8s | %8s | %9s | %11s |\n' contract generator status files "source B" lines "build s" "cpu s" "peak KB" "archive B"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------------- ------------------------ ------------ ------- ------------- ----------- ---------- ---------- ----------- -------------
cat "$OUT/table"
if [ -s "$OUT/walls" ]; then
	echo
	echo "build time of accord's package over its peers' (wall, cpu):"
	awk '$2 == "accord" {a[$1] = $3; c[$1] = $4} $2 != "accord" {p[$1 " " $2] = $3; q[$1 " " $2] = $4}
		END {for (k in p) {split(k, s, " "); if (s[1] in a) printf "  %-18s accord / %-18s %.2fx, %.2fx\n", s[1], s[2], a[s[1]] / p[k], c[s[1]] / q[k]}}' "$OUT/walls" | sort
fi
if [ -s "$OUT/notes" ]; then
	echo
	echo "failures:"
	sed 's/^/  /' "$OUT/notes"
fi
