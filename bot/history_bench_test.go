package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"testing"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// historyRepo writes a bare repository whose main holds the
// appset-httproute sample repo after n commits of unrelated history (a
// notes file edited n times), its Migration added by the last commit. It
// uses git fast-import: 50,000 commits take seconds.
func historyRepo(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--bare", dir).CombinedOutput(); err != nil {
		b.Fatalf("git init: %v %s", err, out)
	}
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		b.Fatal(err)
	}
	var stream bytes.Buffer
	file := func(path string, data []byte) {
		fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
	}
	commit := func(i int, msg string, files func()) {
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter Platform <platform@example.com> %d +0000\ndata %d\n%s\n", 1700000000+i, len(msg), msg)
		files()
	}
	var migration []byte
	commit(0, "Deployment repo", func() {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			if strings.HasPrefix(p, "migrations/") {
				migration = data
				return err
			}
			file(p, data)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	for i := 1; i < n; i++ {
		commit(i, fmt.Sprintf("Notes %d", i), func() { file("docs/notes.txt", fmt.Appendf(nil, "entry %d\n", i)) })
	}
	commit(n, "Move eu-1 to eu-2", func() { file("migrations/eu-1-to-eu-2.yaml", migration) })
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git fast-import: %v %s", err, out)
	}
	return dir
}

// BenchmarkHistory observes (reads, validates, plans) the same tree after
// one commit and after 50,000 commits of older history: the planner reads
// the history since the Migration appeared, so the two should be close
// (target: within 2x). Compare them as a ratio in one run.
func BenchmarkHistory(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Fatal("git is not on PATH")
	}
	for _, n := range []int{1, 50_000} {
		dir := historyRepo(b, n)
		b.Run(fmt.Sprintf("commits=%d", n+1), func(b *testing.B) {
			clk := &clock{t: epoch}
			for b.Loop() {
				repo, err := gitstore.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				bt, _ := newLocal(b, repo, clk)
				if _, err := bt.Observe(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
