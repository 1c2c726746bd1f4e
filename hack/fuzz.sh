#!/usr/bin/env bash
# Runs every fuzz target of the module for a short, fixed time each, one after the other
# (`go test -fuzz` takes one target per invocation), and prints one line per target:
#
#   hack/fuzz.sh                 # 500 inputs each (what `make test` runs)
#   FUZZTIME=60s hack/fuzz.sh    # a duration instead
#   FUZZTIME=20000x hack/fuzz.sh # more inputs
#
# A count is the default because a duration races Go's fuzz coordinator: when -fuzztime expires
# while a worker is mid-input, go1.26 reports a bare "context deadline exceeded" failure with no
# failing input (golang/go#75804, fixed in Go 1.27). With a duration, such a failure is reported
# as "flake" and does not fail the run unless go test wrote a failing input.
#
# The targets are the Fuzz functions of the module's test files (build constraints applied by
# `go list`): found this way, they cost no build, where `go test -list '^Fuzz' ./...` links every
# package's tests first (10-20 s). A name `go test` does not run as a fuzz target fails.
#
# A failing input is written by `go test` to the package's testdata/fuzz/<Target>/ directory:
# keep it there, as a regression test the plain `go test` runs, once the bug is fixed.
# Exits non-zero if a target fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
go="${GO:-go}"
fuzztime="${FUZZTIME:-500x}"

# list_targets prints "<import path> <directory> <Target>" for each fuzz target.
list_targets() {
	local pkg dir files f
	"${go}" list -f '{{.ImportPath}} {{.Dir}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./... |
		while read -r pkg dir files; do
			for f in ${files}; do
				sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p' "${dir}/${f}"
			done | sort -u | sed "s|^|${pkg} ${dir} |"
		done
}
targets=()
while IFS= read -r line; do targets+=("${line}"); done < <(list_targets) # no mapfile in macOS bash 3

if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

# inputs DIR prints how many failing inputs go test has kept in DIR.
inputs() { if [[ -d $1 ]]; then find "$1" -type f | wc -l; else echo 0; fi; }

log="$(mktemp)"
trap 'rm -f "${log}"' EXIT
failed=0
for t in "${targets[@]}"; do
	read -r pkg dir name <<<"${t}"
	start=$(date +%s)
	corpus="${dir}/testdata/fuzz/${name}"
	before=$(inputs "${corpus}")
	if "${go}" test -run '^$' -fuzz "^${name}\$" -fuzztime "${fuzztime}" "${pkg}" >"${log}" 2>&1 &&
		! grep -q 'no fuzz tests to fuzz' "${log}"; then
		# The last progress line: "execs: 12345 (2469/sec), new interesting: 3 (total: 40)", or
		# "gathering baseline coverage: 80/162 completed" when replaying the cached corpus took
		# the whole time (it is in $(go env GOCACHE)/fuzz).
		progress=$(sed -n 's/^fuzz: elapsed: [^,]*, //p' "${log}" | tail -n 1)
		printf 'ok    %-14s %-40s %3ss  %s\n' "${name}" "${pkg}" "$(($(date +%s) - start))" "${progress}"
	elif grep -q '^    context deadline exceeded$' "${log}" &&
		[[ $(inputs "${corpus}") -eq ${before} ]]; then
		printf 'flake %-14s %-40s %3ss  %s\n' "${name}" "${pkg}" "$(($(date +%s) - start))" \
			"context deadline exceeded at -fuzztime, no failing input (golang/go#75804)"
	else
		failed=1
		printf 'FAIL  %-14s %-40s %3ss\n' "${name}" "${pkg}" "$(($(date +%s) - start))"
		sed 's/^/    /' "${log}" | tail -n 40
	fi
done
exit "${failed}"
