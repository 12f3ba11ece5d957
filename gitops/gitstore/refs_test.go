package gitstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	r, base := newBaseRepo(t)
	next, err := r.Commit(t.Context(), base, []Change{{Path: "a", Data: []byte("a")}}, meta("next\n"))
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.UpdateRef("refs/heads/main", plumbing.ZeroHash, next))
	must(r.s.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main")))
	must(r.UpdateRef("refs/tags/v1", plumbing.ZeroHash, base))
	must(r.UpdateRef("refs/remotes/origin/main", plumbing.ZeroHash, base))
	tag, err := r.repo.CreateTag("v2", base, &git.CreateTagOptions{Tagger: &object.Signature{Name: "t", Email: "t@example.com", When: when}, Message: "v2"})
	must(err)
	if tag.Hash() == base {
		t.Fatal("annotated tag ref points at the commit, want the tag object")
	}

	tests := []struct {
		rev  string
		want plumbing.Hash
	}{
		{"HEAD", next},
		{"main", next},
		{"refs/heads/main", next},
		{"v1", base},
		{"v2", base}, // annotated: peeled to the commit
		{"origin/main", base},
		{base.String(), base},
		{"main~1", base},
		{"HEAD^", base},
		{"main~0", next},
		{"v2^0", base},
		{base.String()[:7], base}, // as ferry and git print it
		{next.String()[:12], next},
	}
	for _, tt := range tests {
		got, err := r.Resolve(tt.rev)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %s, %v, want %s", tt.rev, got, err, tt.want)
		}
	}
	for _, rev := range []string{"nope", "refs/heads/nope", "0123456789012345678901234567890123456789", "", "main~2", "main^2", "main~x", "0123456", base.String()[:3]} {
		if _, err := r.Resolve(rev); !errors.Is(err, ErrUnknownRevision) {
			t.Errorf("Resolve(%q) error = %v, want ErrUnknownRevision", rev, err)
		}
	}
}

func TestDefaultBranch(t *testing.T) {
	r, base := newBaseRepo(t)
	if err := r.UpdateRef("refs/heads/master", plumbing.ZeroHash, base); err != nil {
		t.Fatal(err)
	}
	if err := r.s.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/master")); err != nil {
		t.Fatal(err)
	}
	if got := r.DefaultBranch(); got != "master" {
		t.Errorf("DefaultBranch() with HEAD at master = %q, want master", got)
	}
	if err := r.s.SetReference(plumbing.NewSymbolicReference("refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")); err != nil {
		t.Fatal(err)
	}
	if got := r.DefaultBranch(); got != "trunk" {
		t.Errorf("DefaultBranch() with origin/HEAD at origin/trunk = %q, want trunk", got)
	}
}

