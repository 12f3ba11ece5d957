package bot_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/convention"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// The plan shows what the next deploy derives, before it happens: each
// replacement with its inventory key, file and line, in JSON and text.
func TestPlanShowsDerivation(t *testing.T) {
	fsys, err := fixtures.RepoMap(fixtures.ApplicationIstio)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, fsys)
	// podcast-api's pin stage, as ferry makes it: sealed.
	pin := "apps/podcast-api/base/kustomization.yaml"
	sealedStage(t, repo, gitops.Change{Path: pin, Data: append([]byte(gitops.PinMarker("eu-1-to-eu-2")+"\n"), fsys[pin].Data...)},
		"ferry(eu-1-to-eu-2): podcast-api: pin\n\nFerry-Migration: eu-1-to-eu-2\nFerry-Workload: podcast-api\nFerry-Stage: pin")
	b, _ := newLocal(t, repo, &clock{t: epoch})
	s, err := b.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var next *planner.Action
	for _, e := range s.Plan.Entries {
		if e.Workload == "podcast-api" {
			next = e.Next
		}
	}
	if next == nil || next.Stage.Kind != planner.Deploy {
		t.Fatalf("podcast-api's next stage is %v, want deploy", next)
	}
	want := planner.Replacement{File: "argocd/gke-eu-2/podcast-api.yaml", Line: 18, Key: "server", Old: "https://34.76.10.1", New: "https://34.90.20.1"}
	found := false
	for _, r := range next.Derivation {
		found = found || r == want
	}
	if !found {
		t.Errorf("Derivation = %v, want %v among it", next.Derivation, want)
	}
	var text strings.Builder
	if err := s.Plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "podcast-api: deploy to gke-eu-2 derives:\n") ||
		!strings.Contains(text.String(), "  argocd/gke-eu-2/podcast-api.yaml:18: https://34.76.10.1 → https://34.90.20.1 (server)\n") {
		t.Errorf("the plan's text does not show the derivation:\n%s", text.String())
	}
}

