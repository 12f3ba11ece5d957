package traffic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

const varRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  rules:
  - backendRefs:
    - name: web-gke-eu-1
      weight: ${EU1_WEIGHT}
    - name: web-gke-eu-2
      weight: "${EU2_WEIGHT:=10}"
    - name: web-gke-us-1
      weight: 0
`

const varKustomization = `apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  path: ./apps/web
  postBuild:
    substitute:
      CLUSTER: gke-eu-1
      EU1_WEIGHT: "90" # ferry shifts this
`

const ksFrom = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
spec:
  postBuild:
    substitute:
      EU1_WEIGHT: "100"
    substituteFrom:
    - kind: ConfigMap
      name: cluster-vars
`

func varsRoute(ks string) traffic.Route {
	return traffic.Route{Kind: "HTTPRoute", Backend: backend("web"), Vars: &traffic.Vars{File: traffic.File{Name: "clusters/gke-eu-1/web.yaml", Data: []byte(ks)}}}
}

func TestFluxVarsRead(t *testing.T) {
	tests := []struct {
		name, route, ks string
		want            traffic.Weights
		is              error // a *VarError wrapping it
	}{
		{"substitute and default", varRoute, varKustomization, traffic.Weights{"gke-eu-1": 90, "gke-eu-2": 10, "gke-us-1": 0}, nil},
		{"substitute wins over substituteFrom", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - {name: web-gke-eu-1, weight: '${EU1_WEIGHT}'}\n", ksFrom, traffic.Weights{"gke-eu-1": 100}, nil},
		{"substituteFrom refused", varRoute, ksFrom, nil, traffic.ErrVarExternal},
		{"undefined refused", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - {name: web-gke-eu-2, weight: '${EU2_WEIGHT}'}\n", varKustomization, nil, traffic.ErrVarUndefined},
		{"not a number", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - {name: web-gke-eu-1, weight: '${CLUSTER}'}\n", varKustomization, nil, traffic.ErrVarUnsupported},
		{"two variables", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - {name: web-gke-eu-1, weight: '${A}${B}'}\n", varKustomization, nil, traffic.ErrVarUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := varsRoute(tt.ks).Read("traffic/web.yaml", []byte(tt.route), clusters)
			if tt.is != nil {
				var ve *traffic.VarError
				if !errors.As(err, &ve) || !errors.Is(err, tt.is) || ve.File != "traffic/web.yaml" || ve.Line == 0 {
					t.Errorf("Read() error = %v, want a *VarError at traffic/web.yaml wrapping %v", err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Read() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFluxVarsSet(t *testing.T) {
	const route, ks = "traffic/web.yaml", "clusters/gke-eu-1/web.yaml"
	tests := []struct {
		name    string
		weights traffic.Weights
		changed map[string][]string // file -> the lines that change, as they read after
	}{
		{"variable with a value", traffic.Weights{"gke-eu-1": 50}, map[string][]string{ks: {`      EU1_WEIGHT: "50" # ferry shifts this`}}},
		{"variable with a default gets a value", traffic.Weights{"gke-eu-2": 40}, map[string][]string{ks: {`      EU2_WEIGHT: "40"`}}},
		{"default kept when unchanged", traffic.Weights{"gke-eu-2": 10}, map[string][]string{}},
		{"route and Kustomization", traffic.Weights{"gke-eu-1": 0, "gke-us-1": 100}, map[string][]string{
			ks:    {`      EU1_WEIGHT: "0" # ferry shifts this`},
			route: {"      weight: 100"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := varsRoute(varKustomization)
			out, results, err := r.SetFiles(route, []byte(varRoute), tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]string{route: varRoute, ks: varKustomization}
			got := map[string][]string{}
			for name, b := range out {
				got[name] = changedLines(in[name], string(b))
			}
			if diff := cmp.Diff(tt.changed, got); diff != "" {
				t.Errorf("SetFiles() changed lines mismatch (-want +got):\n%s", diff)
			}
			if len(results) < len(out) {
				t.Errorf("SetFiles() = %d results for %d files", len(results), len(out))
			}
			// Read back through the new files.
			after := r
			src := []byte(varRoute)
			if b, ok := out[ks]; ok {
				after.Vars = &traffic.Vars{File: traffic.File{Name: ks, Data: b}}
			}
			if b, ok := out[route]; ok {
				src = b
			}
			w, err := after.Read(route, src, clusters)
			if err != nil {
				t.Fatal(err)
			}
			for c, want := range tt.weights {
				if w[c] != want {
					t.Errorf("after SetFiles(), Read()[%s] = %d, want %d", c, w[c], want)
				}
			}
		})
	}
}

func TestFluxVarsSetRefuses(t *testing.T) {
	tests := []struct {
		name, route, ks string
		weights         traffic.Weights
		is              error
	}{
		{"Set leaves variables to SetFiles", varRoute, varKustomization, traffic.Weights{"gke-eu-1": 50}, traffic.ErrFluxVar},
		{"shared variable, different weights", "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - {name: web-gke-eu-1, weight: '${W}'}\n    - {name: web-gke-eu-2, weight: '${W}'}\n",
			"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web}\nspec:\n  postBuild:\n    substitute: {W: '50'}\n", traffic.Weights{"gke-eu-1": 10, "gke-eu-2": 90}, traffic.ErrVarUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := varsRoute(tt.ks).Set("traffic/web.yaml", []byte(tt.route), tt.weights)
			if !errors.Is(err, tt.is) {
				t.Errorf("Set() error = %v, want %v", err, tt.is)
			}
		})
	}
	// Without Vars a variable weight is refused as before.
	_, err := traffic.Route{Kind: "HTTPRoute", Backend: backend("web")}.Read("traffic/web.yaml", []byte(varRoute), clusters)
	if err == nil {
		t.Error("Read() without Vars of a ${VAR} weight: no error")
	}
}

func TestFluxVarsKustomizationChoice(t *testing.T) {
	two := varKustomization + "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: other\nspec:\n  postBuild:\n    substitute: {EU1_WEIGHT: '1'}\n"
	r := varsRoute(two)
	if _, err := r.Read("traffic/web.yaml", []byte(varRoute), clusters); err == nil {
		t.Error("Read() with two Flux Kustomizations and no Name: no error")
	}
	r.Vars.Name = "other"
	got, err := r.Read("traffic/web.yaml", []byte(varRoute), clusters)
	if err != nil {
		t.Fatal(err)
	}
	if got["gke-eu-1"] != 1 {
		t.Errorf("Read()[gke-eu-1] = %d, want 1 from Kustomization other", got["gke-eu-1"])
	}
}

// A copied backend does not share the source's variable: its weight 0 is
// written out.
func TestFluxVarsAddBackend(t *testing.T) {
	r := varsRoute(varKustomization)
	out, _, err := r.AddBackend("traffic/web.yaml", []byte(varRoute), "gke-eu-1", "gke-eu-3", func(s string) string {
		return strings.ReplaceAll(s, "gke-eu-1", "gke-eu-3")
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"    - name: web-gke-eu-3", "      weight: 0"}, changedLines(varRoute, string(out))); diff != "" {
		t.Errorf("AddBackend() changed lines mismatch (-want +got):\n%s", diff)
	}
	got, err := r.Read("traffic/web.yaml", out, []string{"gke-eu-1", "gke-eu-3"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(traffic.Weights{"gke-eu-1": 90, "gke-eu-3": 0}, got); diff != "" {
		t.Errorf("Read() after AddBackend() mismatch (-want +got):\n%s", diff)
	}
}
