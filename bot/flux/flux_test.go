package flux_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot/flux"
	"github.com/ferry-dev/ferry/planner"
)

const token = "s3cret-token"

var (
	commit = plumbing.NewHash("3f2a1c0d5e6f708192a3b4c5d6e7f8091a2b3c4d")
	later  = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c"
	older  = "0123456789abcdef0123456789abcdef01234567"
)

const ksPath = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/quotes"

// apiServer is a Kubernetes API server holding the objects put in it,
// by path, behind TLS and a bearer token; it serves GETs only.
type apiServer struct {
	*httptest.Server
	mu      sync.Mutex
	objects map[string]any
	methods []string
}

func newAPIServer(t *testing.T) *apiServer {
	s := &apiServer{objects: map[string]any{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.methods = append(s.methods, r.Method)
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "message": "Unauthorized"})
			return
		}
		obj, ok := s.objects[r.URL.Path]
		if r.Method != http.MethodGet || !ok {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "message": "not found"})
			return
		}
		json.NewEncoder(w).Encode(obj)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) put(path string, obj any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[path] = obj
}

// kubeconfig writes a kubeconfig for s, with the CA and token in files
// beside it named by relative paths, as kubectl allows.
func (s *apiServer) kubeconfig(t *testing.T, context string) string {
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	must(t, os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600))
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + s.URL + `", certificate-authority: ca.crt}
users:
- name: reader
  user: {tokenFile: token}
contexts:
- name: ` + context + `
  context: {cluster: c, user: reader}
current-context: ` + context + `
`
	p := filepath.Join(dir, "kubeconfig")
	must(t, os.WriteFile(p, []byte(cfg), 0o600))
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// kustomization is a Flux Kustomization as the API serves it.
func kustomization(applied, attempted, ready, reason string, generation, observed int64, deployments ...string) map[string]any {
	var entries []any
	for _, d := range deployments {
		entries = append(entries, map[string]any{"id": "quotes_" + d + "_apps_Deployment", "v": "v1"})
	}
	entries = append(entries, map[string]any{"id": "quotes_quotes__Service", "v": "v1"})
	return map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
		"kind":       "Kustomization",
		"metadata":   map[string]any{"name": "quotes", "namespace": "flux-system", "generation": generation},
		"spec":       map[string]any{"path": "./apps/quotes", "prune": true},
		"status": map[string]any{
			"observedGeneration":    observed,
			"lastAppliedRevision":   applied,
			"lastAttemptedRevision": attempted,
			"conditions": []any{map[string]any{
				"type": "Ready", "status": ready, "reason": reason, "observedGeneration": observed,
				"message": "Applied revision: " + applied,
			}},
			"inventory": map[string]any{"entries": entries},
		},
	}
}

func deployment(generation, observed int64, replicas, updated, available int32, deadline bool) map[string]any {
	conds := []any{map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}}
	if deadline {
		conds = append(conds, map[string]any{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"})
	}
	return map[string]any{
		"metadata": map[string]any{"name": "quotes", "namespace": "quotes", "generation": generation},
		"spec":     map[string]any{"replicas": replicas},
		"status": map[string]any{"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
			"availableReplicas": available, "conditions": conds},
	}
}

func health(t *testing.T, kubeconfig string) *flux.Health {
	k, err := flux.LoadKubeconfig(kubeconfig)
	must(t, err)
	c, err := k.Client("")
	must(t, err)
	return &flux.Health{
		Client:        func(string) (*flux.Client, error) { return c, nil },
		Kustomization: func(w, _ string) (string, string) { return "flux-system", w },
		IsAncestor: func(a, d string) (bool, error) {
			return a == commit.String() && d == later, nil
		},
	}
}

func TestObserve(t *testing.T) {
	rev := func(h string) string { return "main@sha1:" + h }
	const dep = "/apis/apps/v1/namespaces/quotes/deployments/quotes"
	rolled := deployment(2, 2, 3, 3, 3, false)
	tests := []struct {
		name string
		ks   any // nil: none
		dep  any
		want planner.Health
	}{
		{"no kustomization yet", nil, nil, planner.Unknown},
		{"an older revision applied", kustomization(rev(older), rev(older), "True", "ReconciliationSucceeded", 1, 1, "quotes"), rolled, planner.Progressing},
		{"the commit applied, rolled out", kustomization(rev(commit.String()), rev(commit.String()), "True", "ReconciliationSucceeded", 1, 1, "quotes"), rolled, planner.Healthy},
		{"Flux v1 revision format", kustomization("main/"+commit.String(), "main/"+commit.String(), "True", "ReconciliationSucceeded", 1, 1, "quotes"), rolled, planner.Healthy},
		{"a later commit applied", kustomization(rev(later), rev(later), "True", "ReconciliationSucceeded", 1, 1, "quotes"), rolled, planner.Healthy},
		{"the commit applied, spec not yet reconciled", kustomization(rev(commit.String()), rev(commit.String()), "True", "ReconciliationSucceeded", 2, 1, "quotes"), rolled, planner.Progressing},
		{"the commit applied, health check failed", kustomization(rev(commit.String()), rev(commit.String()), "False", "HealthCheckFailed", 1, 1, "quotes"), rolled, planner.Degraded},
		{"the commit applied, still progressing", kustomization(rev(commit.String()), rev(commit.String()), "Unknown", "Progressing", 1, 1, "quotes"), rolled, planner.Progressing},
		{"the commit failed to build", kustomization(rev(older), rev(commit.String()), "False", "BuildFailed", 1, 1, "quotes"), rolled, planner.Degraded},
		{"the commit being applied", kustomization(rev(older), rev(commit.String()), "Unknown", "Progressing", 1, 1, "quotes"), rolled, planner.Progressing},
		{"deployment rolling out", kustomization(rev(commit.String()), rev(commit.String()), "True", "ReconciliationSucceeded", 1, 1, "quotes"), deployment(2, 2, 3, 3, 1, false), planner.Progressing},
		{"deployment controller behind", kustomization(rev(commit.String()), rev(commit.String()), "True", "ReconciliationSucceeded", 1, 1, "quotes"), deployment(3, 2, 3, 3, 3, false), planner.Progressing},
		{"deployment past its deadline", kustomization(rev(commit.String()), rev(commit.String()), "True", "ReconciliationSucceeded", 1, 1, "quotes"), deployment(2, 2, 3, 1, 2, true), planner.Degraded},
		{"deployment missing", kustomization(rev(commit.String()), rev(commit.String()), "True", "ReconciliationSucceeded", 1, 1, "quotes"), nil, planner.Progressing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			if tc.ks != nil {
				s.put(ksPath, tc.ks)
			}
			if tc.dep != nil {
				s.put(dep, tc.dep)
			}
			got, err := health(t, s.kubeconfig(t, "eu-2")).Observe(context.Background(), "quotes", "eu-2", commit)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Observe = %v, want %v", got, tc.want)
			}
			for _, m := range s.methods {
				if m != http.MethodGet {
					t.Errorf("made a %s request; the provider only reads", m)
				}
			}
		})
	}
}

