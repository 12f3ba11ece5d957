package bot

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/storage"
)

// followStorer is the storage the worktree follower's go-git repository
// writes through. go-git rewrites the index and refs in place (truncate,
// then write): a run killed in between left an empty refs/heads/main or a
// short index, and every later run failed. Here the index is written to a
// file of its own and renamed over the index, and no branch is written:
// the follower's reset would set the branch to the commit it caught up
// to, and with another ferry process landing a stage in between, that
// moved main back and lost the stage. Branches move only through ferry's
// store, with git's lock protocol.
type followStorer struct {
	storage.Storer
	gitDir string
}

func (s followStorer) SetIndex(idx *index.Index) error {
	tmp := filepath.Join(s.gitDir, fmt.Sprintf("index.ferry-%d", os.Getpid()))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = index.NewEncoder(w).Encode(idx)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.gitDir, "index"))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func (s followStorer) SetReference(ref *plumbing.Reference) error {
	if ref.Type() == plumbing.HashReference && ref.Name().IsBranch() {
		return nil
	}
	return s.Storer.SetReference(ref)
}

// removeDead removes the files in dir named prefix, a process id and
// optionally "-…", of followers that were killed before they renamed them.
func removeDead(dir, prefix string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		pid, _, _ := strings.Cut(rest, "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n == os.Getpid() {
			continue
		}
		if p, err := os.FindProcess(n); err == nil && p.Signal(syscall.Signal(0)) == nil {
			continue // alive
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
