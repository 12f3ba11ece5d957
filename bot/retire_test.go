package bot_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/check"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
)

// A Migration that retires gke-eu-1 in the region-folders repo, run to
// the end: checkout, which runs on gke-us-1 too, is drained onto gke-us-1
// and removed from gke-eu-1 without a deploy anywhere; catalog and
// ledger-worker, on gke-eu-1 alone, move to the named target gke-eu-2.
func TestRetireACluster(t *testing.T) {
	seed, err := fixtures.Repo(fixtures.RegionFolders)
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{}
	err = fs.WalkDir(seed, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(seed, name)
		files[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const mig = "migrations/eu-1-to-eu-2.yaml"
	text := string(files[mig].Data)
	if !strings.Contains(text, "  to: [gke-eu-2]\n") {
		t.Fatalf("%s has no to: line:\n%s", mig, text)
	}
	files[mig] = &fstest.MapFile{Data: []byte(strings.Replace(text, "  to: [gke-eu-2]\n", "  retire: true\n  to: [gke-eu-2]   # for what runs on gke-eu-1 alone\n", 1)), Mode: 0o644}
	repo, _ := newRepo(t, files)
	clk := &clock{t: epoch}
	local := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
	b, err := bot.New(repo, bot.Options{Forge: local, Now: clk.Now, Health: healthy{}})
	if err != nil {
		t.Fatal(err)
	}
	toTheEnd(t, repo, clk, b, local, nil)

	fsys, err := repo.FS(mainHead(t, repo))
	if err != nil {
		t.Fatal(err)
	}
	r, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"checkout": {"gke-us-1"}, "catalog": {"gke-eu-2"}, "ledger-worker": {"gke-eu-2"}}
	for name, clusters := range want {
		w, ok := r.Workload(name)
		if !ok {
			t.Fatalf("no workload %s", name)
		}
		st, err := r.ReadState(w)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for c := range st.Registrations {
			got = append(got, c)
		}
		if strings.Join(got, ",") != strings.Join(clusters, ",") || len(st.Overlays) != len(clusters) {
			t.Errorf("%s registered on %v with overlays %v, want on %v alone", name, got, st.Overlays, clusters)
		}
		if st.PinnedBy != "" {
			t.Errorf("%s still pinned by %s", name, st.PinnedBy)
		}
		if st.Weights != nil && (len(st.Weights) != 1 || st.Weights[clusters[0]] == 0) {
			t.Errorf("%s weights %v, want all on %s", name, st.Weights, clusters[0])
		}
	}
	// checkout was never deployed anywhere: no deploy stage in main's log.
	stages := 0
	err = repo.Log(t.Context(), mainHead(t, repo), func(c *object.Commit) error {
		subject, _, _ := strings.Cut(c.Message, "\n")
		if strings.Contains(subject, ": checkout: deploy") {
			t.Errorf("checkout deployed: %q", subject)
		}
		if strings.Contains(subject, ": checkout: ") {
			stages++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stages == 0 {
		t.Error("no stage of checkout in main's log")
	}
	// Every commit keeps the invariants ferry verify checks.
	f, err := check.History(t.Context(), repo, plumbing.ZeroHash, mainHead(t, repo), render.New())
	if err != nil {
		t.Fatal(err)
	}
	if f != nil {
		t.Errorf("%s (%s) breaks invariants: %v", f.Commit, f.Subject, f.Violations)
	}
}
