package gitops_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
)

func TestValidatePair(t *testing.T) {
	files := fstest.MapFS{}
	for name, data := range goodRepo {
		files[name] = &fstest.MapFile{Data: []byte(data)}
	}
	add := func(name, data string) { files[name] = &fstest.MapFile{Data: []byte(data)} }
	// gke-eu-2 has no accelerators and serves only apps/v1 and v1.
	add("clusters.yaml", `apiVersion: ferry.dev/v1alpha1
kind: ClusterInventory
clusters:
- name: gke-eu-1
  values: {region: europe-west1}
  capabilities:
    apis: ["apps/v1/*", "v1/*"]
    accelerators: [nvidia-tesla-a100]
- name: gke-eu-2
  values: {region: europe-west2}
  capabilities:
    apis: ["apps/v1/*", "v1/*"]
`)
	add("apps/web/base/kustomization.yaml", "resources: [deployment.yaml]\n")
	add("apps/web/base/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1}]
`)
	add("apps/web/overlays/gke-eu-1/kustomization.yaml", "resources: [../../base]\n")
	add("apps/worker/base/kustomization.yaml", "resources: [deployment.yaml]\n")
	add("apps/worker/base/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: recs-model}
spec:
  selector: {matchLabels: {app: recs}}
  template:
    metadata: {labels: {app: recs}}
    spec:
      nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-a100}
      containers: [{name: model, image: recs:1}]
`)
	add("apps/worker/overlays/gke-eu-1/kustomization.yaml", "resources: [../../base]\n")
	add("apps/remote/overlays/gke-eu-1/kustomization.yaml", "resources:\n- https://github.com/example/apps//base?ref=v1\n")

	repo, err := gitops.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	problems := func(workload string) ([]string, error) {
		w, ok := repo.Workload(workload)
		if !ok {
			t.Fatalf("no workload %s", workload)
		}
		ps, err := repo.ValidatePair(t.Context(), w, "gke-eu-1", "gke-eu-2")
		var out []string
		for _, p := range ps {
			out = append(out, p.String())
		}
		return out, err
	}

	if got, err := problems("web"); err != nil || len(got) != 0 {
		t.Errorf("ValidatePair(web) = %v, %v; want it to run on gke-eu-2", got, err)
	}
	got, err := problems("worker")
	want := []string{"Deployment/recs-model spec.template.spec.nodeSelector: accelerator nvidia-tesla-a100 is not on gke-eu-2"}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("ValidatePair(worker) mismatch (-want +got), err %v:\n%s", err, diff)
	}
	var ue *render.UnverifiableError
	if _, err := problems("remote"); !errors.As(err, &ue) {
		t.Errorf("ValidatePair(remote) error = %v, want *render.UnverifiableError", err)
	}
}
