package history_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot/history"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// newHistory makes a repo whose history lands the given messages, one
// commit each, 30 minutes apart.
func newHistory(t *testing.T, msgs ...string) (*gitstore.Store, plumbing.Hash) {
	t.Helper()
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var head plumbing.Hash
	for i, msg := range msgs {
		sig := object.Signature{Name: "ferry[bot]", Email: "bot@example.com", When: epoch.Add(time.Duration(i) * 30 * time.Minute)}
		head, err = repo.Commit(t.Context(), head, []gitstore.Change{{Path: "log.txt", Data: []byte(strings.Repeat("x", i+1))}},
			gitstore.CommitMeta{Author: sig, Message: msg})
		if err != nil {
			t.Fatal(err)
		}
	}
	return repo, head
}

func stage(workload, stage string) string {
	return "ferry(eu): " + workload + ": " + stage + "\n\nFerry-Migration: eu\nFerry-Workload: " + workload + "\nFerry-Stage: " + stage + "\n"
}

func TestRead(t *testing.T) {
	repo, head := newHistory(t, "Deployment repo\n", stage("api", "pin"), stage("worker", "pin"), "Unrelated\n", stage("api", "deploy"), stage("api", "shift-50"))
	tests := []struct {
		name   string
		filter history.Filter
		want   string
	}{{
		name: "all",
		want: `gantt
    title ferry migration eu
    dateFormat YYYY-MM-DDTHH:mm:ss
    axisFormat %m-%d %H:%M
    section api
    pin :2026-11-02T09:30:00, 2026-11-02T11:00:00
    deploy :2026-11-02T11:00:00, 2026-11-02T11:30:00
    shift-50 :milestone, 2026-11-02T11:30:00, 0d
    section worker
    pin :milestone, 2026-11-02T10:00:00, 0d
`,
	}, {
		name:   "one workload",
		filter: history.Filter{Workload: "worker"},
		want: `gantt
    title ferry migration eu
    dateFormat YYYY-MM-DDTHH:mm:ss
    axisFormat %m-%d %H:%M
    section worker
    pin :milestone, 2026-11-02T10:00:00, 0d
`,
	}, {
		name:   "another migration",
		filter: history.Filter{Migration: "us"},
		want: `gantt
    title ferry migrations
    dateFormat YYYY-MM-DDTHH:mm:ss
    axisFormat %m-%d %H:%M
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			migs, err := history.Read(t.Context(), repo, head, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			if err := history.WriteMermaid(&sb, migs); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sb.String()); diff != "" {
				t.Errorf("WriteMermaid(Read(%+v)) mismatch (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
}
