package targets_test

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/rewrite"
)

var inventory = []string{"gke-eu-1", "gke-eu-2", "gke-us-1"}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../fixtures/repos/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func clustersOf(regs map[string]targets.Registration) []string {
	var out []string
	for _, c := range inventory {
		if _, ok := regs[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// Read, add a cluster, read again, remove another, read again: each state
// is the intended one.
func TestApplicationSetRoundTrip(t *testing.T) {
	eu2 := subst("gke-eu-1", "gke-eu-2", "https://10.10.0.1", "https://10.20.0.1", "europe-west1", "europe-west4", "music-prod-eu1", "music-prod-eu2")
	tests := []struct {
		file   string
		before []string
		lines  map[string]int
	}{
		{"appset-httproute/argocd/playlist-api.yaml", []string{"gke-eu-1", "gke-us-1"}, map[string]int{"gke-eu-1": 12, "gke-us-1": 17}},
		{"appset-httproute/argocd/event-consumer.yaml", []string{"gke-eu-1"}, map[string]int{"gke-eu-1": 12}},
	}
	var a targets.ApplicationSet
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			name := "argocd/x.yaml"
			src := readFixture(t, tt.file)
			regs, err := a.Read(name, src, inventory)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.before, clustersOf(regs)); diff != "" {
				t.Errorf("Read() clusters mismatch (-want +got):\n%s", diff)
			}
			for c, line := range tt.lines {
				if want := (targets.Registration{Cluster: c, File: name, Line: line}); regs[c] != want {
					t.Errorf("Read()[%s] = %+v, want %+v", c, regs[c], want)
				}
			}

			added, results, err := a.Add(name, src, "gke-eu-1", "gke-eu-2", eu2)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 1 || results[0].File != name {
				t.Errorf("Add() results = %+v, want one for %s", results, name)
			}
			regs, err = a.Read(name, added, inventory)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(append(tt.before[:1:1], append([]string{"gke-eu-2"}, tt.before[1:]...)...), clustersOf(regs)); diff != "" {
				t.Errorf("Read() after Add() mismatch (-want +got):\n%s", diff)
			}

			removed, _, err := a.Remove(name, added, "gke-eu-1")
			if err != nil {
				t.Fatal(err)
			}
			regs, err = a.Read(name, removed, inventory)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(append([]string{"gke-eu-2"}, tt.before[1:]...), clustersOf(regs)); diff != "" {
				t.Errorf("Read() after Remove() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplicationSetRefuses(t *testing.T) {
	src := readFixture(t, "appset-httproute/argocd/playlist-api.yaml")
	same := func(s string) string { return s }
	eu2 := subst("gke-eu-1", "gke-eu-2")
	var a targets.ApplicationSet
	tests := []struct {
		name string
		run  func() error
		is   error
	}{
		{"add from an unregistered cluster", func() error { _, _, err := a.Add("f.yaml", src, "gke-eu-2", "gke-eu-3", eu2); return err }, targets.ErrNotRegistered},
		{"add a registered cluster", func() error { _, _, err := a.Add("f.yaml", src, "gke-eu-1", "gke-us-1", eu2); return err }, targets.ErrRegistered},
		{"a substitution that keeps the source", func() error { _, _, err := a.Add("f.yaml", src, "gke-eu-1", "gke-eu-2", same); return err }, targets.ErrSubst},
		{"remove an unregistered cluster", func() error { _, _, err := a.Remove("f.yaml", src, "gke-eu-2"); return err }, targets.ErrNotRegistered},
		{"two elements for one cluster", func() error {
			_, err := a.Read("f.yaml", []byte("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators:\n  - list:\n      elements:\n      - cluster: gke-eu-1\n      - name: gke-eu-1\n"), inventory)
			return err
		}, targets.ErrAmbiguous},
		{"one element for two clusters", func() error {
			_, err := a.Read("f.yaml", []byte("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators:\n  - list:\n      elements:\n      - {cluster: gke-eu-1, peer: gke-us-1}\n"), inventory)
			return err
		}, targets.ErrAmbiguous},
		{"not an ApplicationSet", func() error {
			_, err := a.Read("f.yaml", readFixture(t, "application-istio/argocd/gke-eu-1/podcast-api.yaml"), inventory)
			return err
		}, targets.ErrWrongKind},
		{"duplicate keys", func() error {
			_, err := a.Read("f.yaml", []byte("kind: ApplicationSet\nkind: ApplicationSet\n"), inventory)
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if tt.is == nil {
				var pe *rewrite.ParseError
				if !errors.As(err, &pe) || pe.File != "f.yaml" {
					t.Errorf("error = %v, want a *rewrite.ParseError for f.yaml", err)
				}
				return
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestUnsupportedError(t *testing.T) {
	src := []byte("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: x\nspec:\n  generators:\n  - clusters: {}\n")
	var a targets.ApplicationSet
	for _, run := range []func() error{
		func() error { _, err := a.Read("argocd/x.yaml", src, inventory); return err },
		func() error { _, _, err := a.Add("argocd/x.yaml", src, "gke-eu-1", "gke-eu-2", subst()); return err },
		func() error { _, _, err := a.Remove("argocd/x.yaml", src, "gke-eu-1"); return err },
		func() error { _, err := a.Removal("argocd/x.yaml", src); return err },
	} {
		var ue *targets.UnsupportedError
		if err := run(); !errors.As(err, &ue) {
			t.Errorf("error = %v, want an *UnsupportedError", err)
			continue
		}
		if diff := cmp.Diff(targets.UnsupportedError{File: "argocd/x.yaml", Line: 7, Shape: "a cluster generator"}, *ue); diff != "" {
			t.Errorf("UnsupportedError mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestApplicationSetRemoval(t *testing.T) {
	head := "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\nspec:\n  generators:\n  - list:\n      elements: [{cluster: gke-eu-1}]\n"
	tests := []struct {
		name, policy string
		want         targets.Removal
	}{
		{"default", "", targets.Removal{Deletes: true, Reason: "argocd/web.yaml:5: spec.syncPolicy neither sets preserveResourcesOnDeletion nor limits applicationsSync: removing a cluster's element deletes its generated Application, and the resources finalizer the ApplicationSet controller sets deletes the workload's resources from that cluster"}},
		{"sync policy without either", "  syncPolicy:\n    applicationsSync: sync\n", targets.Removal{Deletes: true, Reason: "argocd/web.yaml:9: spec.syncPolicy neither sets preserveResourcesOnDeletion nor limits applicationsSync: removing a cluster's element deletes its generated Application, and the resources finalizer the ApplicationSet controller sets deletes the workload's resources from that cluster"}},
		{"create-delete", "  syncPolicy:\n    applicationsSync: create-delete\n", targets.Removal{Deletes: true, Reason: "argocd/web.yaml:9: spec.syncPolicy neither sets preserveResourcesOnDeletion nor limits applicationsSync: removing a cluster's element deletes its generated Application, and the resources finalizer the ApplicationSet controller sets deletes the workload's resources from that cluster"}},
		{"preserve resources", "  syncPolicy:\n    preserveResourcesOnDeletion: true\n", targets.Removal{Deletes: false, Reason: "argocd/web.yaml:10: spec.syncPolicy.preserveResourcesOnDeletion is true: removing a cluster's element deletes its generated Application but keeps the workload's resources on that cluster"}},
		{"preserve resources false", "  syncPolicy:\n    preserveResourcesOnDeletion: false\n", targets.Removal{Deletes: true, Reason: "argocd/web.yaml:9: spec.syncPolicy neither sets preserveResourcesOnDeletion nor limits applicationsSync: removing a cluster's element deletes its generated Application, and the resources finalizer the ApplicationSet controller sets deletes the workload's resources from that cluster"}},
		{"create-only", "  syncPolicy:\n    applicationsSync: create-only\n", targets.Removal{Deletes: false, Reason: "argocd/web.yaml:10: spec.syncPolicy.applicationsSync is create-only: removing a cluster's element does not delete its generated Application, which keeps the workload running on that cluster until someone deletes the Application"}},
		{"create-update wins over preserve", "  syncPolicy:\n    preserveResourcesOnDeletion: true\n    applicationsSync: create-update\n", targets.Removal{Deletes: false, Reason: "argocd/web.yaml:11: spec.syncPolicy.applicationsSync is create-update: removing a cluster's element does not delete its generated Application, which keeps the workload running on that cluster until someone deletes the Application"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := targets.ApplicationSet{}.Removal("argocd/web.yaml", []byte(head+tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Removal() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
