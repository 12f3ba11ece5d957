package traffic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

var clusters = []string{"gke-eu-1", "gke-eu-2", "gke-us-1"}

func backend(workload string) func(string) string {
	return func(c string) string { return workload + "-" + c }
}

const httpRoute = `# traffic for web
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
  - name: global
  rules:
  - matches:
    - path: {type: PathPrefix, value: /api}
    backendRefs:
      - group: net.gke.io
        kind: ServiceImport
        name: web-gke-eu-1
        port: 8080
        weight: 100 # all here for now
      - group: net.gke.io
        kind: ServiceImport
        name: web-gke-eu-2
        port: 8080
        weight: 0
  - backendRefs:
    - name: web-gke-eu-1
      weight: 100
    - name: web-gke-eu-2
      weight: 0
    - name: web-canary
      weight: 5
`

// A Deployment in the same file has an affinity weight: never a traffic weight.
const virtualService = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm: {topologyKey: kubernetes.io/hostname}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web.example.com]
  http:
  - route:
    - destination:
        host: web.global
        subset: web-gke-eu-1
      weight: 90
    - destination:
        host: web.global
        subset: web-gke-eu-2
      weight: 10
`

func TestRead(t *testing.T) {
	tests := []struct {
		name, kind, src string
		want            traffic.Weights
	}{
		{"httproute", "HTTPRoute", httpRoute, traffic.Weights{"gke-eu-1": 100, "gke-eu-2": 0}},
		{"virtualservice", "VirtualService", virtualService, traffic.Weights{"gke-eu-1": 90, "gke-eu-2": 10}},
		{"httproute default weight 1", "HTTPRoute", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - name: web-gke-eu-1\n", traffic.Weights{"gke-eu-1": 1}},
		{"one istio route takes all", "VirtualService", "kind: VirtualService\nspec:\n  http:\n  - route:\n    - destination: {host: web, subset: web-gke-eu-1}\n", traffic.Weights{"gke-eu-1": 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := traffic.Route{Kind: tt.kind, Backend: backend("web")}.Read("traffic/web.yaml", []byte(tt.src), clusters)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Read() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name, kind, src string
		weights         traffic.Weights
		changed         []string // the lines that change, as they read after
	}{
		{"httproute shift 50", "HTTPRoute", httpRoute, traffic.Weights{"gke-eu-1": 50, "gke-eu-2": 50},
			[]string{"        weight: 50 # all here for now", "        weight: 50", "      weight: 50", "      weight: 50"}},
		{"virtualservice shift 100", "VirtualService", virtualService, traffic.Weights{"gke-eu-1": 0, "gke-eu-2": 100},
			[]string{"      weight: 0", "      weight: 100"}},
		{"weight added where omitted", "HTTPRoute", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - name: web-gke-eu-1\n    - name: web-gke-eu-2\n      weight: 1\n", traffic.Weights{"gke-eu-1": 0},
			[]string{"      weight: 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := traffic.Route{Kind: tt.kind, Backend: backend("web")}
			out, _, err := r.Set("traffic/web.yaml", []byte(tt.src), tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.changed, changedLines(tt.src, string(out))); diff != "" {
				t.Errorf("Set() changed lines mismatch (-want +got):\n%s", diff)
			}
			got, err := r.Read("traffic/web.yaml", out, clusters)
			if err != nil {
				t.Fatal(err)
			}
			for c, w := range tt.weights {
				if got[c] != w {
					t.Errorf("after Set(), Read()[%s] = %d, want %d", c, got[c], w)
				}
			}
		})
	}
}

// changedLines returns the lines of b that are not in a at the same
// position, or that were added.
func changedLines(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	j := 0
	for i := 0; i < len(bl); i++ {
		if j < len(al) && al[j] == bl[i] {
			j++
			continue
		}
		out = append(out, bl[i])
		if len(bl) == len(al) {
			j++
		}
	}
	return out
}

func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name, src, msg string
		is             error
	}{
		{"rules disagree", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - {name: web-gke-eu-1, weight: 100}\n  - backendRefs:\n    - {name: web-gke-eu-1, weight: 50}\n",
			"traffic/web.yaml:7: rules weigh the clusters differently: gke-eu-1 has weight 50 here and 100 on line 5", traffic.ErrInconsistent},
		{"substitution variable", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - name: web-gke-eu-1\n      weight: ${EU1_WEIGHT}\n",
			`traffic/web.yaml:6: the weight of gke-eu-1 is "${EU1_WEIGHT}", not a whole number`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := traffic.Route{Kind: "HTTPRoute", Backend: backend("web")}.Read("traffic/web.yaml", []byte(tt.src), clusters)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Read() error = %v, want %q", err, tt.msg)
			}
		})
	}
}
