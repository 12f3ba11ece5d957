package targets_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/targets"
)

var (
	application = targets.PerPair{Kind: targets.KindApplication}
	flux        = targets.PerPair{Kind: targets.KindFluxKustomization}
)

func TestPerPairCheck(t *testing.T) {
	tests := []struct {
		name string
		p    targets.PerPair
		file string
		src  string
		is   error
	}{
		{"application", application, "application-istio/argocd/gke-eu-1/podcast-api.yaml", "", nil},
		{"flux kustomization", flux, "flux-externaldns/clusters/gke-eu-1/apps/cart-api.yaml", "", nil},
		{"a kustomize kustomization is no flux one", flux, "", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n", targets.ErrWrongKind},
		{"an ApplicationSet is no Application", application, "appset-httproute/argocd/playlist-api.yaml", "", targets.ErrWrongKind},
		{"several documents", flux, "", "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web}\n", nil},
		{"unknown kind", targets.PerPair{Kind: "argocd-rollout"}, "", "kind: Application\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			if tt.file != "" {
				src = readFixture(t, tt.file)
			}
			err := tt.p.Check("f.yaml", src)
			switch {
			case tt.name == "unknown kind":
				if err == nil {
					t.Errorf("Check() = nil, want an error")
				}
			case !errors.Is(err, tt.is):
				t.Errorf("Check() = %v, want %v", err, tt.is)
			}
		})
	}
}

