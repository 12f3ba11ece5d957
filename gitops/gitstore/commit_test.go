package gitstore

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
)

var baseFiles = map[string]file{
	"README.md":                                 {data: "hello\n"},
	"apps/api/base/kustomization.yaml":          {data: "resources: [deploy.yaml]\n"},
	"apps/api/base/deploy.yaml":                 {data: "kind: Deployment\n"},
	"apps/api/overlays/eu-1/kustomization.yaml": {data: "resources: [../../base]\n"},
	"apps/web/base/kustomization.yaml":          {data: "resources: []\n"},
	"scripts/render.sh":                         {data: "#!/bin/sh\n", mode: filemode.Executable},
	"link":                                      {data: "README.md", mode: filemode.Symlink},
}

// newBaseRepo returns a memory repo holding baseFiles in one commit.
func newBaseRepo(tb testing.TB) (*Store, plumbing.Hash) {
	tb.Helper()
	r := newMemRepo(tb)
	base := writeCommit(tb, r.s, writeFiles(tb, r.s, baseFiles), "base\n")
	return r, base
}

func TestBaseGolden(t *testing.T) {
	_, base := newBaseRepo(t)
	if got, want := base.String(), "104d3686d867744d4a68923bc2dea04a33f880db"; got != want {
		t.Errorf("base commit = %s, want %s", got, want)
	}
}

