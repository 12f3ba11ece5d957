package github_test

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot/github"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/planner"
)

func TestStatuses(t *testing.T) {
	const ctxName = "argocd/playlist-api-gke-eu-2"
	type report struct {
		check             bool // a check run, not a status
		state, conclusion string
		onHead, otherCtxt bool
		by                string // who posts it; fake.Reporter (the trusted App) when empty
	}
	tests := []struct {
		name    string
		reports []report
		ref     string
		want    planner.Health
	}{
		{"nothing", nil, "", planner.Unknown},
		{"success", []report{{state: "success"}}, "", planner.Healthy},
		{"pending", []report{{state: "pending"}}, "", planner.Progressing},
		{"failure", []report{{state: "failure"}}, "", planner.Degraded},
		{"error", []report{{state: "error"}}, "", planner.Degraded},
		{"the newest status counts", []report{{state: "pending"}, {state: "success"}}, "", planner.Healthy},
		{"a failure after success", []report{{state: "success"}, {state: "failure"}}, "", planner.Degraded},
		{"another context does not count", []report{{state: "success", otherCtxt: true}}, "", planner.Unknown},
		{"check run success", []report{{check: true, state: "completed", conclusion: "success"}}, "", planner.Healthy},
		{"check run in progress", []report{{check: true, state: "in_progress"}}, "", planner.Progressing},
		{"check run failure", []report{{check: true, state: "completed", conclusion: "failure"}}, "", planner.Degraded},
		{"a status wins over a check run", []report{{state: "pending"}, {check: true, state: "completed", conclusion: "success"}}, "", planner.Progressing},
		{"a later commit of the base answers", []report{{state: "success", onHead: true}}, "main", planner.Healthy},
		{"without Ref, a later commit does not", []report{{state: "success", onHead: true}}, "", planner.Unknown},
		// Anyone who can push can post a status of any context: only the
		// reporters ferry.yaml names count.
		{"a person's success does not count", []report{{state: "success", by: "mallory"}}, "", planner.Unknown},
		{"another App's success does not count", []report{{state: "success", by: "some-ci[bot]"}}, "", planner.Unknown},
		{"a person's success over the reporter's failure", []report{{state: "failure"}, {state: "success", by: "mallory"}}, "", planner.Degraded},
		{"another App's check run does not count", []report{{check: true, state: "completed", conclusion: "success", by: "some-ci"}}, "", planner.Unknown},
		{"a person's success on the base does not count", []report{{state: "success", onHead: true, by: "mallory"}}, "main", planner.Unknown},
	}
	e := setup(t, fake.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case gets its own commit on main, and main moves on.
			c := plumbing.NewHash(e.srv.CommitAs("main", map[string]string{"case": tt.name}, "case\n"))
			head := plumbing.NewHash(e.srv.CommitAs("main", map[string]string{"later": tt.name}, "later\n"))
			for _, r := range tt.reports {
				at, name := c, ctxName
				if r.onHead {
					at = head
				}
				if r.otherCtxt {
					name = "argocd/search-api-gke-eu-2"
				}
				switch {
				case r.check && r.by != "":
					e.srv.PostCheckRunAs(r.by, at.String(), name, r.state, r.conclusion)
				case r.check:
					e.srv.PostCheckRun(at.String(), name, r.state, r.conclusion)
				case r.by != "":
					e.srv.PostStatusAs(r.by, at.String(), name, r.state)
				default:
					e.srv.PostStatus(at.String(), name, r.state)
				}
			}
			s := &github.Statuses{Client: e.forge.Client(), Owner: e.srv.Owner(), Repo: e.srv.Repo(), Ref: tt.ref, Reporters: []string{fake.Reporter},
				Context: func(w, c string) string { return "argocd/" + w + "-" + c }}
			got, err := s.Observe(t.Context(), "playlist-api", "gke-eu-2", c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Observe = %v, want %v", got, tt.want)
			}
		})
	}
}
