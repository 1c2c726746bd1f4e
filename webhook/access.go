package webhook

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
)

// SubjectAccessReviewer answers the rules' RBAC questions (rbac-insufficient: may this Job's
// ServiceAccount make the requests its kubectl commands make?) by asking the API server with a
// SubjectAccessReview, so that the answer covers every Role, binding and authorizer the cluster
// has, not only those in one request. It implements policies.AccessChecker.
type SubjectAccessReviewer struct {
	// Client creates SubjectAccessReviews (create on authorization.k8s.io subjectaccessreviews).
	Client client.Client
}

// Check asks whether the ServiceAccount may make req. The cluster always knows, so the verdict is
// always Known; the authorizer's reason, when it gives one, becomes the Note.
func (r *SubjectAccessReviewer) Check(ctx context.Context, sa rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + sa.Namespace + ":" + sa.Name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.Namespace, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace:   req.Namespace, // "" for cluster-scoped requests and across all namespaces
			Verb:        req.Verb,
			Group:       req.Group,
			Resource:    req.Resource,
			Subresource: req.Subresource,
			Name:        req.Name,
		},
	}}
	if err := r.Client.Create(ctx, review); err != nil {
		return rbac.Verdict{}, fmt.Errorf("SubjectAccessReview for %s: %w", sa, err)
	}
	v := rbac.Verdict{Known: true, Allowed: review.Status.Allowed && !review.Status.Denied}
	if !v.Allowed && review.Status.Reason != "" {
		v.Note = "the API server says: " + review.Status.Reason
	}
	return v, nil
}

func (s *Server) logAccessChecksSkipped() {
	if s.opts.AccessChecker != nil {
		return
	}
	s.accessOnce.Do(func() {
		s.log.Info("SubjectAccessReview checks are skipped: no cluster connection; rbac-insufficient reports that the ServiceAccount's RBAC could not be checked")
	})
}
