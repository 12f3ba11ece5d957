package gitstore

import (
	"errors"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
)

func TestLog(t *testing.T) {
	r := newMemRepo(t)
	commit := func(msg string, parents ...plumbing.Hash) plumbing.Hash {
		return writeCommit(t, r.s, writeFiles(t, r.s, map[string]file{"f": {data: msg}}), msg, parents...)
	}
	c1 := commit("c1")
	c2 := commit("c2", c1)
	s1 := commit("s1", c1)
	s2 := commit("s2", s1)
	m := commit("merge", c2, s2) // first parent: the branch merged into
	c3 := commit("c3", m)

	subjects := func(from plumbing.Hash, stopAfter int) ([]string, error) {
		var got []string
		err := r.Log(t.Context(), from, func(c *object.Commit) error {
			got = append(got, c.Message)
			if len(got) == stopAfter {
				return ErrStop
			}
			return nil
		})
		return got, err
	}
	tests := []struct {
		name      string
		from      plumbing.Hash
		stopAfter int
		want      []string
	}{
		{"first parents through the merge", c3, 0, []string{"c3", "merge", "c2", "c1"}},
		{"stop early", c3, 2, []string{"c3", "merge"}},
		{"from the side branch", s2, 0, []string{"s2", "s1", "c1"}},
		{"root", c1, 0, []string{"c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subjects(tt.from, tt.stopAfter)
			if err != nil {
				t.Fatalf("Log: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Log mismatch (-want +got):\n%s", diff)
			}
		})
	}

	boom := errors.New("boom")
	if err := r.Log(t.Context(), c3, func(*object.Commit) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Log error = %v, want the callback's error", err)
	}
	if err := r.Log(t.Context(), plumbing.NewHash("0123456789012345678901234567890123456789"), func(*object.Commit) error { return nil }); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("Log from a missing commit: error = %v, want plumbing.ErrObjectNotFound", err)
	}
}
