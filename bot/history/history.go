// Package history reads the timeline of each migration back from a branch's
// history: every commit ferry lands carries the trailers Ferry-Migration,
// Ferry-Workload and Ferry-Stage (DESIGN.md section 4), so the first-parent
// history says which stage of which workload landed when, and by whom.
package history

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// Step is one stage of one workload, as it landed on the branch.
type Step struct {
	Stage   string // the Ferry-Stage trailer: pin, deploy, shift-50, ...
	Commit  plumbing.Hash
	Time    time.Time // when the commit landed (committer time), UTC
	Author  object.Signature
	Subject string
}

// Track is the timeline of one workload in a migration, oldest first.
type Track struct {
	Name  string
	Steps []Step
}

// Timeline is the timeline of one migration: its workloads by name.
type Timeline struct {
	Name      string
	Workloads []Track
}

// Filter selects what Read returns. The zero value selects everything.
type Filter struct {
	Migration string
	Workload  string
}

// Read walks head's first-parent history and returns the timeline of each
// migration found in the trailers, sorted by name, each workload's steps
// oldest first. A commit for several workloads (a comma-separated or
// repeated Ferry-Workload trailer) is a step of each.
func Read(ctx context.Context, repo *gitstore.Store, head plumbing.Hash, f Filter) ([]Timeline, error) {
	byMig := map[string]map[string][]Step{}
	err := repo.Log(ctx, head, func(c *object.Commit) error {
		t, ok := convention.ReadTrailers(c.Message)
		mig, stage := t.Migration, t.Stage
		if !ok || (f.Migration != "" && mig != f.Migration) {
			return nil
		}
		subject, _, _ := strings.Cut(c.Message, "\n")
		for _, w := range t.Workloads {
			if f.Workload != "" && w != f.Workload {
				continue
			}
			if byMig[mig] == nil {
				byMig[mig] = map[string][]Step{}
			}
			byMig[mig][w] = append(byMig[mig][w], Step{
				Stage: stage, Commit: c.Hash, Time: c.Committer.When.UTC(), Author: c.Author, Subject: subject,
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Timeline
	for name, ws := range byMig {
		m := Timeline{Name: name}
		for w, steps := range ws {
			slices.Reverse(steps) // Log is newest first
			m.Workloads = append(m.Workloads, Track{Name: w, Steps: steps})
		}
		slices.SortFunc(m.Workloads, func(a, b Track) int { return cmp.Compare(a.Name, b.Name) })
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Timeline) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// WriteMermaid writes the migrations as one Mermaid gantt chart, which
// GitHub renders in Markdown: a section per workload (per migration and
// workload when there are several migrations), a task per stage from its
// commit's time to the next stage's. The last stage of a workload is a
// milestone.
func WriteMermaid(w io.Writer, migs []Timeline) error {
	var b strings.Builder
	b.WriteString("gantt\n")
	title := "ferry migrations"
	if len(migs) == 1 {
		title = "ferry migration " + migs[0].Name
	}
	fmt.Fprintf(&b, "    title %s\n", mermaidText(title))
	b.WriteString("    dateFormat YYYY-MM-DDTHH:mm:ss\n")
	b.WriteString("    axisFormat %m-%d %H:%M\n")
	const layout = "2006-01-02T15:04:05"
	for _, m := range migs {
		for _, wl := range m.Workloads {
			section := wl.Name
			if len(migs) > 1 {
				section = m.Name + " / " + wl.Name
			}
			fmt.Fprintf(&b, "    section %s\n", mermaidText(section))
			for i, s := range wl.Steps {
				start := s.Time.UTC().Format(layout)
				if i+1 < len(wl.Steps) {
					end := wl.Steps[i+1].Time.UTC().Format(layout)
					fmt.Fprintf(&b, "    %s :%s, %s\n", mermaidText(s.Stage), start, end)
				} else {
					fmt.Fprintf(&b, "    %s :milestone, %s, 0d\n", mermaidText(s.Stage), start)
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText keeps a name from ending a task's name or a line early.
func mermaidText(s string) string {
	return strings.NewReplacer(":", " ", "#", " ", ";", " ", "\n", " ").Replace(s)
}
