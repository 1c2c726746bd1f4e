// Package rbac answers the cross-object RBAC questions of jobguard's rules: what a ServiceAccount
// may do given the Roles, ClusterRoles and bindings of an inventory, which grants its workloads
// do not need, and the smallest RBAC that lets a Job's kubectl commands run.
//
// Lint builds an Inventory from every object on its command line; the webhook can answer Check
// from the API server instead (SubjectAccessReview), behind the same policies.AccessChecker
// interface. Rule coverage is decided by k8s.io/component-helpers/auth/rbac/validation, the code
// the API server uses to stop privilege escalation, not by hand-written matching.
package rbac
