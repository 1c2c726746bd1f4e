//go:build tools

// Package tools records the main packages that hack/envtest-binaries.sh
// builds, so that `go mod tidy` keeps their whole dependency graph in go.sum.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