func TestUpdateRef(t *testing.T) {
	const name = plumbing.ReferenceName("refs/heads/ferry/m/w/pin")
	r, base := newBaseRepo(t)
	c1, err := r.Commit(t.Context(), base, []Change{{Path: "a", Data: []byte("1")}}, meta("1\n"))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := r.Commit(t.Context(), base, []Change{{Path: "a", Data: []byte("2")}}, meta("2\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The steps run in order on one repo.
	steps := []struct {
		name     string
		old, new plumbing.Hash
		wantErr  error
		wantAt   plumbing.Hash
	}{
		{"create", plumbing.ZeroHash, base, nil, base},
		{"create again refused", plumbing.ZeroHash, c1, ErrRefMoved, base},
		{"move from the right place", base, c1, nil, c1},
		{"move from a stale place refused", base, c2, ErrRefMoved, c1},
		{"move again", c1, c2, nil, c2},
	}
	for _, s := range steps {
		err := r.UpdateRef(name, s.old, s.new)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: UpdateRef error = %v, want %v", s.name, err, s.wantErr)
		}
		ref, err := r.s.Reference(name)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Hash() != s.wantAt {
			t.Errorf("%s: ref at %s, want %s", s.name, ref.Hash(), s.wantAt)
		}
	}
	if err := r.UpdateRef("refs/heads/missing", base, c1); !errors.Is(err, ErrRefMoved) {
		t.Errorf("UpdateRef of a missing ref with an old hash: error = %v, want ErrRefMoved", err)
	}
	if _, err := r.s.Reference("refs/heads/missing"); !errors.Is(err, plumbing.ErrReferenceNotFound) {
		t.Errorf("refused UpdateRef created the ref: %v", err)
	}
	for _, bad := range []plumbing.ReferenceName{"HEAD", "main", "refs/heads/a..b"} {
		if err := r.UpdateRef(bad, plumbing.ZeroHash, c1); err == nil {
			t.Errorf("UpdateRef(%s): no error for a bad name", bad)
		}
	}
}

// newDiskRepo opens a new bare repository in a temporary folder.
func newDiskRepo(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r, dir
}

// TestUpdateRefOnDisk checks the same compare-and-swap on a filesystem
// repository, where refs are files.
func TestUpdateRefOnDisk(t *testing.T) {
	r, dir := newDiskRepo(t)
	c1, err := r.Commit(t.Context(), plumbing.ZeroHash, []Change{{Path: "a", Data: []byte("1")}}, meta("1\n"))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := r.Commit(t.Context(), c1, []Change{{Path: "a", Data: []byte("2")}}, meta("2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/main", plumbing.ZeroHash, c1); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/main", c2, c1); !errors.Is(err, ErrRefMoved) {
		t.Errorf("stale UpdateRef error = %v, want ErrRefMoved", err)
	}
	if err := r.UpdateRef("refs/heads/main", c1, c2); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Resolve("main"); err != nil || got != c2 {
		t.Errorf("Resolve(main) = %s, %v, want %s", got, err, c2)
	}

	// Another writer (git itself, or ferry in another process) holds the
	// ref's lock file: the swap fails instead of overwriting, and branch
	// listing does not take the lock file for a branch.
	lock := filepath.Join(dir, "refs", "heads", "main.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/main", c2, c1); !errors.Is(err, ErrRefMoved) {
		t.Errorf("UpdateRef with main.lock held: error = %v, want ErrRefMoved", err)
	}
	if err := os.WriteFile(lock, []byte(c1.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if bs, err := r.Branches(""); err != nil || len(bs) != 1 || bs["main"] != c2 {
		t.Errorf("Branches with main.lock present = %v, %v, want only main at %s", bs, err, c2)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/main", c2, c1); err != nil {
		t.Errorf("UpdateRef after the lock is gone: %v", err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the lock file stayed behind: %v", err)
	}
}

// A lock file a killed process left (empty, or holding the hash it was
// about to write) is removed once it is StaleLock old: when the repo is
// opened, when a ref it guards is changed, when branches are listed. A
// fresh one fails the change with a *LockError that names the file and
// the command that removes it.
func TestStaleLock(t *testing.T) {
	r, dir := newDiskRepo(t)
	c1, err := r.Commit(t.Context(), plumbing.ZeroHash, []Change{{Path: "a", Data: []byte("1")}}, meta("1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/main", plumbing.ZeroHash, c1); err != nil {
		t.Fatal(err)
	}
	c2, err := r.Commit(t.Context(), c1, []Change{{Path: "a", Data: []byte("2")}}, meta("2\n"))
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "refs", "heads", "main.lock")
	branchLock := filepath.Join(dir, "refs", "heads", "ferry", "m", "w", "pin.lock")
	old := time.Now().Add(-StaleLock - time.Minute)
	leave := func(name, content string, at time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, at, at); err != nil {
			t.Fatal(err)
		}
	}

	// Fresh: another writer may hold it.
	leave(lock, "", time.Now())
	err = r.UpdateRef("refs/heads/main", c1, c2)
	var le *LockError
	if !errors.As(err, &le) || !errors.Is(err, ErrRefMoved) || le.Path != lock || !strings.Contains(err.Error(), "rm "+lock) {
		t.Errorf("UpdateRef with a fresh lock: error = %v, want a *LockError for %s wrapping ErrRefMoved and saying rm", err, lock)
	}

	// Stale, empty: a killed process. UpdateRef takes it over.
	leave(lock, "", old)
	if err := r.UpdateRef("refs/heads/main", c1, c2); err != nil {
		t.Errorf("UpdateRef with a stale lock: %v", err)
	}

	// Stale, holding a hash, and an empty one below refs/heads/ferry:
	// opening the repo removes them, and the branches list again.
	leave(lock, c1.String()+"\n", old)
	leave(branchLock, "", old)
	r, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{lock, branchLock} {
		if _, err := os.Stat(l); !os.IsNotExist(err) {
			t.Errorf("%s is still there after Open: %v", l, err)
		}
	}
	if bs, err := r.Branches(""); err != nil || len(bs) != 1 || bs["main"] != c2 {
		t.Errorf("Branches = %v, %v, want only main at %s", bs, err, c2)
	}

	// An empty one left while this process runs: Branches recovers it.
	leave(branchLock, "", old)
	if bs, err := r.Branches("ferry/"); err != nil || len(bs) != 0 {
		t.Errorf("Branches(ferry/) with a stale empty lock = %v, %v, want none and no error", bs, err)
	}
}

// newRemote returns the path of a bare repository holding base on main.
func newRemote(t testing.TB) (string, plumbing.Hash) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote.git")
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	remote, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	base := writeCommit(t, remote.s, writeFiles(t, remote.s, baseFiles), "base\n")
	if err := remote.UpdateRef("refs/heads/main", plumbing.ZeroHash, base); err != nil {
		t.Fatal(err)
	}
	if err := remote.s.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main")); err != nil {
		t.Fatal(err)
	}
	return dir, base
}

func remoteAt(t *testing.T, dir, branch string) plumbing.Hash {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.s.Reference(plumbing.NewBranchReferenceName(branch))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash
	}
	if err != nil {
		t.Fatal(err)
	}
	return ref.Hash()
}