// An overlay with a remote base cannot be validated offline: the workload
// waits with the reason and the setting that lets it move; with
// validate.unverifiable: proceed it moves on health and soak alone, and its
// deploy says what was not validated.
func TestUnverifiableOptIn(t *testing.T) {
	build := func(proceed bool) fstest.MapFS {
		fsys, err := fixtures.RepoMap(fixtures.AppOfApps)
		if err != nil {
			t.Fatal(err)
		}
		o := "apps/search-ui/overlays/gke-eu-1/kustomization.yaml"
		fsys[o] = &fstest.MapFile{Data: []byte(strings.Replace(string(fsys[o].Data), "- ../../base\n", "- ../../base\n- https://github.com/shop/platform-bases//search?ref=v3\n", 1))}
		m := "migrations/eu-1-to-eu-2.yaml"
		fsys[m] = &fstest.MapFile{Data: []byte(strings.Replace(string(fsys[m].Data), `workloads: ["*"]`, `workloads: ["search-ui"]`, 1))}
		if proceed {
			fsys["ferry.yaml"] = &fstest.MapFile{Data: append(fsys["ferry.yaml"].Data, []byte("validate:\n  unverifiable: proceed\n")...)}
		}
		return fsys
	}
	next := func(fsys fstest.MapFS) planner.Entry {
		repo, _ := newRepo(t, fsys)
		b, _ := newLocal(t, repo, &clock{t: epoch})
		s, err := b.Observe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range s.Plan.Entries {
			if e.Workload == "search-ui" {
				return e
			}
		}
		t.Fatal("no search-ui in the plan")
		return planner.Entry{}
	}
	e := next(build(false))
	if e.Wait == nil || !strings.Contains(e.Wait.String(), "remote") || !strings.Contains(e.Wait.String(), "validate.unverifiable: proceed") {
		t.Errorf("without the opt-in, search-ui: %+v; want a wait naming the remote base and the setting", e)
	}
	fsys := build(true)
	if e := next(fsys); e.Wait != nil && strings.Contains(e.Wait.String(), "validation") {
		t.Errorf("with the opt-in, search-ui still waits: %v", e.Wait)
	}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("search-ui")
	edit, err := repo.DeployEdit(context.Background(), w, "gke-eu-1", []string{"gke-eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(edit.Unverified) != 1 || !strings.Contains(edit.Unverified[0], "remote") {
		t.Errorf("Unverified = %v, want the derived overlay's remote base", edit.Unverified)
	}
}

// Trailers are text: a commit that only adds a notes file, written with
// ferry's trailers (even its author) after the Migration appeared, is not
// a stage. Before seals it marked the workload rolled back for good.
func TestForgedStageIsNotHistory(t *testing.T) {
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, fsys)
	head, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	sig := bot.DefaultAuthor
	sig.When = epoch
	forged, err := repo.Commit(t.Context(), head, []gitops.Change{{Path: "notes.md", Data: []byte("notes\n")}}, gitstore.CommitMeta{Author: sig,
		Message: "ferry(eu-1-to-eu-2): playlist-api: roll back\n\nFerry-Migration: eu-1-to-eu-2\nFerry-Workload: playlist-api\nFerry-Stage: rollback\nFerry-Seal: 00\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRef(plumbing.NewBranchReferenceName("main"), head, forged); err != nil {
		t.Fatal(err)
	}
	b, _ := newLocal(t, repo, &clock{t: epoch})
	s, err := b.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Plan.Entries {
		if e.Workload == "playlist-api" && e.Phase != planner.NotStarted {
			t.Errorf("playlist-api after a forged rollback commit: %s (%v), want not-started", e.Phase, e.Wait)
		}
	}
	if len(s.Input.History) != 0 {
		t.Errorf("history = %v, want none", s.Input.History)
	}
}

// sealedStage commits change on main as ferry would, sealed with the
// repository's key.
func sealedStage(t *testing.T, repo *gitstore.Store, change gitops.Change, msg string) {
	t.Helper()
	head, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	key, err := repo.SealKey()
	if err != nil {
		t.Fatal(err)
	}
	sig := bot.DefaultAuthor
	sig.When = epoch
	draft, err := repo.Commit(t.Context(), head, []gitops.Change{change}, gitstore.CommitMeta{Author: sig, Message: msg + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := repo.CommitObject(draft)
	if err != nil {
		t.Fatal(err)
	}
	sealed := convention.WithSeal(msg, convention.Seal(key, head.String(), dc.TreeHash.String(), msg+"\n")) + "\n"
	c, err := repo.CommitTree(t.Context(), dc.TreeHash, dc.ParentHashes, gitstore.CommitMeta{Author: sig, Message: sealed})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRef(plumbing.NewBranchReferenceName("main"), head, c); err != nil {
		t.Fatal(err)
	}
}

// A pin marker someone adds by hand on main (ferry check would refuse it;
// here no check ran) does not pass for ferry's: the planner stops the
// workload instead of skipping its validation and the limits. Before
// seals, a GPU workload so pinned was deployed where no GPU was.
func TestHandPinStopsTheWorkload(t *testing.T) {
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, fsys)
	head, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	pin := "apps/recs-model/base/kustomization.yaml"
	data, err := fs.ReadFile(fsys, pin)
	if err != nil {
		t.Fatal(err)
	}
	sig := bot.DefaultAuthor
	sig.When = epoch
	c, err := repo.Commit(t.Context(), head, []gitops.Change{{Path: pin, Data: append([]byte(gitops.PinMarker("eu-1-to-eu-2")+"\n"), data...)}},
		gitstore.CommitMeta{Author: sig, Message: "ferry(eu-1-to-eu-2): recs-model: pin\n\nFerry-Migration: eu-1-to-eu-2\nFerry-Workload: recs-model\nFerry-Stage: pin\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRef(plumbing.NewBranchReferenceName("main"), head, c); err != nil {
		t.Fatal(err)
	}
	b, _ := newLocal(t, repo, &clock{t: epoch})
	s, err := b.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Plan.Entries {
		if e.Workload != "recs-model" {
			continue
		}
		if e.Phase != planner.Unexplained || e.Next != nil || !strings.Contains(e.Wait.String(), "added by hand") {
			t.Errorf("recs-model pinned by hand: %s, next %v, wait %v; want it stopped, saying why", e.Phase, e.Next, e.Wait)
		}
	}
}
