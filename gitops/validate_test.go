package gitops_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	v := gitops.ValidateConfig{Commands: []gitops.Command{
		{Name: "no-latest", Run: []string{"sh", "-c", `if grep -q ':latest' ; then echo "image tag latest is not allowed on $FERRY_CLUSTER"; exit 1; fi`}},
	}}
	if got := gitops.RunPolicies(t.Context(), v, os.Getenv, []byte("image: web:1.2.3\n"), "gke-eu-2"); len(got) != 0 {
		t.Errorf("RunPolicies(pinned image) = %v, want no problems", got)
	}
	got := gitops.RunPolicies(t.Context(), v, os.Getenv, []byte("image: web:latest\n"), "gke-eu-2")
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

// A policy command gets PATH, HOME, FERRY_CLUSTER and what validate.env
// lists: never ferry's tokens.
func TestRunPoliciesCleanEnvironment(t *testing.T) {
	vars := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": "/home/ferry", "GITHUB_TOKEN": "ghs_secret",
		"FERRY_APP_PRIVATE_KEY": "-----BEGIN", "ARGOCD_AUTH_TOKEN": "argo-secret", "CONFTEST_POLICY": "policy/",
	}
	v := gitops.ValidateConfig{
		Commands: []gitops.Command{{Name: "env", Run: []string{"sh", "-c", "env | sort; exit 1"}}},
		Env:      []string{"CONFTEST_POLICY"},
	}
	got := gitops.RunPolicies(t.Context(), v, func(k string) string { return vars[k] }, nil, "gke-eu-2")
	if len(got) != 1 {
		t.Fatalf("RunPolicies = %v, want the one failure that prints the environment", got)
	}
	for _, want := range []string{"CONFTEST_POLICY=policy/", "FERRY_CLUSTER=gke-eu-2", "HOME=/home/ferry", "PATH="} {
		if !strings.Contains(got[0].Reason, want) {
			t.Errorf("the command's environment has no %s:\n%s", want, got[0].Reason)
		}
	}
	for _, secret := range []string{"ghs_secret", "BEGIN", "argo-secret"} {
		if strings.Contains(got[0].Reason, secret) {
			t.Errorf("the command saw %q:\n%s", secret, got[0].Reason)
		}
	}
}

// At the timeout the command is killed with every process it started,
// and RunPolicies returns without waiting for them.
func TestRunPoliciesTimeoutKillsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	v := gitops.ValidateConfig{
		Commands: []gitops.Command{{Name: "hangs", Run: []string{"sh", "-c", `sleep 300 & echo $! > "$0"; echo started; wait`, pidFile}}},
		Timeout:  gitops.Duration{Duration: 500 * time.Millisecond},
	}
	start := time.Now()
	got := gitops.RunPolicies(t.Context(), v, os.Getenv, nil, "gke-eu-2")
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("RunPolicies took %v: it waited for the child", took)
	}
	if len(got) != 1 || !strings.Contains(got[0].Reason, "timed out on gke-eu-2") {
		t.Errorf("RunPolicies = %v, want one problem saying it timed out", got)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(data))
	for deadline := time.Now().Add(5 * time.Second); ; {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return // gone, or dead and waiting for init to reap it
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child %s still runs after the timeout: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
