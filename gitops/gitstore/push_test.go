package gitstore

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"
)

// countingStorer counts the commits read through it.
type countingStorer struct {
	storage.Storer
	commits int
}

func (s *countingStorer) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if t == plumbing.CommitObject {
		s.commits++
	}
	return s.Storer.EncodedObject(t, h)
}

// historyRemote returns a remote whose main has n commits over the base,
// each changing one of ten apps, and main's tip.
func historyRemote(t testing.TB, n int) (string, plumbing.Hash) {
	t.Helper()
	url, base := newRemote(t)
	w, err := Clone(t.Context(), url, CloneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head := base
	for i := range n {
		ch := []Change{{Path: fmt.Sprintf("apps/a%d/deploy.yaml", i%10), Data: fmt.Appendf(nil, "replicas: %d\n", i)}}
		if head, err = w.Commit(t.Context(), head, ch, meta(fmt.Sprintf("change %d\n", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Push(t.Context(), url, nil, "main", base, head); err != nil {
		t.Fatal(err)
	}
	return url, head
}

// cloneAndCommit clones url and commits a change of path on head.
func cloneAndCommit(t *testing.T, url string, head plumbing.Hash, path string) (*Store, plumbing.Hash) {
	t.Helper()
	r, err := Clone(t.Context(), url, CloneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(t.Context(), head, []Change{{Path: path, Data: []byte("pinned\n")}}, meta("pin\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

// TestPushSendsOnlyWhatIsNew: a commit on the remote's tip is sent as the
// commit, the trees on the changed path and the blob, and finding them
// reads the commits it touches, however long the history behind it.
func TestPushSendsOnlyWhatIsNew(t *testing.T) {
	url, head := historyRemote(t, 200)
	r, c := cloneAndCommit(t, url, head, "apps/a1/deploy.yaml")
	counted := &countingStorer{Storer: r.s}
	got, err := (&Store{s: counted}).missing(c, []plumbing.Hash{head})
	if err != nil {
		t.Fatal(err)
	}
	want := []plumbing.Hash{c}
	for _, p := range []string{"", "apps", "apps/a1", "apps/a1/deploy.yaml"} {
		want = append(want, hashAt(t, r, c, p))
	}
	slices.SortFunc(got, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	slices.SortFunc(want, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	if !slices.Equal(got, want) {
		t.Errorf("missing = %v, want the commit, its three trees on the path and the blob %v", got, want)
	}
	if counted.commits > 4 {
		t.Errorf("missing read %d commits for one on the remote's tip (history: 200)", counted.commits)
	}
	if err := r.Push(t.Context(), url, nil, "ferry/m/w/pin", plumbing.ZeroHash, c); err != nil {
		t.Fatal(err)
	}
	fsck(t, url)
}

// hashAt returns the object at path in commit's tree ("": the root tree).
func hashAt(t *testing.T, r *Store, commit plumbing.Hash, path string) plumbing.Hash {
	t.Helper()
	c, err := r.CommitObject(commit)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		return tree.Hash
	}
	e, err := tree.FindEntry(path)
	if err != nil {
		t.Fatal(err)
	}
	return e.Hash
}

// TestPushShapes pushes commits of every shape to git's own receive-pack,
// which refuses a pack that leaves out an object the new ref needs, and
// then checks the remote with git fsck.
func TestPushShapes(t *testing.T) {
	requireGit(t)
	url, head := historyRemote(t, 50)
	ctx := t.Context()
	clone := func(o CloneOptions) *Store {
		t.Helper()
		r, err := Clone(ctx, url, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	commit := func(r *Store, parent plumbing.Hash, path, data string) plumbing.Hash {
		t.Helper()
		c, err := r.Commit(ctx, parent, []Change{{Path: path, Data: []byte(data)}}, meta(path+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	stale := clone(CloneOptions{})
	shallow := clone(CloneOptions{Branch: "main", Depth: 1})
	// main moves on after the two clones: neither has its tip.
	mover := clone(CloneOptions{})
	moved := commit(mover, head, "apps/a3/deploy.yaml", "moved\n")
	if err := mover.Push(ctx, url, nil, "main", head, moved); err != nil {
		t.Fatal(err)
	}

	fresh := clone(CloneOptions{})
	side := commit(fresh, moved, "apps/new/deploy.yaml", "new\n")
	merge := writeCommit(t, fresh.s, hashAt(t, fresh, commit(fresh, moved, "apps/a4/deploy.yaml", "merged\n"), ""), "merge\n", moved, side)
	root := writeCommit(t, fresh.s, writeFiles(t, fresh.s, map[string]file{"only/file": {data: "alone\n"}}), "root\n")
	revert := commit(fresh, moved, "apps/a3/deploy.yaml", "replicas: 43\n") // a blob the remote has

	for _, p := range []struct {
		name   string
		from   *Store
		commit plumbing.Hash
	}{
		{"on a base main has moved past", stale, commit(stale, head, "apps/a1/deploy.yaml", "stale\n")},
		{"from a shallow clone", shallow, commit(shallow, head, "apps/deep/er/deploy.yaml", "shallow\n")},
		{"a merge", fresh, merge},
		{"a new root", fresh, root},
		{"back to content the remote has", fresh, revert},
	} {
		branch := "ferry/" + strings.ReplaceAll(p.name, " ", "-")
		if err := p.from.Push(ctx, url, nil, branch, plumbing.ZeroHash, p.commit); err != nil {
			t.Errorf("%s: %v", p.name, err)
			continue
		}
		if got := remoteAt(t, url, branch); got != p.commit {
			t.Errorf("%s: remote branch at %s, want %s", p.name, got, p.commit)
		}
	}
	fsck(t, url)
}

// fsck runs git fsck on the repo at dir: every object of every ref is there.
func fsck(t *testing.T, dir string) {
	t.Helper()
	requireGit(t)
	gitCLI(t, dir, "fsck", "--no-dangling", "--connectivity-only")
}

// TestPushCountsWhatItFetched: when the remote's main has moved past the
// commit a branch is made on, the repo's remote-tracking refs of that
// remote still say what the remote has, and only the new commit is sent.
func TestPushCountsWhatItFetched(t *testing.T) {
	url, head := historyRemote(t, 20)
	r, c := cloneAndCommit(t, url, head, "pin")
	tracked, err := r.trackedFrom(url)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tracked, head) {
		t.Fatalf("trackedFrom(%s) = %v, want origin/main's %s", url, tracked, head)
	}
	if other, _ := r.trackedFrom(url + "-elsewhere"); len(other) != 0 {
		t.Errorf("trackedFrom another URL = %v, want none", other)
	}
	// The remote advertises nothing this repo has (its main moved on).
	got, err := r.missing(c, append([]plumbing.Hash{plumbing.NewHash("1234")}, tracked...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 { // the commit, the root tree, the blob
		t.Errorf("missing sent %d objects, want 3", len(got))
	}
}
