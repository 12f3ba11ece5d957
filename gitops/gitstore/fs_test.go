package gitstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/google/go-cmp/cmp"
)

func TestFSPassesFSTest(t *testing.T) {
	r := newMemRepo(t)
	tree := writeFiles(t, r.s, map[string]file{
		"README.md":                        {data: "hello\n"},
		"apps/api/base/kustomization.yaml": {data: "resources: [deploy.yaml]\n"},
		"apps/api/base/deploy.yaml":        {data: "kind: Deployment\n"},
		"apps/api/current":                 {data: "base", mode: filemode.Symlink},
		"apps/web/empty.yaml":              {data: ""},
		"bin/run":                          {data: "#!/bin/sh\n", mode: filemode.Executable},
		"link-to-file":                     {data: "apps/api/base/deploy.yaml", mode: filemode.Symlink},
		"vendor/lib":                       {mode: filemode.Submodule},
	})
	commit := writeCommit(t, r.s, tree, "fs\n")
	fsys, err := r.FS(commit)
	if err != nil {
		t.Fatal(err)
	}
	// vendor/lib is a submodule: skipped, so vendor is an empty directory.
	if err := fstest.TestFS(fsys,
		"README.md", "apps/api/base/kustomization.yaml", "apps/api/base/deploy.yaml",
		"apps/api/current", "apps/web/empty.yaml",
		"bin/run", "link-to-file", "vendor",
	); err != nil {
		t.Fatal(err)
	}
	// fstest does not walk through symlinks: read through one here.
	if b, err := fs.ReadFile(fsys, "apps/api/current/deploy.yaml"); err != nil || string(b) != "kind: Deployment\n" {
		t.Errorf("ReadFile(apps/api/current/deploy.yaml) = %q, %v", b, err)
	}
	if _, err := fs.Stat(fsys, "vendor/lib"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(vendor/lib) error = %v, want fs.ErrNotExist for a submodule", err)
	}
	info, err := fs.Stat(fsys, "bin/run")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode(), fs.FileMode(0o755); got != want {
		t.Errorf("Stat(bin/run).Mode() = %v, want %v", got, want)
	}
	if !info.ModTime().Equal(when) {
		t.Errorf("Stat(bin/run).ModTime() = %v, want the commit time %v", info.ModTime(), when)
	}
}

func TestFSSymlinks(t *testing.T) {
	r := newMemRepo(t)
	tree := writeFiles(t, r.s, map[string]file{
		"apps/api/base/deploy.yaml":  {data: "kind: Deployment\n"},
		"apps/api/overlays/eu/k.yml": {data: "k\n"},
		"apps/api/to-base":           {data: "base", mode: filemode.Symlink},
		"apps/api/overlays/up":       {data: "../base/deploy.yaml", mode: filemode.Symlink},
		"apps/api/overlays/dot":      {data: "./eu/../eu/k.yml", mode: filemode.Symlink},
		"apps/api/overlays/chain":    {data: "../to-base/deploy.yaml", mode: filemode.Symlink},
		"apps/api/overlays/via-link": {data: "../to-base/../overlays/eu/k.yml", mode: filemode.Symlink},
		"abs":                        {data: "/etc/passwd", mode: filemode.Symlink},
		"apps/escape":                {data: "../../outside", mode: filemode.Symlink},
		"apps/api/deep-escape":       {data: "../../../x", mode: filemode.Symlink},
		"apps/to-escape":             {data: "escape", mode: filemode.Symlink},
		"loop-a":                     {data: "loop-b", mode: filemode.Symlink},
		"loop-b":                     {data: "loop-a", mode: filemode.Symlink},
		"dangling":                   {data: "nothing/here", mode: filemode.Symlink},
	})
	fsys, err := r.FS(writeCommit(t, r.s, tree, "links\n"))
	if err != nil {
		t.Fatal(err)
	}

	followed := []struct{ path, want string }{
		{"apps/api/to-base/deploy.yaml", "kind: Deployment\n"},
		{"apps/api/overlays/up", "kind: Deployment\n"},
		{"apps/api/overlays/dot", "k\n"},
		{"apps/api/overlays/chain", "kind: Deployment\n"},
		{"apps/api/overlays/via-link", "k\n"},
	}
	for _, tt := range followed {
		got, err := fs.ReadFile(fsys, tt.path)
		if err != nil {
			t.Errorf("ReadFile(%s): %v", tt.path, err)
			continue
		}
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("ReadFile(%s) mismatch (-want +got):\n%s", tt.path, diff)
		}
	}

	refused := []struct {
		path string
		want SymlinkError
	}{
		{"abs", SymlinkError{Path: "abs", Target: "/etc/passwd"}},
		{"apps/escape", SymlinkError{Path: "apps/escape", Target: "../../outside"}},
		{"apps/api/deep-escape", SymlinkError{Path: "apps/api/deep-escape", Target: "../../../x"}},
		{"apps/to-escape", SymlinkError{Path: "apps/escape", Target: "../../outside"}},
	}
	for _, tt := range refused {
		for op, call := range map[string]func(string) error{
			"ReadFile": func(p string) error { _, err := fs.ReadFile(fsys, p); return err },
			"Stat":     func(p string) error { _, err := fs.Stat(fsys, p); return err },
			"Open":     func(p string) error { _, err := fsys.Open(p); return err },
		} {
			err := call(tt.path)
			var se *SymlinkError
			if !errors.As(err, &se) {
				t.Errorf("%s(%s) error = %v, want a *SymlinkError", op, tt.path, err)
				continue
			}
			if diff := cmp.Diff(tt.want, *se); diff != "" {
				t.Errorf("%s(%s) SymlinkError mismatch (-want +got):\n%s", op, tt.path, diff)
			}
		}
	}

	// Lstat and ReadLink do not follow, so they work even on a bad link.
	if target, err := fsys.(fs.ReadLinkFS).ReadLink("abs"); err != nil || target != "/etc/passwd" {
		t.Errorf("ReadLink(abs) = %q, %v, want /etc/passwd", target, err)
	}
	if info, err := fs.Lstat(fsys, "apps/escape"); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(apps/escape) = %v, %v, want a symlink", info, err)
	}

	for _, p := range []string{"loop-a", "dangling"} {
		_, err := fs.ReadFile(fsys, p)
		var se *SymlinkError
		if err == nil || errors.As(err, &se) {
			t.Errorf("ReadFile(%s) error = %v, want an error that is not a *SymlinkError", p, err)
		}
	}
}

