# METADATA
# title: Images without a pinned tag
# description: |
#   An image tagged :latest, or with no tag (which means :latest), can change between runs: two
#   runs of the same Job may execute different code, and a bad push breaks every schedule at once.
#   Such a container's imagePullPolicy defaults to Always, so every run pulls whatever the tag
#   points to then. ko:// references are not reported: ko builds them and writes the resulting
#   image digest into the manifest (ko resolve, ko apply), so what is applied is pinned.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/util/parsers/parsers.go
#     description: "`ParseImageName`: an image without a tag gets the default tag latest."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/core/v1/defaults.go
#     description: "`SetDefaults_Container`: imagePullPolicy defaults to Always when the tag is latest (`PullAlways`), else IfNotPresent."
#   - ref: https://ko.build/reference/ko_resolve/
#     description: ko resolve (and ko apply) print the input with each ko:// reference resolved to the digest of the image ko built and pushed.
# custom:
#   id: image-latest-tag
#   severity: warning
#   kinds: [Job, CronJob]
#   remediation: Pin a version tag (bitnami/kubectl:1.36.3) or a digest (image@sha256:...).
package jobguard.rules.batch.image_latest_tag

import data.jobguard.lib.k8s
import data.jobguard.lib.result

# The regex comes before the other tests because most images have a version tag, and before
# tag() because it is cheaper: it matches when the last path segment has no ':', or when its
# second ':'-separated part is empty or latest.
deny contains result.fail(msg, array.concat(path, ["image"])) if {
	some path, container in k8s.containers
	image := container.image
	is_string(image)
	regex.match(`(^|/)[^:/]*(:(latest)?(:[^/]*)?)?$`, image) # tag(image) is "" or "latest"
	image != ""
	not contains(image, "@")
	not startswith(image, "ko://") # ko resolves it to a digest at build time
	msg := problem(image, tag(image))
}

# tag is what follows ':' in the last path segment ("" when none); "host:5000/app" has no tag.
default tag(_) := ""

tag(image) := t if {
	segments := split(image, "/")
	t := split(segments[count(segments) - 1], ":")[1]
}

problem(image, "") := sprintf("image %q has no tag, so it means :latest and can change between runs", [image])

problem(image, "latest") := sprintf("image %q uses the latest tag, which can change between runs", [image])
