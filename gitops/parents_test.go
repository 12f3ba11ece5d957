package gitops

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// One parent for every cluster's registrations, in one folder: the
// target's entry goes where the list's order puts it, written like the
// others, and cleanup takes the source's out.
func TestParentListOneForAll(t *testing.T) {
	tests := []struct{ name, in, want string }{{
		name: "sorted",
		in:   "resources:\n  - \"web-gke-eu-1.yaml\"\n  - \"web-gke-us-1.yaml\"\n",
		want: "resources:\n  - \"web-gke-eu-1.yaml\"\n  - \"web-gke-eu-2.yaml\"\n  - \"web-gke-us-1.yaml\"\n",
	}, {
		name: "unsorted: after the source's entry",
		in:   "resources:\n- web-gke-us-1.yaml\n- web-gke-eu-1.yaml # primary\n- api-gke-eu-1.yaml\n",
		want: "resources:\n- web-gke-us-1.yaml\n- web-gke-eu-1.yaml # primary\n- web-gke-eu-2.yaml\n- api-gke-eu-1.yaml\n",
	}, {
		name: "with a ./ prefix, CRLF",
		in:   "resources:\r\n- ./web-gke-eu-1.yaml\r\n",
		want: "resources:\r\n- ./web-gke-eu-1.yaml\r\n- ./web-gke-eu-2.yaml\r\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEditor(fstest.MapFS{
				"argocd/apps/kustomization.yaml": {Data: []byte(tt.in)},
				"argocd/apps/web-gke-eu-1.yaml":  {Data: []byte("kind: Application\n")},
			})
			e.Write("argocd/apps/web-gke-eu-2.yaml", []byte("kind: Application\n"))
			if err := listAdd(e, "argocd/apps/web-gke-eu-1.yaml", "argocd/apps/web-gke-eu-2.yaml"); err != nil {
				t.Fatal(err)
			}
			got, _ := e.Read("argocd/apps/kustomization.yaml")
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("after listAdd (-want +got):\n%s", diff)
			}
			e.Delete("argocd/apps/web-gke-eu-2.yaml")
			if err := listRemove(e, "argocd/apps/web-gke-eu-2.yaml"); err != nil {
				t.Fatal(err)
			}
			if got, _ := e.Read("argocd/apps/kustomization.yaml"); string(got) != tt.in {
				t.Errorf("after listRemove = %q, want the input back, %q", got, tt.in)
			}
		})
	}
}
