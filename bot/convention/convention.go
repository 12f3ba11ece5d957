// Package convention is ferry's git conventions in one place: the branch
// of each stage, the subject of its commit, and the trailers every commit
// ferry lands on the base branch carries. The bot writes them; the local
// forge, check and history read them back.
package convention

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// The trailers on every commit ferry lands on the base branch.
const (
	TrailerMigration = "Ferry-Migration"
	TrailerWorkload  = "Ferry-Workload"
	TrailerStage     = "Ferry-Stage"
)

// HoldLabel on a pull request pauses its workload.
const HoldLabel = "ferry/hold"

// BranchPrefix starts every branch ferry pushes.
const BranchPrefix = "ferry/"

// Branch is the branch of one workload's stage:
// ferry/<migration>/<workload>/<stage>.
func Branch(migration, workload string, st planner.Stage) string {
	return fmt.Sprintf("%s%s/%s/%s", BranchPrefix, migration, workload, st)
}

// WaveBranch is the branch of a wave's stage:
// ferry/<migration>/wave-<n>/<stage>.
func WaveBranch(migration string, n int, st planner.Stage) string {
	return Branch(migration, wavePrefix+strconv.Itoa(n), st)
}

const wavePrefix = "wave-"

// ParsedBranch is a ferry branch name taken apart.
type ParsedBranch struct {
	Migration string
	// Workload is the workload of a workload's branch; "" for a wave's.
	Workload string
	// Wave is the wave of a wave's branch; 0 for a workload's.
	Wave  int
	Stage planner.Stage
}

// ParseBranch takes a ferry branch name apart; ok is false for any other
// branch. The name says only what the branch is meant for: anyone can
// push a branch of any name.
func ParseBranch(b string) (p ParsedBranch, ok bool) {
	parts := strings.Split(b, "/")
	if len(parts) != 4 || parts[0]+"/" != BranchPrefix {
		return p, false
	}
	st, err := planner.ParseStage(parts[3])
	if err != nil {
		return p, false
	}
	p = ParsedBranch{Migration: parts[1], Workload: parts[2], Stage: st}
	if n, isWave := strings.CutPrefix(parts[2], wavePrefix); isWave {
		w, err := strconv.Atoi(n)
		if err != nil || w < 1 {
			return p, false
		}
		p.Workload, p.Wave = "", w
	}
	return p, true
}

// Subject is the subject of one workload's stage commit:
// "ferry(<migration>): <workload>: <what happens>".
func Subject(migration, workload, what string) string {
	return fmt.Sprintf("ferry(%s): %s: %s", migration, workload, what)
}

// WaveSubject is the subject of a wave's stage commit.
func WaveSubject(migration string, wave int, what string, workloads int) string {
	return fmt.Sprintf("ferry(%s): wave %d: %s for %d workloads", migration, wave, what, workloads)
}

// Trailers are ferry's trailers on a stage commit.
type Trailers struct {
	Migration string
	Workloads []string // in order; a wave's commit has several
	Stage     string
}

// String is the trailer block, one Ferry-Workload line per workload, with
// no final newline.
func (t Trailers) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", TrailerMigration, t.Migration)
	for _, w := range t.Workloads {
		fmt.Fprintf(&b, "%s: %s\n", TrailerWorkload, w)
	}
	fmt.Fprintf(&b, "%s: %s", TrailerStage, t.Stage)
	return b.String()
}

// ReadTrailers reads ferry's trailers from a commit message; ok is false
// when one of them is missing. A Ferry-Workload trailer may be repeated or
// list several workloads separated by commas. Keys compare as git compares
// them, without case. Trailers are text anyone can write: they say what a
// commit claims to be, not who made it.
func ReadTrailers(msg string) (t Trailers, ok bool) {
	for _, tr := range gitstore.ParseTrailers(msg) {
		switch {
		case strings.EqualFold(tr.Key, TrailerMigration):
			if t.Migration == "" {
				t.Migration = tr.Value
			}
		case strings.EqualFold(tr.Key, TrailerWorkload):
			for w := range strings.SplitSeq(tr.Value, ",") {
				if w = strings.TrimSpace(w); w != "" && !slices.Contains(t.Workloads, w) {
					t.Workloads = append(t.Workloads, w)
				}
			}
		case strings.EqualFold(tr.Key, TrailerStage):
			if t.Stage == "" {
				t.Stage = tr.Value
			}
		}
	}
	return t, t.Migration != "" && len(t.Workloads) > 0 && t.Stage != ""
}

// Key is the trailers as one comparable string.
func (t Trailers) Key() string {
	return t.Migration + "\x00" + strings.Join(t.Workloads, ",") + "\x00" + t.Stage
}

