package gitops_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/targets"
)

// A git directory generator that excludes the target's folder cannot
// register the workload there: deploy says so, naming the file.
func TestGitDirsExcludedTarget(t *testing.T) {
	fsys := mapFS(t, fixtures.AppSetGitDirs)
	f := "argocd/cluster-apps.yaml"
	fsys[f] = &fstest.MapFile{Data: []byte(strings.Replace(string(fsys[f].Data), "clusters/gke-eu-2/sandbox", "clusters/gke-eu-2/*", 1))}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("ledger")
	_, err = repo.DeployEdit(t.Context(), w, "gke-eu-1", []string{"gke-eu-2"})
	if err == nil || !strings.Contains(err.Error(), f) || !strings.Contains(err.Error(), "does not match clusters/gke-eu-2/ledger") {
		t.Fatalf("DeployEdit to an excluded folder: %v, want an error naming %s and the folder", err, f)
	}
}

// One ApplicationSet per environment, its list elements naming the
// workload and the cluster: each workload reads and edits only its own.
func TestSharedListAppSet(t *testing.T) {
	fsys := mapFS(t, fixtures.AppSetHTTPRoute)
	delete(fsys, "argocd/playlist-api.yaml")
	for p := range fsys {
		if strings.HasPrefix(p, "argocd/") {
			delete(fsys, p)
		}
	}
	fsys["ferry.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(fsys["ferry.yaml"].Data), "path: argocd/{workload}.yaml", "path: argocd/{environment}.yaml", 1))}
	inv := string(fsys["clusters.yaml"].Data)
	inv = strings.ReplaceAll(inv, "    values:\n", "    values:\n      environment: prod\n")
	fsys["clusters.yaml"] = &fstest.MapFile{Data: []byte(inv)}
	const appset = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: prod
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      # the playlist team
      - app: playlist-api
        cluster: gke-eu-1
      - app: playlist-api
        cluster: gke-us-1
      - app: search-api
        cluster: gke-eu-1
  template:
    metadata:
      name: '{{app}}-{{cluster}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/music/deploy.git
        path: apps/{{app}}/overlays/{{cluster}}
      destination:
        name: '{{cluster}}'
        namespace: '{{app}}'
`
	fsys["argocd/prod.yaml"] = &fstest.MapFile{Data: []byte(appset)}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	regs := func(repo *gitops.Repo, name string) map[string]int {
		w, _ := repo.Workload(name)
		st, err := repo.ReadState(w)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for c, r := range st.Registrations {
			out[c] = r.Line
		}
		return out
	}
	if diff := cmp.Diff(map[string]int{"gke-eu-1": 11, "gke-us-1": 13}, regs(repo, "playlist-api")); diff != "" {
		t.Errorf("playlist-api registrations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"gke-eu-1": 15}, regs(repo, "search-api")); diff != "" {
		t.Errorf("search-api registrations (-want +got):\n%s", diff)
	}
	w, _ := repo.Workload("search-api")
	e, err := repo.DeployEdit(t.Context(), w, "gke-eu-1", []string{"gke-eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Changes {
		fsys[c.Path] = &fstest.MapFile{Data: c.Data}
	}
	want := strings.Replace(appset, "      - app: search-api\n        cluster: gke-eu-1\n", "      - app: search-api\n        cluster: gke-eu-1\n      - app: search-api\n        cluster: gke-eu-2\n", 1)
	if diff := cmp.Diff(want, string(fsys["argocd/prod.yaml"].Data)); diff != "" {
		t.Errorf("after deploy (-want +got):\n%s", diff)
	}
	if repo, err = gitops.Load(fsys); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"gke-eu-1": 11, "gke-us-1": 13}, regs(repo, "playlist-api")); diff != "" {
		t.Errorf("playlist-api after search-api's deploy (-want +got):\n%s", diff)
	}
}

// A matrix of a list of clusters and git directories that take the
// list's parameters: deploying to a cluster the list lacks adds its
// element, copied from the source's, and the derived folder registers
// the workload; cleanup's removal of the folder unregisters it.
func TestMatrixAppSet(t *testing.T) {
	fsys := mapFS(t, fixtures.AppSetGitDirs)
	const appset = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: cluster-apps
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - matrix:
      generators:
      - list:
          elements:
          - cluster: gke-eu-1
            vault: https://vault.eu1.bank.example
          - cluster: gke-us-1
            vault: https://vault.us1.bank.example
      - git:
          repoURL: https://github.com/bank/deploy.git
          revision: main
          directories:
          - path: 'clusters/{{.cluster}}/*'
  template:
    metadata:
      name: '{{.cluster}}-{{.path.basename}}'
    spec:
      project: default
      source: {repoURL: 'https://github.com/bank/deploy.git', targetRevision: main, path: '{{.path.path}}'}
      destination: {name: '{{.cluster}}', namespace: '{{.path.basename}}'}
`
	fsys["argocd/cluster-apps.yaml"] = &fstest.MapFile{Data: []byte(appset)}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("web-shop")
	st, err := repo.ReadState(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(st.Registrations)); !slices.Equal(got, []string{"gke-eu-1", "gke-us-1"}) {
		t.Errorf("web-shop registered on %v, want gke-eu-1 and gke-us-1", got)
	}
	e, err := repo.DeployEdit(t.Context(), w, "gke-eu-1", []string{"gke-eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Changes {
		fsys[c.Path] = &fstest.MapFile{Data: c.Data}
	}
	want := strings.Replace(appset, "          - cluster: gke-us-1\n            vault: https://vault.us1.bank.example\n",
		"          - cluster: gke-us-1\n            vault: https://vault.us1.bank.example\n          - cluster: gke-eu-2\n            vault: https://vault.eu2.bank.example\n", 1)
	if diff := cmp.Diff(want, string(fsys["argocd/cluster-apps.yaml"].Data)); diff != "" {
		t.Errorf("after deploy (-want +got):\n%s", diff)
	}
	if repo, err = gitops.Load(fsys); err != nil {
		t.Fatal(err)
	}
	w, _ = repo.Workload("web-shop")
	st, err = repo.ReadState(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Registrations["gke-eu-2"]; !ok {
		t.Errorf("web-shop is not registered on gke-eu-2 after deploy: %v", st.Registrations)
	}
	// ledger has no folder on gke-eu-2: the new element does not put it there.
	l, _ := repo.Workload("ledger")
	if st, err := repo.ReadState(l); err != nil || st.Registrations["gke-eu-2"].File != "" {
		t.Errorf("ledger on gke-eu-2 after web-shop's deploy: %v, %v", st.Registrations, err)
	}
}

// A matrix whose directories do not take the list's parameters puts every
// folder on every listed cluster: ferry cannot move one workload, and
// says so with the file and line, for the workloads of that file.
func TestMatrixAppSetUnsupported(t *testing.T) {
	fsys := mapFS(t, fixtures.AppSetGitDirs)
	fsys["argocd/cluster-apps.yaml"] = &fstest.MapFile{Data: []byte(`apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: cluster-apps, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - list:
          elements: [{cluster: gke-eu-1}, {cluster: gke-us-1}]
      - git:
          repoURL: https://github.com/bank/deploy.git
          directories: [{path: 'apps/*'}]
  template: {}
`)}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("web-shop")
	_, err = repo.ReadState(w)
	var ue *targets.UnsupportedError
	if !errors.As(err, &ue) || ue.File != "argocd/cluster-apps.yaml" || ue.Line != 6 {
		t.Fatalf("ReadState() = %v, want an *UnsupportedError at argocd/cluster-apps.yaml:6", err)
	}
}

// A git files generator: a config file per (workload, cluster) registers
// the pair; deploy writes the target's, derived from the source's, and
// cleanup deletes the source's.
func TestGitFilesAppSet(t *testing.T) {
	fsys := mapFS(t, fixtures.AppSetGitDirs)
	fsys["argocd/cluster-apps.yaml"] = &fstest.MapFile{Data: []byte(`apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: cluster-apps, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: https://github.com/bank/deploy.git
      revision: main
      files:
      - path: 'clusters/*/*/config.json'
  template:
    metadata: {name: '{{.cluster.name}}-{{.app}}'}
    spec:
      project: default
      source: {repoURL: 'https://github.com/bank/deploy.git', targetRevision: main, path: '{{.path.path}}'}
      destination: {name: '{{.cluster.name}}', namespace: '{{.app}}'}
`)}
	for _, c := range []string{"gke-eu-1", "gke-us-1"} {
		fsys["clusters/"+c+"/web-shop/config.json"] = &fstest.MapFile{Data: []byte(`{"app": "web-shop", "cluster": {"name": "` + c + `"}}` + "\n")}
	}
	fsys["clusters/gke-eu-1/ledger/config.json"] = &fstest.MapFile{Data: []byte(`{"app": "ledger", "cluster": {"name": "gke-eu-1"}}` + "\n")}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	regs := func(name string) map[string]string {
		w, _ := repo.Workload(name)
		st, err := repo.ReadState(w)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for c, r := range st.Registrations {
			out[c] = r.File
		}
		return out
	}
	want := map[string]string{"gke-eu-1": "clusters/gke-eu-1/web-shop/config.json", "gke-us-1": "clusters/gke-us-1/web-shop/config.json"}
	if diff := cmp.Diff(want, regs("web-shop")); diff != "" {
		t.Errorf("web-shop registrations (-want +got):\n%s", diff)
	}
	w, _ := repo.Workload("web-shop")
	e, err := repo.DeployEdit(t.Context(), w, "gke-eu-1", []string{"gke-eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Changes {
		fsys[c.Path] = &fstest.MapFile{Data: c.Data}
	}
	if got := string(fsys["clusters/gke-eu-2/web-shop/config.json"].Data); got != `{"app": "web-shop", "cluster": {"name": "gke-eu-2"}}`+"\n" {
		t.Errorf("the derived generator file = %q", got)
	}
	if repo, err = gitops.Load(fsys); err != nil {
		t.Fatal(err)
	}
	want["gke-eu-2"] = "clusters/gke-eu-2/web-shop/config.json"
	if diff := cmp.Diff(want, regs("web-shop")); diff != "" {
		t.Errorf("web-shop after deploy (-want +got):\n%s", diff)
	}
	// notifier, a worker: cleanup deletes its generator file on gke-eu-1.
	fsys["clusters/gke-eu-1/notifier/config.json"] = &fstest.MapFile{Data: []byte(`{"app": "notifier", "cluster": {"name": "gke-eu-1"}}` + "\n")}
	if repo, err = gitops.Load(fsys); err != nil {
		t.Fatal(err)
	}
	w, _ = repo.Workload("notifier")
	e, err = repo.RemoveEdit(t.Context(), w, []string{"gke-eu-1"})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, c := range e.Changes {
		if c.Delete {
			deleted = append(deleted, c.Path)
		}
	}
	if diff := cmp.Diff([]string{"clusters/gke-eu-1/notifier", "clusters/gke-eu-1/notifier/config.json"}, deleted); diff != "" {
		t.Errorf("cleanup deletes (-want +got):\n%s", diff)
	}
}

// A git files generator reading one identity file per cluster puts every
// workload of the ApplicationSet on each: ferry cannot add one workload to
// one more cluster that way, and says so.
func TestGitFilesPerClusterUnsupported(t *testing.T) {
	fsys := mapFS(t, fixtures.AppSetGitDirs)
	fsys["argocd/cluster-apps.yaml"] = &fstest.MapFile{Data: []byte(`apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: cluster-apps, namespace: argocd}
spec:
  generators:
  - git:
      repoURL: https://github.com/bank/deploy.git
      files:
      - path: 'fleet/*.json'
  template: {}
`)}
	fsys["fleet/gke-eu-1.json"] = &fstest.MapFile{Data: []byte(`{"cluster": {"name": "gke-eu-1", "server": "https://10.1.0.1"}}`)}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("web-shop")
	_, err = repo.ReadState(w)
	var ue *targets.UnsupportedError
	if !errors.As(err, &ue) || ue.File != "argocd/cluster-apps.yaml" || ue.Line != 9 {
		t.Fatalf("ReadState() = %v, want an *UnsupportedError at argocd/cluster-apps.yaml:9", err)
	}
}
