package github_test

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	ferrygh "github.com/ferry-dev/ferry/bot/github"
	fake "github.com/ferry-dev/ferry/fixtures/github"
)

// TestMergeQueue: on a base branch that requires a merge queue, ferry
// enqueues its own head instead of merging or enabling auto-merge, once,
// and a later run finds the stage merged by the queue.
func TestMergeQueue(t *testing.T) {
	e := setup(t, fake.Options{MergeQueue: &fake.MergeQueue{}, RequiredContexts: []string{"ferry check"}})
	ctx := t.Context()
	pr, c := e.propose(t, "ferry/m/w/pin")
	msg := bot.Message{Subject: "ferry(m): w: pin", Body: "Ferry-Migration: m\nFerry-Workload: w\nFerry-Stage: pin"}

	// The check has not run on the pull request: not ready to queue, and
	// no write spent on an enqueue GitHub would refuse.
	writes, _ := e.srv.Writes()
	if merged, err := e.forge.Merge(ctx, pr, c, msg); err != nil || merged {
		t.Fatalf("Merge before the check = %v, %v; want waiting", merged, err)
	}
	if again, _ := e.srv.Writes(); again != writes {
		t.Errorf("Merge before the check made %d writes, want none", again-writes)
	}
	if e.srv.PR(pr.Number).AutoMerge != nil {
		t.Error("auto-merge enabled on a merge queue's branch")
	}
	e.srv.PostStatus(c.String(), "ferry check", "success") // on pull_request
	for range 2 {                                          // the second finds it queued
		if merged, err := e.forge.Merge(ctx, pr, c, msg); err != nil || merged {
			t.Fatalf("Merge = %v, %v; want queued, not merged", merged, err)
		}
	}
	groups := e.srv.MergeGroups()
	group, ok := groups[pr.Number]
	if !ok {
		t.Fatalf("merge groups %v: #%d not being tested", groups, pr.Number)
	}
	e.srv.PostStatus(group, "ferry check", "success") // on merge_group
	got := e.srv.PR(pr.Number)
	if !got.Merged || got.MergeCommitSHA != group {
		t.Fatalf("after the group's check: merged %v at %s, want the group %s", got.Merged, got.MergeCommitSHA, group)
	}
	if merged, err := e.forge.Merge(ctx, pr, c, msg); err != nil || !merged {
		t.Fatalf("Merge of the queued-and-merged pull request = %v, %v; want merged", merged, err)
	}
	if at, err := e.repo.Resolve("refs/heads/main"); err != nil || at.String() != group {
		t.Errorf("local main = %s, %v; want the group %s", at, err, group)
	}

	var enqueues, autoMerges, merges int
	for _, op := range e.srv.GraphQLOps() {
		switch op {
		case "mutation enqueuePullRequest":
			enqueues++
		case "mutation enablePullRequestAutoMerge":
			autoMerges++
		}
	}
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r, "/merge") && strings.HasPrefix(r, "PUT ") {
			merges++
		}
	}
	// One enqueue: none before the check passed, none from the run that
	// found the pull request queued.
	if enqueues != 1 || autoMerges != 0 || merges != 0 {
		t.Errorf("%d enqueues, %d auto-merges, %d REST merges; want 1, 0, 0", enqueues, autoMerges, merges)
	}
}

// TestMergeQueueMovedHead: ferry enqueues only the head it sealed.
func TestMergeQueueMovedHead(t *testing.T) {
	e := setup(t, fake.Options{MergeQueue: &fake.MergeQueue{}})
	ctx := t.Context()
	pr, _ := e.propose(t, "ferry/m/w/pin")
	other := plumbing.NewHash(strings.Repeat("1", 40))
	_, err := e.forge.Merge(ctx, pr, other, bot.Message{Subject: "s"})
	if _, ok := err.(*ferrygh.HeadMovedError); !ok {
		t.Fatalf("Merge for another head: %v, want HeadMovedError", err)
	}
	if p := e.srv.PR(pr.Number); p.Merged {
		t.Error("merged a head ferry did not ask for")
	}
}

// TestMergeQueueThatSquashes: a queue that squashes would land commits
// without ferry's seal; ferry says so instead of queueing.
func TestMergeQueueThatSquashes(t *testing.T) {
	e := setup(t, fake.Options{MergeQueue: &fake.MergeQueue{Method: "squash"}})
	ctx := t.Context()
	pr, c := e.propose(t, "ferry/m/w/pin")
	_, err := e.forge.Merge(ctx, pr, c, bot.Message{Subject: "s"})
	if err == nil || !strings.Contains(err.Error(), "merge queue of main squashes") {
		t.Fatalf("Merge on a squashing queue: %v, want an error naming it", err)
	}
	if len(e.srv.MergeGroups()) != 0 || e.srv.PR(pr.Number).Merged {
		t.Error("queued on a squashing queue")
	}
}

// TestMigrationThroughMergeQueue runs a whole migration on a repo whose
// main requires a merge queue and the ferry check: CI posts the check on
// each pull request and on each merge group, as the check workflow does
// on pull_request and merge_group. Every stage lands as the queue's merge
// commit, and main's history keeps the invariants.
func TestMigrationThroughMergeQueue(t *testing.T) {
	e := setup(t, fake.Options{MergeQueue: &fake.MergeQueue{}, RequiredContexts: []string{"ferry check"}})
	// CI: the check on each open pull request, and on each merge group.
	e.toTheEnd(t, 80, func() {
		for _, p := range e.srv.PRs() {
			if p.State == "open" {
				e.srv.PostStatus(p.HeadSHA, "ferry check", "success")
			}
		}
		for range 100 {
			groups := e.srv.MergeGroups()
			if len(groups) == 0 {
				return
			}
			for _, g := range groups {
				e.srv.PostStatus(g, "ferry check", "success")
			}
		}
	})
	merged := 0
	for _, p := range e.srv.PRs() {
		if p.Merged {
			merged++
			if p.MergeMethod != "merge" {
				t.Errorf("#%d merged by %s, want the queue's merge", p.Number, p.MergeMethod)
			}
		}
	}
	if merged == 0 {
		t.Fatal("nothing merged")
	}
	for _, r := range e.srv.Requests() {
		if strings.HasPrefix(r, "PUT ") && strings.HasSuffix(r, "/merge") {
			t.Errorf("a REST merge on a merge queue's branch: %s", r)
		}
	}
	e.verifyMain(t)
	t.Logf("%d stages merged through the queue", merged)
}
