# Sourced by the scripts that build Kubernetes binaries from the Go module proxy into a cache
# directory outside the repository (envtest-binaries.sh, kubectl-binary.sh). The sourcing script
# defines log; the functions use it for what goes to stderr.

# lock_cache DIR CHECK [ARG...] serialises builds into DIR (parallel make jobs, several test
# processes), where flock exists: it waits for a build that holds DIR's lock, then returns 0 if
# CHECK ARG... says that build made what is needed. Otherwise it returns 1 with the lock held,
# after removing the temporary directories of runs killed before their EXIT trap.
lock_cache() {
  local dir="$1"
  shift
  command -v flock >/dev/null 2>&1 || return 1
  exec 9>"${dir}/.lock"
  if ! flock -n 9; then
    log "another build into ${dir} is running; waiting for it"
    flock 9
  fi
  "$@" && return 0
  rm -rf "${dir}"/.build.*
  return 1
}

# make_build_dir DIR sets tmp_dir to a new directory inside DIR, removed on exit. Binaries are
# built there and renamed into DIR (atomic on one filesystem): an interrupted build never leaves
# a half-written binary under a final name.
make_build_dir() {
  tmp_dir="$(mktemp -d "$1/.build.XXXXXX")"
  trap 'rm -rf "${tmp_dir}"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# k8s_ldflags VERSION prints the linker flags of Kubernetes' release builds for VERSION (v1.N.P):
# no symbol table or DWARF, and the version stamps of hack/lib/version.sh minus the git commit.
k8s_ldflags() {
  local version="$1" minor pkg flags="-s -w"
  minor="${version#v1.}"
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X ${pkg}.gitVersion=${version}"
    flags+=" -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
    flags+=" -X ${pkg}.gitTreeState=clean"
  done
  printf '%s\n' "${flags}"
}
