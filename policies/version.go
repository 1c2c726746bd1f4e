package policies

import (
	"fmt"
	"strconv"
	"strings"
)

// KubeVersion is a Kubernetes minor release, the target of version-dependent rules.
type KubeVersion struct {
	Major, Minor int
}

// DefaultKubeVersion is the release rules target unless told otherwise.
var DefaultKubeVersion = KubeVersion{Major: 1, Minor: 36}

// ParseKubeVersion reads "1.36", "v1.36" or "v1.36.3" (the patch is ignored).
func ParseKubeVersion(s string) (KubeVersion, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return KubeVersion{}, fmt.Errorf("kube version %q: want MAJOR.MINOR, e.g. 1.36", s)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return KubeVersion{}, fmt.Errorf("kube version %q: %q is not a number; want MAJOR.MINOR, e.g. 1.36", s, p)
		}
		nums[i] = n
	}
	if nums[0] != 1 {
		return KubeVersion{}, fmt.Errorf("kube version %q: only Kubernetes 1.x exists", s)
	}
	return KubeVersion{Major: nums[0], Minor: nums[1]}, nil
}

func (v KubeVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }
