package gitstore

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestFetch(t *testing.T) {
	url, base := newRemote(t)
	local, err := Clone(t.Context(), url, CloneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	remote := newMemRepoFrom(t, url)
	// The remote's main moves on twice, the second time not as a
	// fast-forward of what the clone saw.
	next, err := remote.Commit(t.Context(), base, []Change{{Path: "next", Data: []byte("1")}}, meta("next\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.UpdateRef("refs/heads/main", base, next); err != nil {
		t.Fatal(err)
	}
	other, err := remote.Commit(t.Context(), base, []Change{{Path: "other", Data: []byte("2")}}, meta("other\n"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		to   plumbing.Hash
	}{
		{"fast-forward", next},
		{"up to date", next},
		{"forced", other},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if at := remoteAt(t, url, "main"); at != s.to {
				if err := remote.UpdateRef("refs/heads/main", at, s.to); err != nil {
					t.Fatal(err)
				}
			}
			if err := local.Fetch(t.Context(), url, nil, "main"); err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			got, err := local.Resolve("refs/heads/main")
			if err != nil || got != s.to {
				t.Errorf("main = %s, %v, want %s", got, err, s.to)
			}
			if _, err := local.FS(got); err != nil {
				t.Errorf("FS(%s): %v", got, err)
			}
		})
	}
	if err := local.Fetch(t.Context(), url, nil, "no-such-branch"); err == nil {
		t.Error("Fetch of a missing branch: no error")
	}
}