func TestClone(t *testing.T) {
	url, base := newRemote(t)
	tests := []struct {
		name string
		opts CloneOptions
	}{
		{"defaults", CloneOptions{}},
		{"one branch, shallow", CloneOptions{Branch: "main", Depth: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Clone(t.Context(), url, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, rev := range []string{"HEAD", "origin/main"} {
				if got, err := r.Resolve(rev); err != nil || got != base {
					t.Errorf("Resolve(%s) = %s, %v, want %s", rev, got, err, base)
				}
			}
			if diff := cmp.Diff(snapshot(t, newMemRepoFrom(t, url), base), snapshot(t, r, base)); diff != "" {
				t.Errorf("cloned files mismatch (-remote +clone):\n%s", diff)
			}
		})
	}
	if _, err := Clone(t.Context(), url, CloneOptions{Depth: -1}); err == nil {
		t.Error("Clone with a negative depth: no error")
	}
}

func newMemRepoFrom(t *testing.T, dir string) *Store {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPush(t *testing.T) {
	url, base := newRemote(t)
	ferry, err := Clone(t.Context(), url, CloneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := Clone(t.Context(), url, CloneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const branch = "ferry/m/w/pin"
	mine1, err := ferry.Commit(t.Context(), base, []Change{{Path: "pin", Data: []byte("1")}}, meta("mine 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	mine2, err := ferry.Commit(t.Context(), base, []Change{{Path: "pin", Data: []byte("2")}}, meta("mine 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := other.Commit(t.Context(), base, []Change{{Path: "theirs", Data: []byte("x")}}, meta("theirs\n"))
	if err != nil {
		t.Fatal(err)
	}

	// The steps run in order against one remote.
	steps := []struct {
		name        string
		from        *Store
		expectedOld plumbing.Hash
		new         plumbing.Hash
		wantErr     error
		wantAt      plumbing.Hash
	}{
		{"create the branch", ferry, plumbing.ZeroHash, mine1, nil, mine1},
		{"already there is success", ferry, mine1, mine1, nil, mine1},
		{"create again is refused", ferry, plumbing.ZeroHash, mine2, ErrRefMoved, mine1},
		{"regenerate on the lease (not a fast-forward)", ferry, mine1, mine2, nil, mine2},
		{"someone else pushes", other, mine2, theirs, nil, theirs},
		{"a stale lease is refused, their commit stays", ferry, mine2, mine1, ErrRefMoved, theirs},
	}
	for _, s := range steps {
		err := s.from.Push(t.Context(), url, nil, branch, s.expectedOld, s.new)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: Push error = %v, want %v", s.name, err, s.wantErr)
		}
		if got := remoteAt(t, url, branch); got != s.wantAt {
			t.Errorf("%s: remote branch at %s, want %s", s.name, got, s.wantAt)
		}
	}

	// Push leaves the pushing repo's refs alone.
	iter, err := ferry.s.IterReferences()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	iter.ForEach(func(r *plumbing.Reference) error { refs = append(refs, r.Name().String()); return nil })
	for _, n := range refs {
		if n == "refs/heads/"+branch || n == "refs/remotes/ferry/"+branch {
			t.Errorf("Push left ref %s in the local repo", n)
		}
	}
	if got := remoteAt(t, url, "main"); got != base {
		t.Errorf("main moved to %s, want %s", got, base)
	}
}