// Derive the target's file, check it, and derive it back: the source again.
func TestDeriveRoundTrip(t *testing.T) {
	tests := []struct {
		p     targets.PerPair
		file  string
		pairs []string
	}{
		{application, "application-istio/argocd/gke-eu-1/podcast-api.yaml", []string{"gke-eu-1", "gke-eu-2", "https://34.76.10.1", "https://34.90.20.1"}},
		{flux, "flux-externaldns/clusters/gke-eu-1/apps/cart-api.yaml", []string{"gke-eu-1", "gke-eu-2", "europe-west1", "europe-west3", "kubeconfig-eu1", "kubeconfig-eu2"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src := readFixture(t, tt.file)
			out, err := tt.p.Derive("f.yaml", src, subst(tt.pairs...))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.p.Check("f.yaml", out); err != nil {
				t.Fatal(err)
			}
			var back []string
			for i := 0; i < len(tt.pairs); i += 2 {
				back = append(back, tt.pairs[i+1], tt.pairs[i])
			}
			again, err := tt.p.Derive("f.yaml", out, subst(back...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(src), string(again)); diff != "" {
				t.Errorf("Derive() back mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeriveRefuses(t *testing.T) {
	tests := []struct {
		name string
		p    targets.PerPair
		src  string
		s    targets.Subst
		is   error
	}{
		{"the name does not name the cluster", application, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  destination: {server: https://34.76.10.1}\n", subst("https://34.76.10.1", "https://34.90.20.1"), targets.ErrCollision},
		{"a hub's Flux Kustomization keeps its name", flux, "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web, namespace: flux-system}\nspec:\n  kubeConfig: {secretRef: {name: eu1}}\n", subst("eu1", "eu2"), targets.ErrCollision},
		{"the substitution changes the kind", flux, "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web-gke-eu-1}\n", subst("kustomize.toolkit.fluxcd.io", "x", "gke-eu-1", "gke-eu-2"), targets.ErrWrongKind},
	}
	// Registrations a cluster applies to itself live in its own Flux or
	// Argo CD: the same name on two clusters is two objects.
	own := []struct {
		name string
		p    targets.PerPair
		src  string
	}{
		{"a cluster's own Flux Kustomization", flux, "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web, namespace: flux-system}\nspec:\n  path: ./apps/web/eu1\n"},
		{"an in-cluster Application", application, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\nspec:\n  source: {path: apps/web/eu1}\n  destination: {server: https://kubernetes.default.svc}\n"},
		{"an Application to in-cluster by name", application, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\nspec:\n  source: {path: apps/web/eu1}\n  destination: {name: in-cluster}\n"},
	}
	for _, tt := range own {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.p.Derive("f.yaml", []byte(tt.src), subst("eu1", "eu2")); err != nil {
				t.Errorf("Derive() error = %v, want none", err)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.Derive("f.yaml", []byte(tt.src), tt.s)
			if !errors.Is(err, tt.is) {
				t.Errorf("Derive() error = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestPerPairRemoval(t *testing.T) {
	const app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-gke-eu-1\n"
	const ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web-gke-eu-1\nspec:\n  interval: 10m\n"
	tests := []struct {
		name string
		p    targets.PerPair
		src  string
		want targets.Removal
	}{
		{"application with the resources finalizer", application, app + "  finalizers:\n  - resources-finalizer.argocd.argoproj.io\n",
			targets.Removal{Deletes: true, Reason: "f.yaml:6: Application web-gke-eu-1 has the resources-finalizer.argocd.argoproj.io finalizer: removing it deletes its resources from the cluster (cascade)"}},
		{"application with the background finalizer", application, app + "  finalizers: [resources-finalizer.argocd.argoproj.io/background]\n",
			targets.Removal{Deletes: true, Reason: "f.yaml:5: Application web-gke-eu-1 has the resources-finalizer.argocd.argoproj.io finalizer: removing it deletes its resources from the cluster (cascade)"}},
		{"application without", application, app + "spec:\n  syncPolicy:\n    automated: {prune: true}\n",
			targets.Removal{Deletes: false, Reason: "f.yaml:3: Application web-gke-eu-1 has no resources-finalizer.argocd.argoproj.io finalizer: removing it deletes the Application only and leaves its resources on the cluster"}},
		{"application with another finalizer", application, app + "  finalizers: [example.com/other]\n",
			targets.Removal{Deletes: false, Reason: "f.yaml:3: Application web-gke-eu-1 has no resources-finalizer.argocd.argoproj.io finalizer: removing it deletes the Application only and leaves its resources on the cluster"}},
		{"kustomization prune", flux, ks + "  prune: true\n",
			targets.Removal{Deletes: true, Reason: "f.yaml:7: Kustomization web-gke-eu-1 has spec.prune true: removing it garbage-collects its resources from the cluster"}},
		{"kustomization no prune", flux, ks + "  prune: false\n",
			targets.Removal{Deletes: false, Reason: "f.yaml:7: Kustomization web-gke-eu-1 has spec.prune false: removing it leaves its resources on the cluster"}},
		{"kustomization prune unset", flux, ks,
			targets.Removal{Deletes: false, Reason: "f.yaml:5: Kustomization web-gke-eu-1 has spec.prune unset: removing it leaves its resources on the cluster"}},
		{"kustomization MirrorPrune", flux, ks + "  prune: true\n  deletionPolicy: MirrorPrune\n",
			targets.Removal{Deletes: true, Reason: "f.yaml:7: Kustomization web-gke-eu-1 has spec.prune true: removing it garbage-collects its resources from the cluster"}},
		{"kustomization Delete without prune", flux, ks + "  prune: false\n  deletionPolicy: Delete\n",
			targets.Removal{Deletes: true, Reason: "f.yaml:8: Kustomization web-gke-eu-1 has spec.deletionPolicy Delete: removing it deletes its resources from the cluster, whatever spec.prune says"}},
		{"kustomization WaitForTermination", flux, ks + "  deletionPolicy: WaitForTermination\n",
			targets.Removal{Deletes: true, Reason: "f.yaml:7: Kustomization web-gke-eu-1 has spec.deletionPolicy WaitForTermination: removing it deletes its resources from the cluster, whatever spec.prune says"}},
		{"kustomization Orphan with prune", flux, ks + "  prune: true\n  deletionPolicy: Orphan\n",
			targets.Removal{Deletes: false, Reason: "f.yaml:8: Kustomization web-gke-eu-1 has spec.deletionPolicy Orphan: removing it leaves its resources on the cluster"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Removal("f.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Removal() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
