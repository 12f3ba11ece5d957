package check_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/check"
	"github.com/ferry-dev/ferry/bot/convention"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
)

var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

var author = object.Signature{Name: "Platform Team", Email: "platform@music.example.com", When: epoch}

// newRepo makes a bare repository in a temporary folder whose main branch
// holds one commit of fsys.
func newRepo(t testing.TB, fsys fs.FS) *gitstore.Store {
	t.Helper()
	repo, _, err := fixtures.GitRepo(t.Context(), t.TempDir(), true, fsys, gitstore.CommitMeta{Author: author, Message: "Deployment repo\n"})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func fixtureRepo(t *testing.T, name string) *gitstore.Store {
	t.Helper()
	fsys, err := fixtures.Repo(name)
	if err != nil {
		t.Fatal(err)
	}
	return newRepo(t, fsys)
}

// commit commits changes on main's tip with a plain author and message, and
// moves main.
func commit(t testing.TB, repo *gitstore.Store, msg string, changes ...gitstore.Change) (base, head plumbing.Hash) {
	t.Helper()
	base, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	head, err = repo.Commit(t.Context(), base, changes, gitstore.CommitMeta{Author: author, Message: msg})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRef(plumbing.NewBranchReferenceName("main"), base, head); err != nil {
		t.Fatal(err)
	}
	return base, head
}

// edit returns a change of file at main's tip: each old replaced by its
// new, once.
func edit(t testing.TB, repo *gitstore.Store, file string, oldnew ...string) gitstore.Change {
	t.Helper()
	h, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := repo.FS(h)
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(oldnew); i += 2 {
		if !strings.Contains(s, oldnew[i]) {
			t.Fatalf("%s does not contain %q", file, oldnew[i])
		}
		s = strings.Replace(s, oldnew[i], oldnew[i+1], 1)
	}
	return gitstore.Change{Path: file, Data: []byte(s)}
}

const (
	trafficFile = "traffic/playlist-api.yaml"
	appsetFile  = "argocd/playlist-api.yaml"
	usBackend   = `          name: playlist-api-gke-us-1
          port: 80
          weight: 30
`
	eu2Backend = usBackend + `        - group: net.gke.io
          kind: ServiceImport
          name: playlist-api-gke-eu-2
          port: 80
          weight: 20
`
	usElement = `          - cluster: gke-us-1
            url: https://10.30.0.1
            values:
              region: us-central1
              project: music-prod-us1
`
	eu2Element = usElement + `          - cluster: gke-eu-2
            url: https://10.20.0.1
            values:
              region: europe-west4
              project: music-prod-eu2
`
	pinMarker = "# ferry: pinned-by=eu-1-to-eu-2\n"
	trailers  = "\n\nFerry-Migration: eu-1-to-eu-2\nFerry-Workload: playlist-api\nFerry-Stage: pin\n"
)

// TestChange builds bad (and good) changes by hand on the appset-httproute
// fixture and checks what Change finds.
func TestChange(t *testing.T) {
	// eu2Overlay copies playlist-api's gke-eu-1 overlay to gke-eu-2.
	eu2Overlay := func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
		var out []gitstore.Change
		for _, f := range []string{"kustomization.yaml", "deployment-patch.yaml"} {
			c := edit(t, repo, "apps/playlist-api/overlays/gke-eu-1/"+f, "", "")
			c.Path = "apps/playlist-api/overlays/gke-eu-2/" + f
			out = append(out, c)
		}
		return out
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, repo *gitstore.Store) // committed before the change
		msg     string
		change  func(t *testing.T, repo *gitstore.Store) []gitstore.Change
		want    []check.Violation
		wantErr bool // a *gitops.InputError
	}{{
		name: "traffic to a cluster without the workload",
		msg:  "Send some traffic to eu-2\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, trafficFile, usBackend, eu2Backend)}
		},
		want: []check.Violation{{Rule: 2, Workload: "playlist-api", File: trafficFile, Line: 37,
			Message: "playlist-api: gke-eu-2 has weight 20 but no overlay and no registration there"}},
	}, {
		name: "registration removed before drain",
		msg:  "Drop us-1\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, appsetFile, usElement, "")}
		},
		want: []check.Violation{{Rule: 4, Workload: "playlist-api", File: appsetFile, Line: 17,
			Message: "playlist-api: the registration on gke-us-1 is removed while its weight was 30; shift its traffic to 0 first"},
			{Rule: 2, Workload: "playlist-api", File: trafficFile, Line: 32,
				Message: "playlist-api: gke-us-1 has weight 30 but no registration there"}},
	}, {
		name: "pinned workload changed without trailers",
		prepare: func(t *testing.T, repo *gitstore.Store) {
			commit(t, repo, "ferry(eu-1-to-eu-2): playlist-api: pin"+trailers,
				edit(t, repo, "apps/playlist-api/base/kustomization.yaml", "", pinMarker))
		},
		msg: "Bump replicas\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, "apps/playlist-api/overlays/gke-eu-1/kustomization.yaml", "value: 6", "value: 8")}
		},
		want: []check.Violation{{Rule: 5, Workload: "playlist-api", File: "apps/playlist-api/overlays/gke-eu-1/kustomization.yaml", Line: 14,
			Message: "playlist-api: pinned by migration eu-1-to-eu-2, changed by a commit without ferry's seal and the trailers Ferry-Migration: eu-1-to-eu-2 and Ferry-Workload: playlist-api"}},
	}, {
		// A person's commit with copied trailers: trailers are text, and
		// without ferry's seal they do not count (this passed before seals).
		name: "pinned workload changed with copied trailers",
		prepare: func(t *testing.T, repo *gitstore.Store) {
			commit(t, repo, "ferry(eu-1-to-eu-2): playlist-api: pin"+trailers,
				edit(t, repo, "apps/playlist-api/base/kustomization.yaml", "", pinMarker))
		},
		msg: "Bump replicas" + strings.Replace(trailers, "pin", "shift-10", 1),
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, "apps/playlist-api/overlays/gke-eu-1/kustomization.yaml", "value: 6", "value: 8")}
		},
		want: []check.Violation{{Rule: 5, Workload: "playlist-api", File: "apps/playlist-api/overlays/gke-eu-1/kustomization.yaml", Line: 14,
			Message: "playlist-api: pinned by migration eu-1-to-eu-2, changed by a commit without ferry's seal and the trailers Ferry-Migration: eu-1-to-eu-2 and Ferry-Workload: playlist-api"},
			{Rule: 5, Workload: "playlist-api", File: "apps/playlist-api/overlays/gke-eu-1/kustomization.yaml", Line: 14,
				Message: "playlist-api: the commit carries ferry's trailers (Ferry-Migration: eu-1-to-eu-2, Ferry-Stage: shift-10) without ferry's seal: it is not a stage of ferry's, whatever it says"}},
	}, {
		name: "overlay no longer builds",
		msg:  "Patch from a missing file\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, "apps/playlist-api/overlays/gke-us-1/kustomization.yaml", "deployment-patch.yaml", "missing-patch.yaml")}
		},
		want: []check.Violation{{Rule: 6, Workload: "playlist-api", File: "apps/playlist-api/overlays/gke-us-1/kustomization.yaml", Line: 7}},
	}, {
		name: "weight raised in the change that registers",
		msg:  "Deploy and shift at once\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return append(eu2Overlay(t, repo), edit(t, repo, appsetFile, usElement, eu2Element), edit(t, repo, trafficFile, usBackend, eu2Backend))
		},
		want: []check.Violation{{Rule: 3, Workload: "playlist-api", File: trafficFile, Line: 37,
			Message: "playlist-api: gke-eu-2 is registered and given weight 20 in the same change; deploy it at weight 0 first, shift traffic in a later change"}},
	}, {
		name: "deploy at weight 0",
		msg:  "Deploy to eu-2\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return append(eu2Overlay(t, repo), edit(t, repo, appsetFile, usElement, eu2Element),
				edit(t, repo, trafficFile, usBackend, strings.Replace(eu2Backend, "weight: 20", "weight: 0", 1)))
		},
	}, {
		name: "all traffic dropped",
		msg:  "Drain everything\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, trafficFile, "weight: 70", "weight: 0", "weight: 30", "weight: 0")}
		},
		want: []check.Violation{{Rule: 1, Workload: "playlist-api", File: trafficFile, Line: 27,
			Message: "playlist-api: no cluster that serves the workload has weight > 0 (gke-eu-1=0, gke-us-1=0): all of its traffic would be dropped"}},
	}, {
		// The traffic adapters refuse such a weight as bad input, naming
		// the file and line.
		name: "negative weight",
		msg:  "Negative\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, trafficFile, "weight: 30", "weight: -30")}
		},
		wantErr: true,
	}, {
		name: "route file renamed: its traffic lost",
		msg:  "Tidy traffic/\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			c := edit(t, repo, trafficFile, "", "")
			c.Path = "traffic/routes/playlist-api.yaml"
			return []gitstore.Change{{Path: trafficFile, Delete: true}, c}
		},
		want: []check.Violation{{Rule: 1, Workload: "playlist-api", File: trafficFile,
			Message: "playlist-api: the change loses track of its traffic: its weights (gke-eu-1=70, gke-us-1=30) were here and the head has none for it, while it still runs on gke-eu-1, gke-us-1; ferry would take it for a workload without traffic"},
			{Rule: 2, Workload: "playlist-api", File: "traffic/routes/playlist-api.yaml", Line: 25,
				Message: "playlist-api: this route sends it traffic (gke-eu-1=70, gke-us-1=30) outside its traffic file traffic/playlist-api.yaml; ferry shifts and checks only the weights there: put its backends in that file"}},
	}, {
		name: "destination changed under traffic",
		msg:  "us-1 has a new API server\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, appsetFile, "url: https://10.30.0.1", "url: https://10.99.0.1")}
		},
		want: []check.Violation{{Rule: 4, Workload: "playlist-api", File: appsetFile, Line: 18,
			Message: "playlist-api: the registration on gke-us-1 changes while its weight is 30, in a commit without ferry's seal; shift its traffic to 0 first"}},
	}, {
		name: "template path changed under traffic",
		msg:  "Overlays moved\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, appsetFile, "path: 'apps/playlist-api/overlays/{{.cluster}}'", "path: 'apps/playlist-api/envs/{{.cluster}}'")}
		},
		want: []check.Violation{
			{Rule: 4, Workload: "playlist-api", File: appsetFile, Line: 32,
				Message: "playlist-api: the registration on gke-eu-1 changes while its weight is 70, in a commit without ferry's seal; shift its traffic to 0 first"},
			{Rule: 4, Workload: "playlist-api", File: appsetFile, Line: 32,
				Message: "playlist-api: the registration on gke-us-1 changes while its weight is 30, in a commit without ferry's seal; shift its traffic to 0 first"}},
	}, {
		name: "a comment in the registration is not a change",
		msg:  "Explain us-1\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, appsetFile, "url: https://10.30.0.1", "url: https://10.30.0.1 # the new control plane")}
		},
	}, {
		name: "a second route sends traffic to a cluster without the workload",
		msg:  "Canary on eu-2\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{{Path: "traffic/canary/playlist-api-canary.yaml", Data: []byte(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: playlist-api-canary
spec:
  hostnames: ["canary.playlists.music.example.com"]
  rules:
    - backendRefs:
        - group: net.gke.io
          kind: ServiceImport
          name: playlist-api-gke-eu-2
          port: 80
          weight: 10
`)}}
		},
		want: []check.Violation{{Rule: 2, Workload: "playlist-api", File: "traffic/canary/playlist-api-canary.yaml", Line: 11,
			Message: "playlist-api: this route sends it traffic (gke-eu-2=10) outside its traffic file traffic/playlist-api.yaml; ferry shifts and checks only the weights there: put its backends in that file"}},
	}, {
		name: "pin marker added by hand",
		msg:  "Pin it myself\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, "apps/playlist-api/base/kustomization.yaml", "", pinMarker)}
		},
		want: []check.Violation{{Rule: 5, Workload: "playlist-api", File: "apps/playlist-api/base/kustomization.yaml", Line: 1,
			Message: "playlist-api: pinned by migration eu-1-to-eu-2 in a commit without ferry's seal and the trailers Ferry-Migration: eu-1-to-eu-2 and Ferry-Workload: playlist-api"}},
	}, {
		name: "pin moved in ferry.yaml while pinned",
		prepare: func(t *testing.T, repo *gitstore.Store) {
			commit(t, repo, "ferry(eu-1-to-eu-2): playlist-api: pin"+trailers,
				edit(t, repo, "apps/playlist-api/base/kustomization.yaml", "", pinMarker))
		},
		msg: "Pin files live with the overlays now\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, "ferry.yaml", "pin: apps/{workload}/base/kustomization.yaml", "pin: apps/{workload}/kustomization.yaml")}
		},
		want: []check.Violation{{Rule: 5, Workload: "playlist-api", File: "ferry.yaml", Line: 8,
			Message: "playlist-api: unpinned by migration eu-1-to-eu-2 in a commit without ferry's seal and the trailers Ferry-Migration: eu-1-to-eu-2 and Ferry-Workload: playlist-api"}},
	}, {
		name: "migration deleted while it pins",
		prepare: func(t *testing.T, repo *gitstore.Store) {
			commit(t, repo, "ferry(eu-1-to-eu-2): playlist-api: pin"+trailers,
				edit(t, repo, "apps/playlist-api/base/kustomization.yaml", "", pinMarker))
		},
		msg: "Drop the migration\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{{Path: "migrations/eu-1-to-eu-2.yaml", Delete: true}}
		},
		want: []check.Violation{{Rule: 5, Workload: "playlist-api", File: "migrations/eu-1-to-eu-2.yaml",
			Message: "playlist-api: migration eu-1-to-eu-2 is removed while it pins the workload; abort it (spec.abort) and let it unpin first"}},
	}, {
		name: "bad YAML",
		msg:  "Oops\n",
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, appsetFile, "kind: ApplicationSet", "kind: [ApplicationSet")}
		},
		wantErr: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fixtureRepo(t, fixtures.AppSetHTTPRoute)
			if tt.prepare != nil {
				tt.prepare(t, repo)
			}
			base, head := commit(t, repo, tt.msg, tt.change(t, repo)...)
			got, err := check.Change(t.Context(), repo, base, head, render.New())
			if tt.wantErr {
				if ie := (*gitops.InputError)(nil); !errors.As(err, &ie) {
					t.Fatalf("Change error = %v, want a *gitops.InputError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// A build error's message is kustomize's: compare its start.
			for i := range got {
				if got[i].Rule == check.RuleBuilds && strings.Contains(got[i].Message, "no longer builds") {
					got[i].Message = ""
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Change mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// clock is a virtual clock the test moves.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// migrate runs the fixture's migration to the end with the local bot, as
// bot's TestLocalMigrationToTheEnd does, and returns the repo.
func migrate(t *testing.T, name string) *gitstore.Store {
	t.Helper()
	repo := fixtureRepo(t, name)
	clk := &clock{t: epoch}
	forge := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
	b, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		rep, err := b.Run(ctx, false)
		if err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
		approve(t, repo, forge)
		if rep.Plan.Finished() {
			return repo
		}
		clk.t = clk.t.Add(31 * time.Minute)
	}
	t.Fatalf("the migration of %s did not finish", name)
	return nil
}

// approve merges every open pull request, for repos whose config turns
// auto-merge off.
func approve(t *testing.T, repo *gitstore.Store, forge *bot.Local) {
	t.Helper()
	prs, err := forge.PullRequests(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range prs {
		c, err := repo.CommitObject(pr.Head)
		if err != nil {
			t.Fatal(err)
		}
		_, err = forge.Merge(t.Context(), &pr, pr.Head, bot.Message{Subject: strings.TrimSuffix(c.Message, "\n")})
		if err != nil && !errors.Is(err, gitstore.ErrRefMoved) {
			t.Fatalf("approve %s: %v", pr.Branch, err)
		}
	}
}

// TestHistoryOfMigrations checks that every stage commit the planner makes
// keeps the invariants, on every fixture.
func TestHistoryOfMigrations(t *testing.T) {
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			repo := migrate(t, name)
			head, err := repo.Resolve("main")
			if err != nil {
				t.Fatal(err)
			}
			commits, err := check.FirstParents(t.Context(), repo, plumbing.ZeroHash, head)
			if err != nil {
				t.Fatal(err)
			}
			if len(commits) < 5 {
				t.Fatalf("the migration made %d commits, want a whole migration", len(commits))
			}
			start := time.Now()
			f, err := check.History(t.Context(), repo, plumbing.ZeroHash, head, render.New())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("History of %d commits: %v", len(commits), time.Since(start))
			if f != nil {
				t.Errorf("History: commit %s %q breaks invariants: %v", f.Commit, f.Subject, f.Violations)
			}
		})
	}
}

// TestHistoryFindsTheBadCommit checks that History returns the first
// violating commit, and that since bounds the walk.
func TestHistoryFindsTheBadCommit(t *testing.T) {
	repo := fixtureRepo(t, fixtures.AppSetHTTPRoute)
	root, _ := repo.Resolve("main")
	_, bad := commit(t, repo, "Send some traffic to eu-2\n", edit(t, repo, trafficFile, usBackend, eu2Backend))
	_, head := commit(t, repo, "Unrelated\n", gitstore.Change{Path: "README.md", Data: []byte("hello\n")})

	f, err := check.History(t.Context(), repo, plumbing.ZeroHash, head, render.New())
	if err != nil {
		t.Fatal(err)
	}
	if f == nil || f.Commit != bad || f.Subject != "Send some traffic to eu-2" || len(f.Violations) != 1 || f.Violations[0].Rule != check.RuleServes {
		t.Fatalf("History = %+v, want commit %s with one rule 2 violation", f, bad)
	}
	if f, err := check.History(t.Context(), repo, bad, head, render.New()); err != nil || f != nil {
		t.Errorf("History since the bad commit = %+v, %v; want nil, nil", f, err)
	}
	if f, err := check.History(t.Context(), repo, plumbing.ZeroHash, root, render.New()); err != nil || f != nil {
		t.Errorf("History of the root commit = %+v, %v; want nil, nil", f, err)
	}
}

// TestChangeOfPullRequestMerge checks a change as GitHub Actions sees a pull
// request: HEAD is GitHub's merge commit ("Merge X into Y"), and the
// trailers are on the pull request's own commit, its second parent.
func TestChangeOfPullRequestMerge(t *testing.T) {
	repo := fixtureRepo(t, fixtures.AppSetHTTPRoute)
	_, base := commit(t, repo, "ferry(eu-1-to-eu-2): playlist-api: pin"+trailers,
		edit(t, repo, "apps/playlist-api/base/kustomization.yaml", "", pinMarker))
	ch := edit(t, repo, trafficFile, "weight: 70", "weight: 60", "weight: 30", "weight: 40")
	key, err := repo.SealKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		msg  string
		seal bool // as ferry seals its commits
		want int  // violations
	}{
		{msg: "Shift" + strings.Replace(trailers, "pin", "shift-40", 1), seal: true, want: 0},
		{msg: "Shift with copied trailers" + strings.Replace(trailers, "pin", "shift-40", 1), want: 1},
		{msg: "Shift by hand\n", want: 1},
	} {
		pr, err := repo.Commit(t.Context(), base, []gitstore.Change{ch}, gitstore.CommitMeta{Author: author, Message: tt.msg})
		if err != nil {
			t.Fatal(err)
		}
		prc, err := repo.CommitObject(pr)
		if err != nil {
			t.Fatal(err)
		}
		if tt.seal {
			msg := convention.WithSeal(tt.msg, convention.Seal(key, base.String(), prc.TreeHash.String(), tt.msg)) + "\n"
			if pr, err = repo.CommitTree(t.Context(), prc.TreeHash, prc.ParentHashes, gitstore.CommitMeta{Author: author, Message: msg}); err != nil {
				t.Fatal(err)
			}
		}
		merge, err := repo.CommitTree(t.Context(), prc.TreeHash, []plumbing.Hash{base, pr}, gitstore.CommitMeta{Author: author, Message: "Merge " + pr.String() + " into " + base.String() + "\n"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := check.Change(t.Context(), repo, base, merge, render.New())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want || tt.want > 0 && got[0].Rule != check.RulePin {
			t.Errorf("Change of a merge of %q = %v, want %d rule 5 violations", tt.msg, got, tt.want)
		}
	}
}

// TestChangeBreaksWhatIncludesIt: a change that leaves the files it
// touches valid but breaks a kustomization that reads them, or a Flux
// Kustomization that applies them, violates rule 6 at the line that
// refers to them.
func TestChangeBreaksWhatIncludesIt(t *testing.T) {
	parent := "argocd/clusters/gke-eu-1/kustomization.yaml"
	tests := []struct {
		name    string
		fixture string
		change  func(t *testing.T, repo *gitstore.Store) []gitstore.Change
		want    []check.Violation
	}{{
		name:    "registration removed, its parent list still names it",
		fixture: fixtures.AppOfApps,
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{{Path: "argocd/clusters/gke-eu-1/apps/order-worker.yaml", Delete: true}}
		},
		want: []check.Violation{{Rule: 6, Workload: "order-worker", File: parent, Line: 9}},
	}, {
		name:    "shared component broken",
		fixture: fixtures.AppOfApps,
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{edit(t, repo, "components/observability/kustomization.yaml", "scrape.yaml", "scrape-v2.yaml")}
		},
		want: []check.Violation{
			{Rule: 6, Workload: "checkout-api", File: "apps/checkout-api/overlays/gke-eu-1/kustomization.yaml", Line: 11},
			{Rule: 6, Workload: "checkout-api", File: "apps/checkout-api/overlays/gke-us-1/kustomization.yaml", Line: 11},
		},
	}, {
		name:    "overlay removed, its Flux Kustomization still applies it",
		fixture: fixtures.FluxExternalDNS,
		change: func(t *testing.T, repo *gitstore.Store) []gitstore.Change {
			return []gitstore.Change{{Path: "apps/payments-worker/overlays/gke-eu-1/kustomization.yaml", Delete: true}}
		},
		want: []check.Violation{{Rule: 6, Workload: "payments-worker", File: "clusters/gke-eu-1/apps/payments-worker.yaml", Line: 12,
			Message: "payments-worker: Kustomization payments-worker-gke-eu-1 applies apps/payments-worker/overlays/gke-eu-1, which the change removes"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fixtureRepo(t, tt.fixture)
			base, head := commit(t, repo, "A change\n", tt.change(t, repo)...)
			got, err := check.Change(t.Context(), repo, base, head, render.New())
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if strings.Contains(got[i].Message, "no longer builds") {
					got[i].Message = ""
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Change mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
