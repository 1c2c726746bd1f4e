package testkit

import (
	"strings"
	"testing"
)

// A stream whose second document does not parse: the first comes back, with an error naming
// the second, as the envtest differential test of real manifests needs.
func TestJSONDocumentsKeepsThoseBeforeAnError(t *testing.T) {
	docs, err := JSONDocuments([]byte("kind: Job\n---\nkind: [unclosed\n---\nkind: Role\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "document 1: ") {
		t.Errorf("err = %v, want one naming document 1", err)
	}
	if len(docs) != 1 || string(docs[0]) != `{"kind":"Job"}` {
		t.Errorf("docs = %q, want the Job alone", docs)
	}
}
