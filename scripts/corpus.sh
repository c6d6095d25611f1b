#!/usr/bin/env bash
# corpus.sh: generate Go code from every real OpenAPI contract in the shared
# corpus, with accord and with oapi-codegen alone, build each result in a
# module of its own, and print per-file results and the two success rates.
#
#   make corpus                      # after make build
#   CORPUS=dir JOBS=2 KEEP=1 scripts/corpus.sh
#
# AsyncAPI documents and fragments are skipped. accord refuses contracts that
# are themselves invalid (exit 1 with the problems); they are counted apart.
# Stripe's and GitHub's outputs are tens of megabytes of Go: a full run takes
# a long while on two cores. Logs stay in $OUT (printed at the end) when
# KEEP=1 or when something failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
JOBS=${JOBS:-2}
ACCORD=${ACCORD:-$ROOT/bin/accord}
OAPI_VERSION=v2.8.2

[ -d "$CORPUS" ] || { echo "corpus.sh: no corpus at $CORPUS" >&2; exit 2; }
[ -x "$ACCORD" ] || { echo "corpus.sh: build accord first (make build)" >&2; exit 2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/accord-corpus.XXXXXX")
export GOFLAGS=-mod=mod GOWORK=off GOSUMDB=off CGO_ENABLED=0

# oapi-codegen alone, installed into a throwaway GOBIN.
echo "installing oapi-codegen $OAPI_VERSION into $OUT/bin" >&2
GOBIN=$OUT/bin go install "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@$OAPI_VERSION" || exit 2

# Every generated package gets its own module requiring what generated code
# imports; go.sum lines come from ours, the rest resolves through the proxy.
write_module() { # dir
	cat >"$1/go.mod" <<EOF
module corpus

go 1.24

require (
	github.com/oapi-codegen/runtime v1.8.0
	github.com/google/uuid v1.6.0
)
EOF
	grep -E '^github.com/(oapi-codegen/runtime v1.8.0|google/uuid v1.6.0|apapsch/go-jsonmerge/v2 v2.0.0)[ /]' "$ROOT/go.sum" >"$1/go.sum"
}

# The real OpenAPI files: a top-level openapi field (JSON or YAML; Stripe's
# comes after megabytes of components, so the whole file is searched).
mapfile -t FILES < <(find "$CORPUS" -type f \( -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) -not -path '*/asyncapi/*' |
	sort | while read -r f; do
		if grep -qE '^[{[:space:]]*"openapi"[[:space:]]*:|^openapi[[:space:]]*:|^\{.*"openapi"[[:space:]]*:' "$f"; then echo "$f"; fi
	done)

one() { # tool file
	local tool=$1 f=$2
	local name=${f#"$CORPUS"/}
	local id=${name//\//__}
	local dir=$OUT/$tool/$id
	mkdir -p "$dir/api"
	write_module "$dir"
	local start=$SECONDS status
	if [ "$tool" = accord ]; then
		"$ACCORD" gen "$f" -o "$dir/api" -p api >"$dir/gen.log" 2>&1
		status=$?
		# Refused: the contract itself is invalid or cannot be loaded.
		if [ $status -ne 0 ] && grep -q "nothing was generated" "$dir/gen.log"; then
			echo "invalid $tool $name $((SECONDS - start))s $(grep -m1 ': error: ' "$dir/gen.log" | cut -c1-160)" >"$dir/result"
			return
		fi
	else
		cat >"$dir/cfg.yaml" <<EOF
package: api
output: $dir/api/api.gen.go
generate: {models: true, client: true, std-http-server: true, strict-server: true}
EOF
		"$OUT/bin/oapi-codegen" -config "$dir/cfg.yaml" "$f" >"$dir/gen.log" 2>&1
		status=$?
	fi
	if [ $status -ne 0 ]; then
		echo "gen-fail $tool $name $((SECONDS - start))s $(grep -v '^\s*$' "$dir/gen.log" | grep -v ': note: \|warning' | tail -n1 | cut -c1-160)" >"$dir/result"
		return
	fi
	if (cd "$dir" && go build ./... >"$dir/build.log" 2>&1); then
		echo "ok $tool $name $((SECONDS - start))s" >"$dir/result"
		rm -rf "$dir/api" # keep the disk use bounded: Stripe's output is 28 MB
	else
		echo "build-fail $tool $name $((SECONDS - start))s $(grep -m1 -E '\.go:[0-9]+' "$dir/build.log" | sed 's/^[^ ]*: //' | cut -c1-160)" >"$dir/result"
	fi
}
export -f one write_module
export OUT ROOT CORPUS ACCORD

echo "${#FILES[@]} OpenAPI contracts, $JOBS at a time" >&2
for f in "${FILES[@]}"; do
	printf '%s\0%s\0' accord "$f"
	printf '%s\0%s\0' oapi-codegen "$f"
done | xargs -0 -n 2 -P "$JOBS" bash -c 'one "$0" "$1"'

printf '\n%-70s %-12s %s\n' contract accord oapi-codegen
for f in "${FILES[@]}"; do
	name=${f#"$CORPUS"/}
	id=${name//\//__}
	a=$(cut -d' ' -f1 "$OUT/accord/$id/result" 2>/dev/null || echo missing)
	o=$(cut -d' ' -f1 "$OUT/oapi-codegen/$id/result" 2>/dev/null || echo missing)
	printf '%-70s %-12s %s\n' "$name" "$a" "$o"
done

total=${#FILES[@]}
count() { cat "$OUT"/$1/*/result 2>/dev/null | grep -c "^$2 " ; }
a_ok=$(count accord ok)
a_invalid=$(count accord invalid)
o_ok=$(count oapi-codegen ok)
valid=$((total - a_invalid))
echo
echo "accord:       $a_ok/$valid valid contracts generate code that compiles ($a_invalid of $total refused as invalid)"
echo "oapi-codegen: $o_ok/$total contracts generate code that compiles"
echo
echo "accord failures and refusals:"
grep -hv '^ok ' "$OUT"/accord/*/result 2>/dev/null | sed 's/^/  /' || true
if [ "${KEEP:-0}" = 1 ] || [ "$a_ok" -lt "$valid" ]; then
	echo "logs: $OUT"
else
	rm -rf "$OUT"
fi
[ "$a_ok" -eq "$valid" ]
