#!/usr/bin/env bash
# Builds the control-plane binaries that controller-runtime's envtest needs
# (kube-apiserver, etcd) plus kubectl, from source through the Go module proxy,
# and prints the directory that holds them on the last line of stdout:
#
#   export KUBEBUILDER_ASSETS="$(hack/envtest-binaries.sh)"
#   go test ./...
#
# The versions come from hack/k8s-tools/go.mod (k8s.io/kubernetes and
# go.etcd.io/etcd/server/v3). The binaries go to a cache directory outside the
# repository:
#
#   ${JOBGUARD_K8S_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jobguard/k8s-<version>}
#
# A cold build takes roughly 5-15 minutes on 2 cores (most of it compiling and
# linking kube-apiserver); when all three binaries are already there and report
# the expected versions the script returns in well under a second. Progress and
# errors go to stderr; stdout carries only the directory.
#
# No release binaries, container images or setup-envtest downloads are used:
# only `go build` against modules from GOPROXY.
set -euo pipefail

log() { printf 'envtest-binaries: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/build-cache.sh
. "${script_dir}/lib/build-cache.sh"
tools_dir="${script_dir}/k8s-tools"
[[ -f "${tools_dir}/go.mod" ]] || die "missing ${tools_dir}/go.mod"

# Read a required module's version straight from go.mod (fast: no `go` call on
# the warm path).
mod_version() {
  awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "${tools_dir}/go.mod"
}
k8s_version="$(mod_version k8s.io/kubernetes)"
etcd_version="$(mod_version go.etcd.io/etcd/server/v3)"
[[ -n "${k8s_version}" ]] || die "k8s.io/kubernetes not found in ${tools_dir}/go.mod"
[[ -n "${etcd_version}" ]] || die "go.etcd.io/etcd/server/v3 not found in ${tools_dir}/go.mod"

bin_dir="${JOBGUARD_K8S_BIN_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/jobguard/k8s-${k8s_version}}"

# have_binaries DIR: true when DIR holds all three binaries, they run, and
# they report the versions pinned in go.mod.
have_binaries() {
  local d="$1" out
  [[ -x "$d/kube-apiserver" && -x "$d/kubectl" && -x "$d/etcd" ]] || return 1
  out="$("$d/kube-apiserver" --version 2>/dev/null)" || return 1
  [[ "${out}" == "Kubernetes ${k8s_version}" ]] || return 1
  out="$("$d/kubectl" version --client 2>/dev/null)" || return 1
  [[ "${out}" == *"Client Version: ${k8s_version}"* ]] || return 1
  out="$("$d/etcd" --version 2>/dev/null)" || return 1
  [[ "${out}" == *"etcd Version: ${etcd_version#v}"* ]] || return 1
}

if have_binaries "${bin_dir}"; then
  printf '%s\n' "${bin_dir}"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH"
mkdir -p "${bin_dir}"
if lock_cache "${bin_dir}" have_binaries "${bin_dir}"; then
  printf '%s\n' "${bin_dir}"
  exit 0
fi
make_build_dir "${bin_dir}"
# The same tags and flags as Kubernetes' own release builds (hack/lib/golang.sh).
ldflags="$(k8s_ldflags "${k8s_version}")"

log "building kube-apiserver and kubectl ${k8s_version}, etcd ${etcd_version} into ${bin_dir}"
log "(a cold build takes several minutes; later runs reuse ${bin_dir} and the Go build cache)"
start=${SECONDS}
# One `go build` for all three main packages so they share compile work. The
# etcd main package is go.etcd.io/etcd/server/v3, which go names "server".
(
  cd "${tools_dir}"
  GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
    go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="${ldflags}" \
    -o "${tmp_dir}/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kubectl \
    go.etcd.io/etcd/server/v3
) >&2
mv -f "${tmp_dir}/server" "${tmp_dir}/etcd"
have_binaries "${tmp_dir}" || die "freshly built binaries in ${tmp_dir} do not report ${k8s_version} / etcd ${etcd_version}"

for b in etcd kubectl kube-apiserver; do
  mv -f "${tmp_dir}/${b}" "${bin_dir}/${b}"
done
log "built in $((SECONDS - start))s"

have_binaries "${bin_dir}" || die "binaries in ${bin_dir} failed their version check after install"
printf '%s\n' "${bin_dir}"
