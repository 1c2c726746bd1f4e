package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/jobguard/jobguard/policies"
)

// addAllowBuiltinFlag adds --allow-builtin, the only way for lint and test to let rules reach
// outside the process: a repository's own .jobguard.yaml cannot.
func addAllowBuiltinFlag(fl *pflag.FlagSet, names *[]string) {
	fl.StringArrayVar(names, "allow-builtin", nil, "let rules call this builtin, which reaches outside jobguard and is off by default (repeatable; one of: "+
		strings.Join(policies.OutsideBuiltins(), ", ")+")")
}
