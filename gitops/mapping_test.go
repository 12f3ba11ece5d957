package gitops_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
)

// istio returns the application-istio fixture with clusters.yaml edited.
func istio(t *testing.T, oldnew ...string) fstest.MapFS {
	t.Helper()
	fsys := mapFS(t, fixtures.ApplicationIstio)
	inv := string(fsys["clusters.yaml"].Data)
	for i := 0; i+1 < len(oldnew); i += 2 {
		if !strings.Contains(inv, oldnew[i]) {
			t.Fatalf("clusters.yaml has no %q", oldnew[i])
		}
		inv = strings.Replace(inv, oldnew[i], oldnew[i+1], 1)
	}
	fsys["clusters.yaml"] = &fstest.MapFile{Data: []byte(inv)}
	return fsys
}

func deploy(t *testing.T, fsys fstest.MapFS, workload string) (*gitops.Edit, error) {
	t.Helper()
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload(workload)
	return repo.DeployEdit(t.Context(), w, "gke-eu-1", []string{"gke-eu-2"})
}

// The source's Argo CD destination is its cluster's name, the target's is
// not: "gke-eu-1" in the source's Application could become either. ferry
// refuses, naming clusters.yaml, rather than pick one (it picked the
// cluster's name before, every time, and the Application pointed at a
// destination Argo CD does not know).
func TestDeriveAmbiguousString(t *testing.T) {
	fsys := istio(t,
		`values: {server: "https://34.76.10.1",`, `values: {destination: gke-eu-1, server: "https://34.76.10.1",`,
		`values: {server: "https://34.90.20.1",`, `values: {destination: prod-euw4-ctx, server: "https://34.90.20.1",`,
		`values: {server: "https://35.192.30.1",`, `values: {destination: gke-us-1, server: "https://35.192.30.1",`)
	_, err := deploy(t, fsys, "podcast-api")
	var ie *gitops.InputError
	if !errors.As(err, &ie) || !errors.Is(err, gitops.ErrAmbiguous) || ie.File == "" || ie.Line == 0 {
		t.Fatalf("DeployEdit() = %v, want an ambiguity naming a file and line", err)
	}
	for _, s := range []string{`"gke-eu-1"`, "name and destination", `"gke-eu-2" (name)`, `"prod-euw4-ctx" (destination)`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("DeployEdit() error %q does not say %s", err, s)
		}
	}
}

// A value of one workload on one cluster (an identity's client id) is
// given in the cluster's workloads section, not added to every cluster:
// deploy replaces the source's by the target's, and says so.
func TestDerivePerWorkloadValue(t *testing.T) {
	fsys := istio(t,
		`values: {server: "https://34.76.10.1", region: europe-west1, network: mesh-net-eu1}`,
		`values: {server: "https://34.76.10.1", region: europe-west1, network: mesh-net-eu1}
  workloads:
    podcast-api: {clientId: 0a1b2c3d-eu1}`,
		`values: {server: "https://34.90.20.1", region: europe-west4, network: mesh-net-eu2}`,
		`values: {server: "https://34.90.20.1", region: europe-west4, network: mesh-net-eu2}
  workloads:
    podcast-api: {clientId: 9f8e7d6c-eu2}`)
	overlay := "apps/podcast-api/overlays/gke-eu-1/kustomization.yaml"
	fsys[overlay] = &fstest.MapFile{Data: append(fsys[overlay].Data, []byte("  azure.workload.identity/client-id: 0a1b2c3d-eu1\n")...)}
	e, err := deploy(t, fsys, "podcast-api")
	if err != nil {
		t.Fatal(err)
	}
	var derived string
	for _, c := range e.Changes {
		if c.Path == "apps/podcast-api/overlays/gke-eu-2/kustomization.yaml" {
			derived = string(c.Data)
		}
	}
	if !strings.Contains(derived, "client-id: 9f8e7d6c-eu2") || strings.Contains(derived, "0a1b2c3d-eu1") {
		t.Errorf("the derived overlay does not carry gke-eu-2's client id:\n%s", derived)
	}
	found := false
	for _, r := range e.Derivation {
		found = found || r.Key == "workloads.podcast-api.clientId" && r.Old == "0a1b2c3d-eu1" && r.New == "9f8e7d6c-eu2" && r.Line > 0
	}
	if !found {
		t.Errorf("Derivation = %v, want the client id's replacement with its key and line", e.Derivation)
	}

	// The target lacks the workload's value: refused, naming its entry.
	fsys = istio(t,
		`values: {server: "https://34.76.10.1", region: europe-west1, network: mesh-net-eu1}`,
		`values: {server: "https://34.76.10.1", region: europe-west1, network: mesh-net-eu1}
  workloads:
    podcast-api: {clientId: 0a1b2c3d-eu1}`)
	_, err = deploy(t, fsys, "podcast-api")
	var ie *gitops.InputError
	if !errors.As(err, &ie) || ie.File != "clusters.yaml" || ie.Line == 0 || !strings.Contains(err.Error(), "no value clientId for workload podcast-api") {
		t.Fatalf("DeployEdit() without the target's value = %v, want an error at clusters.yaml naming the value", err)
	}
}

