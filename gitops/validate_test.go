package gitops_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops"
)

func objects(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
}

var euTwo = &gitops.Cluster{
	Name: "gke-eu-2",
	Capabilities: gitops.Capabilities{
		APIs:           []string{"apps/v1/*", "v1/*", "batch/v1/CronJob"},
		MachineTypes:   []string{"n2-standard-8"},
		Accelerators:   []string{"nvidia-l4"},
		StorageClasses: []string{"standard-rwo"},
	},
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{"runs", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      nodeSelector: {node.kubernetes.io/instance-type: n2-standard-8}
      containers: [{name: web, resources: {limits: {nvidia.com/gpu: 1}}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {storageClassName: standard-rwo}
`, nil},
		{"api not served", `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
`, []string{"HTTPRoute/web apiVersion gateway.networking.k8s.io/v1 kind HTTPRoute is not served by gke-eu-2"}},
		{"node selector accelerator", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: recs-model}
spec:
  template:
    spec:
      nodeSelector:
        cloud.google.com/gke-accelerator: nvidia-tesla-a100
`, []string{"Deployment/recs-model spec.template.spec.nodeSelector: accelerator nvidia-tesla-a100 is not on gke-eu-2"}},
		{"node affinity machine type", `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                - matchExpressions:
                  - {key: node.kubernetes.io/instance-type, operator: In, values: [c3-highcpu-4, c3-highcpu-8]}
`, []string{"CronJob/nightly spec.jobTemplate.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]: machine type c3-highcpu-4 is not on gke-eu-2"}},
		{"affinity satisfied by one value", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: node.kubernetes.io/instance-type, operator: In, values: [c3-highcpu-4, n2-standard-8]}
`, nil},
		{"storage classes", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {storageClassName: premium-rwo}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: cache}
spec: {storageClassName: local-ssd}
`, []string{
			"StatefulSet/db spec.volumeClaimTemplates[0].spec.storageClassName: storage class premium-rwo is not on gke-eu-2",
			"PersistentVolumeClaim/cache spec.storageClassName: storage class local-ssd is not on gke-eu-2",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range gitops.Check(objects(t, tt.manifest), euTwo) {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check() mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("gpu without accelerators", func(t *testing.T) {
		cpuOnly := &gitops.Cluster{Name: "gke-us-1", Capabilities: gitops.Capabilities{APIs: []string{"*/*/*", "v1/*"}}}
		got := gitops.Check(objects(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer}
spec: {template: {spec: {containers: [{name: t, resources: {requests: {nvidia.com/gpu: 2}}}]}}}
`), cpuOnly)
		want := []gitops.Problem{{Object: "Deployment/trainer", Field: "spec.template.spec.containers[0].resources.requests", Reason: "nvidia.com/gpu requested but gke-us-1 has no accelerators"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Check() mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestRunPolicies(t *testing.T) {
	cmds := []gitops.Command{
		{Name: "no-latest", Run: []string{"sh", "-c", `if grep -q ':latest' ; then echo "image tag latest is not allowed on $FERRY_CLUSTER"; exit 1; fi`}},
	}
	if got := gitops.RunPolicies(t.Context(), cmds, []byte("image: web:1.2.3\n"), "gke-eu-2"); len(got) != 0 {
		t.Errorf("RunPolicies(pinned image) = %v, want no problems", got)
	}
	got := gitops.RunPolicies(t.Context(), cmds, []byte("image: web:latest\n"), "gke-eu-2")
	if len(got) != 1 || got[0].Object != "policy/no-latest" || !strings.Contains(got[0].Reason, "image tag latest is not allowed on gke-eu-2") {
		t.Errorf("RunPolicies(latest image) = %v, want one problem carrying the command's output", got)
	}
}

// "*" in apis means every API: as a path.Match glob it would match none,
// since its * stops at a slash.
func TestCheckEveryAPI(t *testing.T) {
	every := &gitops.Cluster{Name: "gke-eu-3", Capabilities: gitops.Capabilities{APIs: []string{"*"}}}
	objs := objects(t, "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
	if got := gitops.Check(objs, every); len(got) != 0 {
		t.Errorf("Check with apis [\"*\"] = %v, want no problem", got)
	}
}
