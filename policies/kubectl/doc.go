// Package kubectl finds kubectl invocations in a container's command line
// and maps each one to the Kubernetes API requests kubectl makes for it.
//
// The mapping lets a policy check that a Job's ServiceAccount may do what
// its containers ask kubectl to do, and lets a generator write the Role
// that grants exactly that.
//
// [Find] walks a container's command and args with Kubernetes semantics
// (args are appended to command; with no command the image entrypoint is
// unknown, so only args are examined). Shell scripts given to sh, bash, ash
// and friends with -c, and to eval, are parsed with mvdan.cc/sh, never with
// regular expressions, so kubectl is found in pipelines, lists, subshells,
// command substitutions and compound commands, behind exec, env, timeout,
// nice, nohup, sudo and similar wrappers.
//
// A word that depends on run time (a parameter expansion, a command
// substitution, ...) is kept but marked unresolved. A variable assigned a
// literal exactly once at the top level of the script is substituted.
//
// [Invocation.RequestsFor] models what kubectl sends for the common
// subcommands: get, describe, logs, exec, cp, attach, port-forward, scale,
// rollout, delete, patch, label, annotate, set, create, run, expose,
// autoscale, wait, cordon, uncordon, taint, drain, events, top, auth and
// the commands that only read local files or discovery. Discovery requests
// (/api, /apis, /openapi, /version) are left out: every authenticated user
// may make them through the system:discovery and system:public-info-viewer
// roles. Anything not modelled, or that depends on a word not known before
// run time, yields an [*UnresolvedError] naming the reason.
//
// Requests are what the API server authorizes, so they can be grouped into
// RBAC rules: a Name is set only where RBAC sees one (get, update, patch,
// delete, subresource creates, and list or watch narrowed by a
// metadata.name field selector). Requests marked Optional are made only in
// some cluster states, or kubectl tolerates their denial.
//
// The requests depend on the versions of kubectl and of the cluster
// ([Versions]): kubectl 1.35 and later stream the initial list of rollout
// status and wait over their watch where the API server serves watch-list,
// older ones list first. The kubectl version comes from the container's
// image ([ImageVersion]); where a version is unknown, the requests are those
// that work for every version in support, and [Request.Assumed] says which
// version a request depends on.
package kubectl
