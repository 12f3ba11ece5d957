package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/bot/flux"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// TestFluxKubeconfig: which kubeconfig and context reach each cluster's
// API server for health kind flux, as the README's table says.
func TestFluxKubeconfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, context, server string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := "clusters:\n- name: c-" + context + "\n  cluster: {server: \"" + server + "\"}\nusers:\n- name: u\n  user: {token: t}\n" +
			"contexts:\n- name: " + context + "\n  context: {cluster: c-" + context + ", user: u}\ncurrent-context: " + context + "\n"
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	eu1 := write("eu-1.yaml", "eu-1", "https://10.0.0.1")
	eu2 := write("eu-2.yaml", "eu-2", "https://10.0.0.2")
	write("per-cluster/eu-1.yaml", "admin@prod-eu1", "https://10.1.0.1")
	write("per-cluster/eu-2.yaml", "admin@prod-eu2", "https://10.1.0.2")
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	list := eu1 + string(filepath.ListSeparator) + eu2

	tests := []struct {
		name    string
		health  gitops.HealthConfig
		getenv  func(string) string
		want    string // the server, or the error's text
		wantErr bool
	}{
		{"KUBECONFIG, a context per cluster", gitops.HealthConfig{}, env(map[string]string{"KUBECONFIG": list}), "https://10.0.0.2", false},
		{"a file per cluster, its current context", gitops.HealthConfig{Kubeconfig: filepath.Join(dir, "per-cluster/{cluster}.yaml")}, env(nil), "https://10.1.0.2", false},
		{"kubeContext names it", gitops.HealthConfig{KubeContext: "{cluster}"}, env(map[string]string{"KUBECONFIG": list}), "https://10.0.0.2", false},
		{"one file, no context for the cluster", gitops.HealthConfig{Kubeconfig: eu1}, env(nil), `no kubeconfig context named "eu-2"`, true},
		{"kubeContext the files lack", gitops.HealthConfig{KubeContext: "prod-{cluster}"}, env(map[string]string{"KUBECONFIG": list}), `no context "prod-eu-2"`, true},
		{"~/.kube/config", gitops.HealthConfig{}, env(map[string]string{"HOME": filepath.Join(dir, "home")}), "no such file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &gitops.Config{Health: tt.health}
			c, err := kubeClient(cfg, tt.getenv, "eu-2")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want one saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Server != tt.want {
				t.Errorf("server %s, want %s", c.Server, tt.want)
			}
		})
	}
}

// TestFluxHealthNewerCommit: a cluster whose Flux applied a commit that
// ferry's copy of the repo does not have yet is not at the asked commit,
// and the pass goes on (no error).
func TestFluxHealthNewerCommit(t *testing.T) {
	fsys, err := fixtures.Repo(fixtures.FluxSharedPaths)
	if err != nil {
		t.Fatal(err)
	}
	repo, head, err := fixtures.GitRepo(context.Background(), t.TempDir(), true, fsys, gitstore.CommitMeta{
		Author: object.Signature{Name: "Platform", Email: "platform@example.com", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, Message: "deploy repo\n"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &gitops.Config{Health: gitops.HealthConfig{Kind: gitops.HealthFlux, Context: "{workload}"}}
	h, err := engineHealth(cfg, repo, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	fh, ok := h.(*flux.Health)
	if !ok {
		t.Fatalf("health kind flux gave a %T", h)
	}
	unknown := strings.Repeat("ab", 20)
	if at, err := fh.IsAncestor(head.String(), unknown); at || err != nil {
		t.Errorf("IsAncestor(head, a commit ferry lacks) = %v, %v; want false, nil", at, err)
	}
	if ns, name := fh.Kustomization("quotes", "gke-eu-1"); ns != "flux-system" || name != "quotes" {
		t.Errorf("Kustomization = %s/%s, want flux-system/quotes", ns, name)
	}
}
