#!/usr/bin/env bash
# Builds kube-linter (the peer that issue 15's speed targets are measured against) from source
# and prints the path of the binary on the last line of stdout:
#
#   hack/kube-linter-binary.sh                           # go install golang.stackrox.io/kube-linter@v0.8.3
#   KUBE_LINTER_SRC=~/src/kube-linter hack/kube-linter-binary.sh   # a checkout of tag v0.8.3
#
# The binary goes to ${XDG_CACHE_HOME:-$HOME/.cache}/jobguard/kube-linter-v0.8.3 (about a minute
# cold on 2 cores) and later runs return at once. Built like `make build` builds jobguard:
# -trimpath, no symbol table or DWARF. Only `make bench-peer` needs it; `make test` does not.
#
# Without KUBE_LINTER_SRC the module comes through the Go module proxy; where the proxy does not
# serve it, give a checkout (git clone --branch v0.8.3 https://github.com/stackrox/kube-linter).
# Its dependencies come through the proxy either way.
set -euo pipefail

version=v0.8.3
log() { printf 'kube-linter-binary: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

bin="${XDG_CACHE_HOME:-${HOME}/.cache}/jobguard/kube-linter-${version}"
if [[ -x "${bin}" ]]; then
  printf '%s\n' "${bin}"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "go is not on PATH"
mkdir -p "$(dirname "${bin}")"
flags=(-trimpath -ldflags "-s -w -X golang.stackrox.io/kube-linter/internal/version.version=${version}")

if [[ -n "${KUBE_LINTER_SRC:-}" ]]; then
  [[ -f "${KUBE_LINTER_SRC}/go.mod" ]] || die "KUBE_LINTER_SRC=${KUBE_LINTER_SRC} has no go.mod"
  if git -C "${KUBE_LINTER_SRC}" rev-parse --git-dir >/dev/null 2>&1; then
    described="$(git -C "${KUBE_LINTER_SRC}" describe --tags --exact-match 2>/dev/null || true)"
    [[ "${described}" == "${version}" ]] || log "warning: ${KUBE_LINTER_SRC} is at '${described:-no tag}', not ${version}"
  fi
  log "building kube-linter from ${KUBE_LINTER_SRC}"
  (cd "${KUBE_LINTER_SRC}" && go build "${flags[@]}" -o "${bin}.tmp" ./cmd/kube-linter)
else
  log "building golang.stackrox.io/kube-linter/cmd/kube-linter@${version} through the module proxy"
  gobin="$(mktemp -d)"
  trap 'rm -rf "${gobin}"' EXIT
  GOBIN="${gobin}" go install "${flags[@]}" "golang.stackrox.io/kube-linter/cmd/kube-linter@${version}" ||
    die "the module proxy does not serve kube-linter ${version}: give a checkout as KUBE_LINTER_SRC"
  mv "${gobin}/kube-linter" "${bin}.tmp"
fi
mv "${bin}.tmp" "${bin}"
printf '%s\n' "${bin}"