// The cluster's name inside a host (api.gke-eu-1.example.com) would become
// a host nothing says exists: the deploy is refused, naming the line.
// Given the domain as a value of each cluster, the host is replaced whole.
// A value inside a dotted name (the region in a service account) is
// declared for replacing, and is replaced. Before, the host was rewritten
// to api.gke-eu-2.example.com without a word.
func TestDeriveHostname(t *testing.T) {
	const o = "apps/podcast-api/overlays/gke-eu-1/kustomization.yaml"
	withHost := func(fsys fstest.MapFS) fstest.MapFS {
		fsys[o] = &fstest.MapFile{Data: append(fsys[o].Data, []byte("  media.example.com/api: api.gke-eu-1.example.com\n  media.example.com/sa: podcast@media-europe-west1.iam.gserviceaccount.com\n")...)}
		return fsys
	}
	_, err := deploy(t, withHost(istio(t)), "podcast-api")
	var ie *gitops.InputError
	if !errors.As(err, &ie) || !errors.Is(err, gitops.ErrInsideName) || ie.File != o || ie.Line != 11 || !strings.Contains(err.Error(), "api.gke-eu-1.example.com") {
		t.Fatalf("DeployEdit() = %v, want %s:11 refused, naming the host", err, o)
	}
	fsys := withHost(istio(t,
		`network: mesh-net-eu1}`, `network: mesh-net-eu1, domain: gke-eu-1.example.com}`,
		`network: mesh-net-eu2}`, `network: mesh-net-eu2, domain: gke-eu-2.example.com}`,
		`network: mesh-net-us1}`, `network: mesh-net-us1, domain: gke-us-1.example.com}`))
	edit, err := deploy(t, fsys, "podcast-api")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, c := range edit.Changes {
		if strings.HasSuffix(c.Path, "gke-eu-2/kustomization.yaml") {
			got = string(c.Data)
		}
	}
	for _, want := range []string{"api.gke-eu-2.example.com", "podcast@media-europe-west4.iam.gserviceaccount.com"} {
		if !strings.Contains(got, want) {
			t.Errorf("derived overlay lacks %s:\n%s", want, got)
		}
	}
}

// A cluster named by a plain word (old) is not replaced in prose (a note,
// a comment), where the word is likely just a word: it is left, and the
// derived file's leftovers show it. Inside a dotted name it is refused.
func TestDeriveWordsAndNames(t *testing.T) {
	fsys := fstest.MapFS{"clusters.yaml": {Data: []byte(`apiVersion: ferry.dev/v1alpha1
kind: ClusterInventory
clusters:
- name: old
- name: new
`)}}
	inv, err := gitops.LoadInventory(fsys, "clusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := inv.NewSubstitution("old", "new")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"note: old-school setup, kept\n":       "note: old-school setup, kept\n",
		"# the old cluster\nname: web-old\n":   "# the old cluster\nname: web-new\n",
		"labels: {cluster: old, tier: web}\n":  "labels: {cluster: new, tier: web}\n",
		"host: api.old.example.com\n":          "host: api.new.example.com\n",
		"description: \"runs on old nodes\"\n": "description: \"runs on old nodes\"\n",
	} {
		if got := sub.Replace(in); got != want {
			t.Errorf("Replace(%q) = %q, want %q", in, got, want)
		}
	}
	ex := sub.Explain("f.yaml", "host: api.old.example.com\nnote: old-school setup\n")
	if len(ex) != 1 || ex[0].Within != "api.old.example.com" || ex[0].Line != 1 {
		t.Errorf("Explain = %v, want one replacement, inside api.old.example.com, on line 1", ex)
	}
	if err := sub.InsideName("f.yaml", []byte("note: x\nhost: api.old.example.com\n")); !errors.Is(err, gitops.ErrInsideName) || !strings.Contains(err.Error(), "f.yaml:2") {
		t.Errorf("InsideName = %v, want f.yaml:2 refused", err)
	}
	if err := sub.InsideName("f.yaml", []byte("values: [old.yaml, values.old.yaml, ./old/x]\n")); err != nil {
		t.Errorf("InsideName(file names) = %v, want nil", err)
	}
	if left := sub.Leftovers("f.yaml", []byte("note: old-school setup\n")); len(left) != 1 {
		t.Errorf("Leftovers = %v, want the prose word reported", left)
	}
}