func TestFSErrors(t *testing.T) {
	r, base := newBaseRepo(t)
	fsys, err := r.FS(base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want error
	}{
		{"nope", fs.ErrNotExist},
		{"README.md/x", fs.ErrNotExist},
		{"apps/nope/x", fs.ErrNotExist},
		{"../x", fs.ErrInvalid},
		{"/README.md", fs.ErrInvalid},
		{"apps/", fs.ErrInvalid},
	}
	for _, tt := range tests {
		if _, err := fs.ReadFile(fsys, tt.path); !errors.Is(err, tt.want) {
			t.Errorf("ReadFile(%s) error = %v, want %v", tt.path, err, tt.want)
		}
	}
	if _, err := fs.ReadDir(fsys, "README.md"); err == nil {
		t.Error("ReadDir(README.md): no error for a file")
	}
	if _, err := fs.ReadFile(fsys, "apps"); err == nil {
		t.Error("ReadFile(apps): no error for a directory")
	}
}

// TestReadFileAtMost reads a file over the limit as its size alone: the
// blob's object file is cut short after its header, so a reader that
// inflated the content would fail.
func TestReadFileAtMost(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	gitCLI(t, dir, "init", "-q", "-b", "main")
	big := strings.Repeat("x: y\n", 1<<20) // 5 MiB
	for name, data := range map[string]string{"big.yaml": big, "small.yaml": "x: y\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "commit", "-q", "-m", "files")
	h := strings.TrimSpace(gitCLI(t, dir, "rev-parse", "HEAD:big.yaml"))
	obj := filepath.Join(dir, ".git", "objects", h[:2], h[2:])
	if err := os.Truncate(obj, 64); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := r.FS(head)
	if err != nil {
		t.Fatal(err)
	}
	at := fsys.(interface {
		ReadFileAtMost(string, int64) ([]byte, int64, error)
	})
	if b, size, err := at.ReadFileAtMost("big.yaml", 1<<20); err != nil || b != nil || size != int64(len(big)) {
		t.Errorf("ReadFileAtMost(big.yaml, 1 MiB) = %d bytes, size %d, %v; want no data, size %d, no error", len(b), size, err, len(big))
	}
	if b, size, err := at.ReadFileAtMost("small.yaml", 1<<20); err != nil || string(b) != "x: y\n" || size != 5 {
		t.Errorf("ReadFileAtMost(small.yaml) = %q, %d, %v", b, size, err)
	}
	if _, err := fs.ReadFile(fsys, "big.yaml"); err == nil {
		t.Error("ReadFile(big.yaml) read a cut-short object without an error: the test proves nothing")
	}
}
