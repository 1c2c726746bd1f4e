//go:build tools

// Package tools records the main package that hack/kubectl-binary.sh builds,
// so that `go mod tidy` keeps its whole dependency graph in go.sum.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubectl"
)