// TrailerSeal carries ferry's seal of a commit: an HMAC, with a key only
// ferry holds, of the commit's first parent, its tree and its message
// without the seal. Trailers are text anyone can write; a seal is not.
const TrailerSeal = "Ferry-Seal"

// Seal returns the seal of a commit with parent, tree and message msg (the
// seal line, if any, left out).
func Seal(key []byte, parent, tree, msg string) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "ferry-seal-v1\x00%s\x00%s\x00%s", parent, tree, unsealed(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

// WithSeal returns body with the Ferry-Seal trailer as its last line.
func WithSeal(body, seal string) string {
	return strings.TrimRight(body, "\n") + "\n" + TrailerSeal + ": " + seal
}

// Sealed reports whether msg carries the seal of a commit with parent and
// tree, made with key.
func Sealed(key []byte, parent, tree, msg string) bool {
	if len(key) == 0 {
		return false
	}
	for _, tr := range gitstore.ParseTrailers(msg) {
		if strings.EqualFold(tr.Key, TrailerSeal) {
			return hmac.Equal([]byte(tr.Value), []byte(Seal(key, parent, tree, msg)))
		}
	}
	return false
}

// unsealed is msg without its seal lines.
func unsealed(msg string) string {
	var b strings.Builder
	for line := range strings.SplitAfterSeq(msg, "\n") {
		if k, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), TrailerSeal) {
			continue
		}
		b.WriteString(line)
	}
	return strings.TrimRight(b.String(), "\n")
}

// StageOf returns the commit sealed by ferry that commit c of a base
// branch's history is: c itself, or, for a reviewer's merge of ferry's
// branch (git merge, a merge commit), its second parent when that is
// sealed and the merge changes exactly what it changed. ok is false for
// anything else, whatever its trailers say.
func StageOf(repo *gitstore.Store, c *object.Commit, key []byte) (*object.Commit, bool) {
	if sealedCommit(c, key) {
		return c, true
	}
	return mergedStage(repo, c, key)
}

// sealedCommit reports whether c carries ferry's seal for its first
// parent and tree: ferry's commit, its squash or rebase, or a merge commit
// with ferry's message, on the base its branch was made on.
func sealedCommit(c *object.Commit, key []byte) bool {
	if len(c.ParentHashes) == 0 {
		return false
	}
	return Sealed(key, c.ParentHashes[0].String(), c.TreeHash.String(), c.Message)
}

// mergedStage returns the sealed stage commit that merge c brings in
// unchanged: its second parent, made on c's first parent, with c's tree.
func mergedStage(repo *gitstore.Store, c *object.Commit, key []byte) (*object.Commit, bool) {
	if len(c.ParentHashes) != 2 {
		return nil, false
	}
	p, err := repo.CommitObject(c.ParentHashes[1])
	if err != nil || len(p.ParentHashes) != 1 || !sealedCommit(p, key) {
		return nil, false
	}
	if p.ParentHashes[0] == c.ParentHashes[0] && p.TreeHash == c.TreeHash {
		return p, true
	}
	// Merged after the base moved on: the merge must change exactly
	// what the stage changed, file for file.
	mine, err1 := changeOf(repo, p.ParentHashes[0], p.Hash)
	theirs, err2 := changeOf(repo, c.ParentHashes[0], c.Hash)
	if err1 != nil || err2 != nil || !maps.Equal(mine, theirs) {
		return nil, false
	}
	return p, true
}

// changeOf maps each path that differs from commit a to commit b to its
// blob in b (the zero hash when b deletes it).
func changeOf(repo *gitstore.Store, a, b plumbing.Hash) (map[string]plumbing.Hash, error) {
	tree := func(h plumbing.Hash) (*object.Tree, error) {
		c, err := repo.CommitObject(h)
		if err != nil {
			return nil, err
		}
		return c.Tree()
	}
	ta, err := tree(a)
	if err != nil {
		return nil, err
	}
	tb, err := tree(b)
	if err != nil {
		return nil, err
	}
	changes, err := object.DiffTree(ta, tb)
	if err != nil {
		return nil, err
	}
	out := map[string]plumbing.Hash{}
	for _, ch := range changes {
		if ch.To.Name != "" {
			out[ch.To.Name] = ch.To.TreeEntry.Hash
		}
		if ch.From.Name != "" && ch.To.Name != ch.From.Name {
			if _, ok := out[ch.From.Name]; !ok {
				out[ch.From.Name] = plumbing.ZeroHash
			}
		}
	}
	return out, nil
}