// TestGateWaitsForFlux: while the cluster's Flux has not applied the merged
// commit, the workload is not healthy there; once it has, it is.
func TestGateWaitsForFlux(t *testing.T) {
	s := newAPIServer(t)
	h := health(t, s.kubeconfig(t, "eu-2"))
	s.put("/apis/apps/v1/namespaces/quotes/deployments/quotes", deployment(1, 1, 2, 2, 2, false))
	s.put(ksPath, kustomization("main@sha1:"+older, "main@sha1:"+older, "True", "ReconciliationSucceeded", 1, 1, "quotes"))
	if got, _ := h.Observe(context.Background(), "quotes", "eu-2", commit); got == planner.Healthy {
		t.Fatalf("healthy before Flux applied %s", commit)
	}
	s.put(ksPath, kustomization("main@sha1:"+commit.String(), "main@sha1:"+commit.String(), "True", "ReconciliationSucceeded", 1, 1, "quotes"))
	if got, err := h.Observe(context.Background(), "quotes", "eu-2", commit); err != nil || got != planner.Healthy {
		t.Fatalf("after Flux applied the commit: %v, %v; want Healthy", got, err)
	}
}

func TestObserveUnauthorized(t *testing.T) {
	s := newAPIServer(t)
	p := s.kubeconfig(t, "eu-2")
	data, err := os.ReadFile(filepath.Join(filepath.Dir(p), "token"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(filepath.Dir(p), "token"), []byte("wrong"), 0o600))
	_, err = health(t, p).Observe(context.Background(), "quotes", "eu-2", commit)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want a 401", err)
	}
	if strings.Contains(err.Error(), strings.TrimSpace(string(data))) {
		t.Errorf("the error shows the token: %v", err)
	}
}

func TestKubeconfig(t *testing.T) {
	s := newAPIServer(t)
	first := s.kubeconfig(t, "eu-1")
	second := s.kubeconfig(t, "eu-2")
	k, err := flux.LoadKubeconfig(first, second)
	must(t, err)
	if !k.HasContext("eu-1") || !k.HasContext("eu-2") || k.CurrentContext != "eu-1" {
		t.Errorf("merged: eu-1 %v, eu-2 %v, current %q; want both, and the first file's current context",
			k.HasContext("eu-1"), k.HasContext("eu-2"), k.CurrentContext)
	}
	c, err := k.Client("eu-2")
	must(t, err)
	var v map[string]any
	s.put("/version", map[string]any{"gitVersion": "v1.37.2"})
	if err := c.Get(context.Background(), "/version", &v); err != nil || v["gitVersion"] != "v1.37.2" {
		t.Errorf("GET /version through the merged kubeconfig: %v, %v", v, err)
	}
	if _, err := k.Client("eu-3"); err == nil || !strings.Contains(err.Error(), `no context "eu-3"`) {
		t.Errorf("a missing context: %v", err)
	}

	execCfg := filepath.Join(t.TempDir(), "exec")
	must(t, os.WriteFile(execCfg, []byte(`clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: gke
  user:
    exec: {command: gke-gcloud-auth-plugin, apiVersion: client.authentication.k8s.io/v1beta1}
contexts:
- name: gke
  context: {cluster: c, user: gke}
`), 0o600))
	k, err = flux.LoadKubeconfig(execCfg)
	must(t, err)
	if _, err := k.Client("gke"); err == nil || !strings.Contains(err.Error(), "credential plugins") {
		t.Errorf("an exec plugin: %v, want it refused by name", err)
	}
}
