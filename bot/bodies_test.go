package bot_test

import (
	"context"
	"flag"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/convention"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/planner"
	"github.com/ferry-dev/ferry/rewrite"
)

var update = flag.Bool("update", false, "rewrite the golden pull request bodies in testdata/bodies")

// describingForge is the local forge with pull request pages: it keeps
// the last body proposed on each branch.
type describingForge struct {
	*bot.Local
	mu     sync.Mutex
	bodies map[string]string
}

func (f *describingForge) Capabilities() bot.Capabilities {
	c := f.Local.Capabilities()
	c.Descriptions = true
	return c
}

func (f *describingForge) Propose(ctx context.Context, p bot.Proposal) (*bot.PullRequest, error) {
	f.mu.Lock()
	f.bodies[p.Branch] = p.Body
	f.mu.Unlock()
	return f.Local.Propose(ctx, p)
}

// healthy reports every workload healthy everywhere, so the bodies show
// the health gates with their commits.
type healthy struct{}

func (healthy) Observe(context.Context, string, string, plumbing.Hash) (planner.Health, error) {
	return planner.Healthy, nil
}

// goldenWorkload is the workload of each fixture whose bodies are golden:
// one with traffic, so every stage is there. goldenGlob is what the
// test's Migration selects: that workload (when absent), and in the repos
// that group pull requests by wave, one more, so a wave's body is golden
// too.
var goldenWorkload = map[string]string{
	fixtures.AppSetHTTPRoute:  "playlist-api",
	fixtures.FluxExternalDNS:  "cart-api",
	fixtures.ApplicationIstio: "podcast-api",
	fixtures.AppOfApps:        "checkout-api",
	fixtures.RegionFolders:    "checkout",
	fixtures.FluxNoBase:       "box-office",
	fixtures.FluxHub:          "storefront",
	fixtures.AppSetGitDirs:    "web-shop",
	fixtures.MonorepoEnvs:     "courses",
	fixtures.FluxSharedPaths:  "quotes",
}

var goldenGlob = map[string]string{
	fixtures.AppSetHTTPRoute:  "playlist-api",
	fixtures.FluxExternalDNS:  "cart-api",
	fixtures.ApplicationIstio: "[np]*", // notification-worker and podcast-api
	fixtures.MonorepoEnvs:     "[cv]*", // courses and video, one wave
	fixtures.AppOfApps:        "checkout-api",
	fixtures.RegionFolders:    "checkout",
	fixtures.FluxNoBase:       "box-office",
	fixtures.FluxHub:          "storefront",
	fixtures.AppSetGitDirs:    "web-shop",
}

// TestBodies migrates each fixture repo to the end and compares the
// whole pull request body of every stage of one workload (for a repo with
// pullRequests.group: wave, of its wave) with
// testdata/bodies/FIXTURE/STAGE.txtar: which stage of how many, the gates
// with their figures, the rendered diff, what comes next and how to stop.
// go test ./bot -run TestBodies -update rewrites them.
func TestBodies(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			glob, ok := goldenGlob[name]
			if !ok {
				glob = goldenWorkload[name]
			}
			fsys := selecting(t, name, glob)
			repo, _ := newRepo(t, fsys)
			clk := &clock{t: epoch}
			local := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
			forge := &describingForge{Local: local, bodies: map[string]string{}}
			b, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now, Health: healthy{}, SealKey: []byte("golden bodies: a fixed seal key")})
			if err != nil {
				t.Fatal(err)
			}
			toTheEnd(t, repo, clk, b, local, nil)

			want := goldenWorkload[name]
			var stages []string
			for _, branch := range slices.Sorted(func(yield func(string) bool) {
				for k := range forge.bodies {
					if !yield(k) {
						return
					}
				}
			}) {
				p, ok := convention.ParseBranch(branch)
				if !ok || (p.Workload != want && p.Wave != 1) {
					continue
				}
				body := forge.bodies[branch]
				for _, part := range []string{"### Why it is safe now", "### What comes next", "### How to stop it", "`ferry/hold`"} {
					if !strings.Contains(body, part) {
						t.Errorf("%s: the body has no %q", branch, part)
					}
				}
				stages = append(stages, p.Stage.String())
				a := &txtar.Archive{
					Comment: []byte("The pull request body of " + branch + ".\n"),
					Files:   []txtar.File{{Name: "body.md", Data: []byte(body)}},
				}
				fixtures.Golden(t, filepath.Join("testdata", "bodies", name, p.Stage.String()+".txtar"), txtar.Format(a), *update, "go test ./bot -run TestBodies -update")
			}
			if len(stages) < 5 {
				t.Errorf("bodies for the stages %v of %s, want pin, deploy, the shifts, cleanup and unpin", stages, want)
			}
		})
	}
}

// selecting is the fixture repo name with its Migration's one glob, "*",
// set to glob, so the test renders only the bodies it keeps.
func selecting(t *testing.T, name, glob string) fs.FS {
	t.Helper()
	fsys, err := fixtures.Repo(name)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	workloadsItem, err := rewrite.ParsePath(".spec.workloads[0]")
	if err != nil {
		t.Fatal(err)
	}
	var changes []gitops.Change
	for _, m := range repo.Migrations {
		data, err := fs.ReadFile(fsys, m.File)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := rewrite.Apply(m.File, data, rewrite.Set{Path: workloadsItem, Value: glob})
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, gitops.Change{Path: m.File, Data: out})
	}
	return gitops.Overlay(fsys, changes)
}
