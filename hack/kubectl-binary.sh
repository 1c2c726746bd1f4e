#!/usr/bin/env bash
# Builds one kubectl from source through the Go module proxy, from a tools
# module that requires k8s.io/kubernetes (default hack/kubectl-1.31), and
# prints the path of the binary on the last line of stdout:
#
#   export JOBGUARD_KUBECTL_OLD="$(hack/kubectl-binary.sh)"
#
# The real-kubectl tests run this kubectl beside the v1.36.3 one that
# hack/envtest-binaries.sh builds, to show that the RBAC jobguard suggests works
# for both. Only kubectl is built (a few minutes cold on 2 cores), into
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/jobguard/kubectl-<version>/kubectl
#
# and later runs return at once when it is there and reports that version.
# Progress and errors go to stderr; stdout carries only the path.
set -euo pipefail

log() { printf 'kubectl-binary: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/build-cache.sh
. "${script_dir}/lib/build-cache.sh"
tools_dir="${1:-${script_dir}/kubectl-1.31}"
[[ -f "${tools_dir}/go.mod" ]] || die "missing ${tools_dir}/go.mod"
k8s_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit } $1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "${tools_dir}/go.mod")"
[[ -n "${k8s_version}" ]] || die "k8s.io/kubernetes not found in ${tools_dir}/go.mod"

bin_dir="${XDG_CACHE_HOME:-${HOME}/.cache}/jobguard/kubectl-${k8s_version}"
bin="${bin_dir}/kubectl"

have_binary() {
  local out
  [[ -x "$1" ]] || return 1
  out="$("$1" version --client 2>/dev/null)" || return 1
  [[ "${out}" == *"Client Version: ${k8s_version}"* ]]
}

if have_binary "${bin}"; then
  printf '%s\n' "${bin}"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH"
mkdir -p "${bin_dir}"
if lock_cache "${bin_dir}" have_binary "${bin}"; then
  printf '%s\n' "${bin}"
  exit 0
fi
make_build_dir "${bin_dir}"
ldflags="$(k8s_ldflags "${k8s_version}")"

log "building kubectl ${k8s_version} into ${bin_dir} (a cold build takes a few minutes)"
start=${SECONDS}
(
  cd "${tools_dir}"
  GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 GOTOOLCHAIN=local \
    go build -trimpath -ldflags="${ldflags}" -o "${tmp_dir}/kubectl" k8s.io/kubernetes/cmd/kubectl
) >&2
have_binary "${tmp_dir}/kubectl" || die "freshly built kubectl does not report ${k8s_version}"
mv -f "${tmp_dir}/kubectl" "${bin}"
log "built in $((SECONDS - start))s"
printf '%s\n' "${bin}"
