package kubectl

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/jobguard/jobguard/internal/memo"
)

// Version is a Kubernetes minor release, of kubectl or of the cluster. The zero Version is
// unknown.
type Version struct {
	Major, Minor int
}

// Known reports whether the version is known.
func (v Version) Known() bool { return v.Major > 0 }

// AtLeast reports whether v is known and at least major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Known() && (v.Major > major || v.Major == major && v.Minor >= minor)
}

func (v Version) String() string {
	if !v.Known() {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// Versions are what the mapping assumes about the kubectl that runs and the cluster it talks to.
// Where one is unknown, the requests are those that work for every version in support.
type Versions struct {
	// Kubectl is the version of the kubectl binary, from its container's image.
	Kubectl Version
	// Image is the container image Kubectl was read from, for messages.
	Image string
	// Cluster is the version of the API server.
	Cluster Version
}

// kubectlImages are the repositories whose tags are the version of the kubectl they ship:
// registry.k8s.io/kubectl:v1.30.2, bitnami/kubectl:1.31.0 (and -debian-12-r0 variants),
// rancher/kubectl:v1.30.2, alpine/k8s:1.29.4, lachlanevenson/k8s-kubectl:v1.25.4. Mirrors keep
// the last path element, so it is what counts ("kubectl" or "k8s-kubectl"), plus alpine/k8s.
// Images such as dtzar/helm-kubectl are tagged with another tool's version and are not trusted.
func kubectlImage(path string) bool {
	last := path[strings.LastIndex(path, "/")+1:]
	return last == "kubectl" || last == "k8s-kubectl" || path == "alpine/k8s" || strings.HasSuffix(path, "/alpine/k8s")
}

// ImageVersion reads the kubectl version from a container image: the tag of a common kubectl
// image, v-prefixed or plain (1.31, v1.31.0, 1.31.0-debian-12-r0). An image pinned by digest
// alone, tagged latest or not at all, or not a kubectl image, gives the zero (unknown) Version.
// A tag beside a digest is read: tools that pin digests (Renovate, Dependabot) keep the tag in
// step.
func ImageVersion(image string) Version {
	return imageVersions.Get(image, func() Version { return imageVersion(image) })
}

// imageVersions keeps the versions of recent images: every container of every Job that runs
// kubectl asks, and parsing a reference is most of the model's cost.
var imageVersions = memo.New[Version](1024)

func imageVersion(image string) Version {
	ref, err := reference.ParseNormalizedNamed(strings.TrimSpace(image))
	if err != nil {
		return Version{}
	}
	tagged, ok := ref.(reference.Tagged)
	if !ok || !kubectlImage(reference.Path(ref)) {
		return Version{}
	}
	tag := tagged.Tag()
	v, err := version.ParseGeneric(tag)
	if err != nil {
		return Version{}
	}
	// ParseGeneric accepts any trailing text; a release tag continues only with -suffix or +build.
	numbers := strings.TrimPrefix(tag, "v")
	if end := strings.IndexAny(numbers, "-+"); end >= 0 {
		numbers = numbers[:end]
	}
	if strings.Trim(numbers, "0123456789.") != "" || v.Major() != 1 {
		return Version{}
	}
	return Version{Major: 1, Minor: int(v.Minor())}
}

// Watch-list: a watch that first sends the objects that exist, instead of a LIST and then a
// WATCH. kubectl rollout status and kubectl wait use it through client-go's reflector
// (tools/cache/reflector.go: useWatchList from the WatchListClient gate, falling back to LIST
// when the API server refuses it) only when:
//   - kubectl is 1.35 or later: the WatchListClient gate is off by default up to client-go v0.34
//     and on from v0.35 (k8s.io/client-go/features/known_features.go at v0.31.14, v0.34.0,
//     v0.35.0, v0.36.3), and kubectl wraps its ListWatch in
//     cache.ToListWatcherWithWatchListSemantics only from v0.35.0 (k8s.io/kubectl
//     pkg/cmd/rollout/rollout_status.go, pkg/cmd/wait/condition.go and delete.go; v0.34.0 and
//     v0.31.14 pass a plain cache.ListWatch);
//   - the API server serves it: k8s.io/apiserver's WatchList gate is on by default in 1.32, off
//     again in 1.33, on from 1.34 (pkg/features/kube_features.go at v0.32.0 to v0.36.3; alpha and
//     off in v0.31.14).
//
// Either way the watch is authorized as watch, so watch is always needed.
//
// The other requests of the commands checked with both releases in envtest_versions_test.go are
// the same at v0.31.14 and v0.36.3: scale (pkg/cmd/scale, pkg/scale: get, then patch or update of
// the scale subresource), logs (pkg/polymorphichelpers/helpers.go is unchanged; pkg/cmd/logs
// gains no request) and exec (see connect).
const (
	watchListKubectlMinor = 35
	watchListServerMinor  = 34
)

// watchList reports whether kubectl streams its initial list over the watch, and why (or why
// not), for the finding or suggested rule that depends on it.
func (v Versions) watchList() (bool, string) {
	kubectl := "kubectl " + v.Kubectl.String()
	switch {
	case !v.Kubectl.Known() && v.Image != "":
		return false, fmt.Sprintf("image %q does not say its kubectl version, and kubectl before 1.%d lists before it watches", v.Image, watchListKubectlMinor)
	case !v.Kubectl.Known():
		return false, fmt.Sprintf("kubectl version unknown, and kubectl before 1.%d lists before it watches", watchListKubectlMinor)
	case !v.Kubectl.AtLeast(1, watchListKubectlMinor):
		return false, kubectl + " lists before it watches"
	case !v.Cluster.Known():
		return false, kubectl + " lists before it watches on clusters without watch-list (set --kube-version)"
	case v.Cluster == Version{Major: 1, Minor: 32} || v.Cluster.AtLeast(1, watchListServerMinor):
		return true, fmt.Sprintf("%s streams the list over its watch on a %s cluster", kubectl, v.Cluster)
	}
	return false, fmt.Sprintf("%s lists before it watches on a %s cluster, which does not serve watch-list", kubectl, v.Cluster)
}
