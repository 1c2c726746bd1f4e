package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/policies"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; otherwise it comes from
// the module or VCS information Go records in the binary.
var version = ""

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of jobguard and of its rule engine",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "jobguard %s\nopa %s\n%s\ndefault --kube-version %s\n",
				buildVersion(), depVersion("github.com/open-policy-agent/opa"), runtime.Version(), policies.DefaultKubeVersion)
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	switch {
	case rev == "":
		return "(devel)"
	case dirty:
		return "(devel) " + rev[:min(12, len(rev))] + "-dirty"
	}
	return "(devel) " + rev[:min(12, len(rev))]
}

func depVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "(unknown)"
}