func TestCommit(t *testing.T) {
	tests := []struct {
		name     string
		changes  []Change
		set      map[string]string // files added or changed, as snapshot shows them
		gone     []string          // files and directories that must no longer exist
		wantHash string
	}{{
		name:     "modify a file",
		changes:  []Change{{Path: "apps/api/base/deploy.yaml", Data: []byte("kind: Deployment\nreplicas: 2\n")}},
		set:      map[string]string{"apps/api/base/deploy.yaml": "-rw-r--r-- kind: Deployment\nreplicas: 2\n"},
		wantHash: "ea1d436d283ed1c9f4b1aa35ab3f30adfb6c755c",
	}, {
		name:     "new file creates directories",
		changes:  []Change{{Path: "apps/api/overlays/eu-2/sub/kustomization.yaml", Data: []byte("x: 1\n")}},
		set:      map[string]string{"apps/api/overlays/eu-2/sub/kustomization.yaml": "-rw-r--r-- x: 1\n"},
		wantHash: "7614af0d5d2bb4b0fca5cd10de6a32d92881caa8",
	}, {
		name:     "deleting the last file removes emptied directories",
		changes:  []Change{{Path: "apps/api/overlays/eu-1/kustomization.yaml", Delete: true}},
		gone:     []string{"apps/api/overlays/eu-1/kustomization.yaml", "apps/api/overlays/eu-1", "apps/api/overlays"},
		wantHash: "444fc16b73b5d01ce270591095be837c7e4d8181",
	}, {
		name:     "delete a directory",
		changes:  []Change{{Path: "apps/api", Delete: true}},
		gone:     []string{"apps/api/base/deploy.yaml", "apps/api/base/kustomization.yaml", "apps/api/overlays/eu-1/kustomization.yaml", "apps/api"},
		wantHash: "d374247d5927f17230ba5747fbcab6b0ac1a712f",
	}, {
		name:     "delete everything under a directory removes it and its parents",
		changes:  []Change{{Path: "apps/api", Delete: true}, {Path: "apps/web/base/kustomization.yaml", Delete: true}},
		gone:     []string{"apps/api/base/deploy.yaml", "apps/api/base/kustomization.yaml", "apps/api/overlays/eu-1/kustomization.yaml", "apps/web/base/kustomization.yaml", "apps"},
		wantHash: "c5d8b871eb5a8ab3d1cb6c78eb0773ff2d5cedb0",
	}, {
		name:     "an executable stays executable",
		changes:  []Change{{Path: "scripts/render.sh", Data: []byte("#!/bin/sh\nexit 0\n")}},
		set:      map[string]string{"scripts/render.sh": "-rwxr-xr-x #!/bin/sh\nexit 0\n"},
		wantHash: "5b7757c1398f4e53545de3389bb75f0a8b4de0d0",
	}, {
		name:     "a symlink stays a symlink",
		changes:  []Change{{Path: "link", Data: []byte("scripts/render.sh")}},
		set:      map[string]string{"link": "-> scripts/render.sh"},
		wantHash: "ec8aeed09e6cf8816b1b3660da2a182a13b7b549",
	}, {
		name:     "replace a file by a directory",
		changes:  []Change{{Path: "README.md", Delete: true}, {Path: "README.md/index.md", Data: []byte("hi\n")}},
		set:      map[string]string{"README.md/index.md": "-rw-r--r-- hi\n"},
		gone:     []string{"README.md"},
		wantHash: "f086ddca90021c513529790f8d65ffe3ed8afe21",
	}, {
		name: "several changes, deleting a missing file is fine",
		changes: []Change{
			{Path: "apps/web/base/kustomization.yaml", Data: []byte("resources: [a.yaml]\n")},
			{Path: "apps/web/base/a.yaml", Data: []byte("a: 1\n")},
			{Path: "apps/web/overlays/eu-1/kustomization.yaml", Data: []byte("resources: [../../base]\n")},
			{Path: "apps/web/nothing/here", Delete: true},
			{Path: "README.md", Delete: true},
		},
		set: map[string]string{
			"apps/web/base/kustomization.yaml":          "-rw-r--r-- resources: [a.yaml]\n",
			"apps/web/base/a.yaml":                      "-rw-r--r-- a: 1\n",
			"apps/web/overlays/eu-1/kustomization.yaml": "-rw-r--r-- resources: [../../base]\n",
		},
		gone:     []string{"README.md"},
		wantHash: "fa2c5ac9103747a6041c0ecec8b024a3ff1a79f8",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, base := newBaseRepo(t)
			got, err := r.Commit(t.Context(), base, tt.changes, meta("change\n"))
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if got.String() != tt.wantHash {
				t.Errorf("Commit = %s, want %s", got, tt.wantHash)
			}
			want := snapshot(t, r, base)
			maps.Copy(want, tt.set)
			for _, p := range tt.gone {
				delete(want, p)
			}
			if diff := cmp.Diff(want, snapshot(t, r, got)); diff != "" {
				t.Errorf("files mismatch (-want +got):\n%s", diff)
			}
			fsys, err := r.FS(got)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.gone {
				if _, ok := tt.set[p+"/index.md"]; ok {
					continue // replaced by a directory
				}
				if _, err := fs.Lstat(fsys, p); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Lstat(%s) error = %v, want fs.ErrNotExist", p, err)
				}
			}
			c, err := object.GetCommit(r.s, got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]plumbing.Hash{base}, c.ParentHashes); diff != "" {
				t.Errorf("parents mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommitRoot(t *testing.T) {
	r := newMemRepo(t)
	got, err := r.Commit(t.Context(), plumbing.ZeroHash, []Change{
		{Path: "a.txt", Data: []byte("a\n")},
		{Path: "d/b.txt", Data: []byte("b\n")},
	}, meta("root\n"))
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if want := "0dabd6090c298f8e86ecaed358812af3290a68fc"; got.String() != want {
		t.Errorf("Commit = %s, want %s", got, want)
	}
	want := map[string]string{"a.txt": "-rw-r--r-- a\n", "d/b.txt": "-rw-r--r-- b\n"}
	if diff := cmp.Diff(want, snapshot(t, r, got)); diff != "" {
		t.Errorf("files mismatch (-want +got):\n%s", diff)
	}
}

func TestCommitMeta(t *testing.T) {
	r, base := newBaseRepo(t)
	committer := object.Signature{Name: "Ferry Bot", Email: "bot@example.com", When: when.Add(time.Hour)}
	ch := []Change{{Path: "README.md", Data: []byte("bye\n")}}
	tests := []struct {
		name          string
		meta          CommitMeta
		wantCommitter object.Signature
	}{
		{"zero committer is the author", CommitMeta{Author: sig(), Message: "m\n"}, sig()},
		{"committer given", CommitMeta{Author: sig(), Committer: committer, Message: "m\n"}, committer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := r.Commit(t.Context(), base, ch, tt.meta)
			if err != nil {
				t.Fatal(err)
			}
			c, err := object.GetCommit(r.s, h)
			if err != nil {
				t.Fatal(err)
			}
			if c.Committer.Name != tt.wantCommitter.Name || c.Committer.Email != tt.wantCommitter.Email || !c.Committer.When.Equal(tt.wantCommitter.When) {
				t.Errorf("committer = %v, want %v", c.Committer, tt.wantCommitter)
			}
			if c.Message != "m\n" {
				t.Errorf("message = %q, want %q", c.Message, "m\n")
			}
		})
	}
	if _, err := r.Commit(t.Context(), base, ch, CommitMeta{Message: "m\n"}); err == nil {
		t.Error("Commit without an author: no error")
	}
}

func TestCommitNoChange(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
	}{
		{"no changes", nil},
		{"same content", []Change{{Path: "README.md", Data: []byte("hello\n")}}},
		{"delete a missing file", []Change{{Path: "nope/nothing", Delete: true}}},
		{"delete under a file", []Change{{Path: "README.md/x", Delete: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, base := newBaseRepo(t)
			before := countObjects(t, r)
			_, err := r.Commit(t.Context(), base, tt.changes, meta("noop\n"))
			if !errors.Is(err, ErrEmptyCommit) {
				t.Errorf("Commit error = %v, want ErrEmptyCommit", err)
			}
			if n := countObjects(t, r) - before; n != 0 {
				t.Errorf("Commit wrote %d objects, want 0", n)
			}
		})
	}
}

func TestCommitBadPaths(t *testing.T) {
	tests := []struct {
		changes []Change
		want    error
		path    string
	}{
		{[]Change{{Path: ""}}, ErrInvalidPath, ""},
		{[]Change{{Path: "/etc/passwd"}}, ErrInvalidPath, "/etc/passwd"},
		{[]Change{{Path: "../x"}}, ErrInvalidPath, "../x"},
		{[]Change{{Path: "a/../../x"}}, ErrInvalidPath, "a/../../x"},
		{[]Change{{Path: "a/../b"}}, ErrInvalidPath, "a/../b"},
		{[]Change{{Path: "./a"}}, ErrInvalidPath, "./a"},
		{[]Change{{Path: "a//b"}}, ErrInvalidPath, "a//b"},
		{[]Change{{Path: "a/"}}, ErrInvalidPath, "a/"},
		{[]Change{{Path: "."}}, ErrInvalidPath, "."},
		{[]Change{{Path: ".git/config"}}, ErrInvalidPath, ".git/config"},
		{[]Change{{Path: "a/.GIT/hooks/x", Delete: true}}, ErrInvalidPath, "a/.GIT/hooks/x"},
		{[]Change{{Path: "README.md/x", Data: []byte("x")}}, ErrPathConflict, "README.md"},
		{[]Change{{Path: "apps", Data: []byte("x")}}, ErrPathConflict, "apps"},
		{[]Change{{Path: "a", Data: []byte("1")}, {Path: "a", Data: []byte("2")}}, ErrPathConflict, "a"},
		{[]Change{{Path: "a", Data: []byte("1")}, {Path: "a/b", Data: []byte("2")}}, ErrPathConflict, "a"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.changes), func(t *testing.T) {
			r, base := newBaseRepo(t)
			_, err := r.Commit(t.Context(), base, tt.changes, meta("bad\n"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Commit error = %v, want %v", err, tt.want)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != tt.path {
				t.Errorf("Commit error = %v, want an *fs.PathError for %q", err, tt.path)
			}
		})
	}
}

func TestCommitSubmoduleRefused(t *testing.T) {
	r := newMemRepo(t)
	tree := writeFiles(t, r.s, map[string]file{"vendor/lib": {data: "", mode: filemode.Submodule}})
	// writeFiles stored a blob for the gitlink; a gitlink's hash is any commit id.
	base := writeCommit(t, r.s, tree, "with submodule\n")
	for _, ch := range []Change{{Path: "vendor/lib", Data: []byte("x")}, {Path: "vendor/lib/x", Data: []byte("x")}} {
		if _, err := r.Commit(t.Context(), base, []Change{ch}, meta("m\n")); !errors.Is(err, ErrPathConflict) {
			t.Errorf("Commit(%s) error = %v, want ErrPathConflict", ch.Path, err)
		}
	}
}

// TestCommitWritesOnlyChangedObjects proves the cost model: one changed file
// writes its blob, the trees on its path and the commit, nothing else.
func TestCommitWritesOnlyChangedObjects(t *testing.T) {
	r := newMemRepo(t)
	files := map[string]file{}
	for i := range 30 {
		for j := range 10 {
			for k := range 10 {
				files[fmt.Sprintf("apps/team-%02d/w-%02d/overlays/f-%02d.yaml", i, j, k)] = file{data: fmt.Sprintf("%d %d %d\n", i, j, k)}
			}
		}
	}
	base := writeCommit(t, r.s, writeFiles(t, r.s, files), "3000 files\n")
	tests := []struct {
		name string
		path string
		want int
	}{
		// blob + trees (root, apps, team, w, overlays) + commit
		{"change a deep file", "apps/team-07/w-03/overlays/f-04.yaml", 1 + 5 + 1},
		// blob + trees (root, apps, team, w, overlays, new, dirs) + commit
		{"add a file in new directories", "apps/team-07/w-03/overlays/new/dirs/f.yaml", 1 + 7 + 1},
		{"add a file at the root", "top.yaml", 1 + 1 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countObjects(t, r)
			if _, err := r.Commit(t.Context(), base, []Change{{Path: tt.path, Data: []byte(tt.name)}}, meta(tt.name)); err != nil {
				t.Fatal(err)
			}
			if got := countObjects(t, r) - before; got != tt.want {
				t.Errorf("new objects = %d, want %d", got, tt.want)
			}
		})
	}
}
