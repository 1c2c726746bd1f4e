package main

import (
	"github.com/spf13/pflag"

	"github.com/jobguard/jobguard/policies"
)

// kubeVersionValue is a policies.KubeVersion as a command-line flag: --kube-version 1.30.
type kubeVersionValue policies.KubeVersion

func kubeVersionFlag(v *policies.KubeVersion) pflag.Value { return (*kubeVersionValue)(v) }

func (v *kubeVersionValue) String() string { return policies.KubeVersion(*v).String() }

func (v *kubeVersionValue) Set(s string) error {
	parsed, err := policies.ParseKubeVersion(s)
	if err != nil {
		return err
	}
	*v = kubeVersionValue(parsed)
	return nil
}

func (v *kubeVersionValue) Type() string { return "version" }
