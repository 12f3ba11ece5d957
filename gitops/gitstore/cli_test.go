package gitstore

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

// TestCommitMatchesGitCLI makes the same commit with Commit and with the git
// CLI in a real repository and checks that git agrees on everything: fsck,
// the tree, the file modes, the content and the commit hash itself.
func TestCommitMatchesGitCLI(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	write := func(p, data string, mode os.FileMode) {
		t.Helper()
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
	gitCLI(t, dir, "init", "-q", "-b", "main")
	for p, f := range baseFiles {
		switch {
		case f.data == "README.md": // the symlink
			if err := os.Symlink(f.data, filepath.Join(dir, p)); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(p, ".sh"):
			write(p, f.data, 0o755)
		default:
			write(p, f.data, 0o644)
		}
	}
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "commit", "-q", "-m", "base")

	r, err := Open(filepath.Join(dir, "apps")) // any directory inside the worktree
	if err != nil {
		t.Fatal(err)
	}
	base, err := r.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	changes := []Change{
		{Path: "apps/api/base/deploy.yaml", Data: []byte("kind: Deployment\nreplicas: 2\n")},
		{Path: "scripts/render.sh", Data: []byte("#!/bin/sh\nexit 0\n")},
		{Path: "apps/web/overlays/eu-1/kustomization.yaml", Data: []byte("resources: [../../base]\n")},
		{Path: "apps/api/overlays/eu-1/kustomization.yaml", Delete: true},
	}
	h, err := r.Commit(t.Context(), base, changes, meta("change\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/ferry", plumbing.ZeroHash, h); err != nil {
		t.Fatal(err)
	}
	if out := gitCLI(t, dir, "status", "--porcelain"); out != "" {
		t.Errorf("Commit touched the worktree or index:\n%s", out)
	}
	if out, err := runGit(t.Context(), dir, "fsck", "--strict", "--no-dangling"); err != nil || out != "" {
		t.Errorf("git fsck --strict: %v\n%s", err, out)
	}
	// Written as git writes loose objects: read-only, deflated at zlib's
	// best speed (git's core.looseCompression), so the header is 78 01.
	obj := filepath.Join(dir, ".git", "objects", h.String()[:2], h.String()[2:])
	if fi, err := os.Stat(obj); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("the commit's loose object: %v, mode %v", err, fi.Mode())
	}
	if b, err := os.ReadFile(obj); err != nil || len(b) < 2 || b[0] != 0x78 || b[1] != 0x01 {
		t.Errorf("the commit's loose object does not start with zlib's best-speed header 78 01: % x", b[:min(len(b), 2)])
	}

	// The same change through the CLI.
	gitCLI(t, dir, "checkout", "-q", "-b", "cli", "main")
	for _, c := range changes {
		if c.Delete {
			gitCLI(t, dir, "rm", "-q", c.Path)
			continue
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(c.Path, ".sh") {
			mode = 0o755
		}
		write(c.Path, string(c.Data), mode)
	}
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "commit", "-q", "-m", "change")

	lsTree := func(rev string) string { return gitCLI(t, dir, "ls-tree", "-r", "--full-tree", rev) }
	if diff := cmp.Diff(lsTree("cli"), lsTree("ferry")); diff != "" {
		t.Errorf("git ls-tree -r mismatch (-git CLI +ferry):\n%s", diff)
	}
	if !strings.Contains(lsTree("ferry"), "100755 blob") {
		t.Errorf("the executable lost its mode:\n%s", lsTree("ferry"))
	}
	if got := gitCLI(t, dir, "cat-file", "-p", "ferry:scripts/render.sh"); got != "#!/bin/sh\nexit 0\n" {
		t.Errorf("git cat-file -p ferry:scripts/render.sh = %q", got)
	}
	cliHash := strings.TrimSpace(gitCLI(t, dir, "rev-parse", "cli"))
	if cliHash != h.String() {
		t.Errorf("Commit = %s, the git CLI made %s from the same change, author and time", h, cliHash)
	}
}

// Reading a packed repository (as git gc leaves it) from many goroutines
// at once: go-git loads the packfile index lazily, and the first reads
// must not race on it.
func TestConcurrentReadsOfPackedRepo(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	gitCLI(t, dir, "init", "-q", "-b", "main")
	for i := range 40 {
		p := filepath.Join(dir, "apps", fmt.Sprintf("w%02d", i), "kustomization.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, fmt.Appendf(nil, "resources: [w%02d.yaml]\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "apps")
	gitCLI(t, dir, "gc", "-q")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			// Every goroutine's first read may be the repo's first.
			head, err := r.Resolve("main")
			if err != nil {
				t.Error(err)
				return
			}
			fsys, err := r.FS(head)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 40 {
				name := fmt.Sprintf("apps/w%02d/kustomization.yaml", (i+g)%40)
				if _, err := fs.ReadFile(fsys, name); err != nil {
					t.Errorf("ReadFile(%s): %v", name, err)
				}
			}
		})
	}
	wg.Wait()
}

// A linked worktree (git worktree add) keeps its objects in the main
// repository's directory: Open from inside it still reads them.
func TestOpenLinkedWorktree(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	gitCLI(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "a")
	wt := filepath.Join(t.TempDir(), "wt")
	gitCLI(t, dir, "worktree", "add", "-q", "-b", "side", wt)
	r, err := Open(wt)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := r.FS(head)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "a.yaml"); err != nil || string(b) != "a: 1\n" {
		t.Errorf("a.yaml from a linked worktree = %q, %v", b, err)
	}
}
