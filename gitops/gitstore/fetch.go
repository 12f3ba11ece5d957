package gitstore

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Fetch sets refs/heads/<b> of this repo to where refs/heads/<b> is on the
// remote at remoteURL, for each branch b, forced (a branch that moved in a
// way that is not a fast-forward is moved all the same), and fetches the
// objects they need. A branch missing on the remote is an error. The remote
// is a throwaway one: the repo's config is not touched. ctx bounds the
// network transfer.
func (r *Store) Fetch(ctx context.Context, remoteURL string, auth transport.AuthMethod, branches ...string) error {
	if len(branches) == 0 {
		return nil
	}
	specs := make([]config.RefSpec, 0, len(branches))
	for _, b := range branches {
		ref := plumbing.NewBranchReferenceName(b)
		if b == "" || ref.Validate() != nil {
			return fmt.Errorf("fetch: invalid branch %q", b)
		}
		specs = append(specs, config.RefSpec("+"+ref.String()+":"+ref.String()))
	}
	r.refMu.Lock()
	defer r.refMu.Unlock()
	remote := git.NewRemote(r.s, &config.RemoteConfig{Name: pushRemote, URLs: []string{remoteURL}})
	err := remote.FetchContext(ctx, &git.FetchOptions{RemoteName: pushRemote, RefSpecs: specs, Auth: auth, Force: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch %v from %s: %w", branches, remoteURL, err)
	}
	return nil
}
