package jobguard.rules.batch.image_latest_tag_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.image_latest_tag

denied(image) := d if {
	d := image_latest_tag.deny with input as fixtures.with_pod({"containers": [{"name": "c", "image": image}]})
}

test_latest_denied if {
	some f in denied("bitnami/kubectl:latest")
	f.path == ["spec", "template", "spec", "containers", 0, "image"]
	contains(f.message, "latest tag")
}

test_untagged_denied if {
	some f in denied("busybox")
	contains(f.message, "has no tag")
}

test_registry_port_untagged_denied if {
	count(denied("registry.local:5000/team/app")) == 1
}

test_init_container_denied if {
	some f in image_latest_tag.deny with input as fixtures.with_pod({"initContainers": [{"name": "i", "image": "busybox"}]})
	f.path == ["spec", "template", "spec", "initContainers", 0, "image"]
}

test_pinned_allowed if {
	every image in ["busybox:1.36", "registry.local:5000/app:v2", "busybox@sha256:abc", "busybox:latest@sha256:abc"] {
		count(denied(image)) == 0
	}
}

test_ko_reference_allowed if {
	count(denied("ko://github.com/example/app/cmd/worker")) == 0
}

test_ko_lookalike_denied if {
	count(denied("example/ko:latest")) == 1
}
