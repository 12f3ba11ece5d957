package gitops_test

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/traffic"
)

// mapFS copies a fixture repo into a map, so a test can add files.
func mapFS(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	src, err := fixtures.Repo(name)
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReadState(t *testing.T) {
	fsys := mapFS(t, "appset-httproute")
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("playlist-api")
	st, err := repo.ReadState(w)
	if err != nil {
		t.Fatal(err)
	}
	want := &gitops.State{
		Workload: "playlist-api",
		Overlays: map[string]string{"gke-eu-1": "apps/playlist-api/overlays/gke-eu-1", "gke-us-1": "apps/playlist-api/overlays/gke-us-1"},
		Registrations: map[string]gitops.Registration{
			"gke-eu-1": {File: "argocd/playlist-api.yaml", Line: 12},
			"gke-us-1": {File: "argocd/playlist-api.yaml", Line: 17},
		},
		Weights: traffic.Weights{"gke-eu-1": 70, "gke-us-1": 30},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("ReadState(playlist-api) mismatch (-want +got):\n%s", diff)
	}
}

// A workload whose weights Flagger shifts at runtime is owned: the bot
// does not pin it.
func TestOwnerFlagger(t *testing.T) {
	fsys := mapFS(t, "appset-httproute")
	fsys["apps/playlist-api/base/canary.yaml"] = &fstest.MapFile{Data: []byte(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: playlist-api
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: playlist-api
`)}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("playlist-api")
	err = repo.Owner(w)
	var owned *traffic.OwnedError
	if !errors.As(err, &owned) || owned.Controller != traffic.Flagger {
		t.Errorf("Owner(playlist-api) = %v, want a *traffic.OwnedError for Flagger", err)
	}
	other, _ := repo.Workload("search-api")
	if err := repo.Owner(other); err != nil {
		t.Errorf("Owner(search-api) = %v, want nil", err)
	}
}

// A weight written as a Flux variable, in a route no Kustomization is
// known to apply, is refused as bad input naming the file and line once.
func TestReadStateFluxVariableRefused(t *testing.T) {
	fsys := mapFS(t, "appset-httproute")
	route := "traffic/playlist-api.yaml"
	fsys[route].Data = []byte(strings.Replace(string(fsys[route].Data), "weight: 70", "weight: ${EU1_WEIGHT}", 1))
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("playlist-api")
	_, err = repo.ReadState(w)
	var ie *gitops.InputError
	if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), route+":27: ") || strings.Count(err.Error(), route) != 1 {
		t.Errorf("ReadState with a ${VAR} weight: error %v, want an *InputError that names %s:27 once", err, route)
	}
}

// An external-dns weight written as a Flux variable is followed to the
// substitute of the Kustomization that applies the cluster's overlay, and
// a shift edits it there.
func TestFluxVariableWeightFollowed(t *testing.T) {
	fsys := mapFS(t, "flux-externaldns")
	patch := "apps/cart-api/overlays/gke-eu-1/service-patch.yaml"
	ks := "clusters/gke-eu-1/apps/cart-api.yaml"
	fsys[patch].Data = []byte(strings.Replace(string(fsys[patch].Data), "aws-weight: '80'", "aws-weight: ${CART_WEIGHT}", 1))
	before := string(fsys[ks].Data)
	fsys[ks].Data = []byte(strings.Replace(before, "      REGION: europe-west1", "      REGION: europe-west1\n      CART_WEIGHT: \"80\"", 1))
	if string(fsys[patch].Data) == "" || string(fsys[ks].Data) == before {
		t.Fatal("the fixture changed; update the test")
	}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("cart-api")
	st, err := repo.ReadState(w)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(traffic.Weights{"gke-eu-1": 80, "gke-us-1": 20}, st.Weights); diff != "" {
		t.Fatalf("weights mismatch (-want +got):\n%s", diff)
	}
	edit, err := repo.WeightsEdit(w, map[string]int{"gke-eu-1": 50, "gke-us-1": 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(edit.Changes) != 1 || edit.Changes[0].Path != ks || !strings.Contains(string(edit.Changes[0].Data), `CART_WEIGHT: "50"`) {
		t.Fatalf("WeightsEdit changes %+v, want only %s with CART_WEIGHT: \"50\"", edit.Changes, ks)
	}
	after := gitops.Overlay(fsys, edit.Changes)
	st, err = repo.At(after).ReadState(w)
	if err != nil {
		t.Fatal(err)
	}
	if st.Weights["gke-eu-1"] != 50 {
		t.Errorf("after the edit gke-eu-1 weighs %d, want 50", st.Weights["gke-eu-1"])
	}

	// Not defined in substitute and no default: refused, naming the line.
	fsys[ks].Data = []byte(before)
	_, err = repo.ReadState(w)
	var ve *traffic.VarError
	if !errors.As(err, &ve) || ve.File != patch || !errors.Is(err, traffic.ErrVarUndefined) {
		t.Errorf("ReadState with an undefined variable: %v, want a *traffic.VarError for %s wrapping ErrVarUndefined", err, patch)
	}
}

// A route file renamed (or its backends moved to another file) leaves the
// workload without a traffic file while a route still sends it traffic:
// the planner must not take it for a worker, which it would remove from
// the clusters that serve that traffic.
func TestReadStateStrayRoute(t *testing.T) {
	fsys := mapFS(t, "appset-httproute")
	fsys["traffic/routes/playlist-api.yaml"] = fsys["traffic/playlist-api.yaml"]
	delete(fsys, "traffic/playlist-api.yaml")
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	states, err := repo.ReadStates(repo.Workloads)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		switch st.Workload {
		case "playlist-api":
			if !errors.Is(st.Unreadable, gitops.ErrStrayRoute) || !strings.HasPrefix(st.Unreadable.Error(), "traffic/routes/playlist-api.yaml:25: ") {
				t.Errorf("playlist-api: Unreadable = %v, want ErrStrayRoute at traffic/routes/playlist-api.yaml:25", st.Unreadable)
			}
		default:
			if st.Unreadable != nil {
				t.Errorf("%s: Unreadable = %v; only playlist-api's traffic went astray", st.Workload, st.Unreadable)
			}
		}
	}
	w, _ := repo.Workload("playlist-api")
	if st, err := repo.ReadOwnState(w); err != nil || st.Weights != nil {
		t.Errorf("ReadOwnState = %v, %v; want no weights and no error (check reports the route itself)", st, err)
	}
}

// A comment in a registration file is no change of what Argo CD or Flux
// is told, in every registration shape of the sample repos; the data of
// each registered cluster is there to compare.
func TestRegistrationDataIgnoresComments(t *testing.T) {
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			fsys := mapFS(t, name)
			repo, err := gitops.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			states, err := repo.ReadStates(repo.Workloads)
			if err != nil {
				t.Fatal(err)
			}
			type pair struct{ w, c string }
			before := map[pair][]byte{}
			files := map[string]bool{}
			for _, st := range states {
				for c, reg := range st.Registrations {
					_, data, err := repo.RegistrationData(st.Workload, c)
					if err != nil || len(data) == 0 {
						t.Fatalf("RegistrationData(%s, %s) = %q, %v; want its data", st.Workload, c, data, err)
					}
					before[pair{st.Workload, c}] = data
					files[reg.File] = true
				}
			}
			if len(before) == 0 {
				t.Fatal("no registration in the sample repo")
			}
			for f := range files {
				data := append([]byte(nil), fsys[f].Data...)
				if !bytes.HasSuffix(data, []byte("\n")) {
					data = append(data, '\n') // a file without a final newline
				}
				fsys[f] = &fstest.MapFile{Data: append(data, "# reviewed by the platform team\n"...)}
			}
			edited, err := gitops.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			for p, want := range before {
				if _, got, err := edited.RegistrationData(p.w, p.c); err != nil || !bytes.Equal(got, want) {
					t.Errorf("RegistrationData(%s, %s) changed with a comment (%v)", p.w, p.c, err)
				}
			}
		})
	}
}
