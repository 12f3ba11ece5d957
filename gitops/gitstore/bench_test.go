package gitstore

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// benchFiles returns a deployment repo of teams*perTeam workloads with ten
// files each: apps/team-T/w-W/{base/2 files, overlays/c-C/2 files for 4
// clusters}. Every size has the same depth.
func benchFiles(teams, perTeam int) map[string]file {
	files := map[string]file{}
	for t := range teams {
		for w := range perTeam {
			dir := fmt.Sprintf("apps/team-%02d/w-%03d", t, w)
			files[dir+"/base/kustomization.yaml"] = file{data: "resources: [deploy.yaml]\n"}
			files[dir+"/base/deploy.yaml"] = file{data: fmt.Sprintf("kind: Deployment\nname: w-%02d-%03d\n", t, w)}
			for c := range 4 {
				files[fmt.Sprintf("%s/overlays/c-%d/kustomization.yaml", dir, c)] = file{data: "resources: [../../base]\n"}
				files[fmt.Sprintf("%s/overlays/c-%d/patch.yaml", dir, c)] = file{data: fmt.Sprintf("cluster: c-%d\n", c)}
			}
		}
	}
	return files
}

// BenchmarkCommitOneChange commits one changed file to a new branch (Commit +
// UpdateRef) in a repo of 50 files and in one of 50,000 files of the same
// shape, and does the same with the git CLI (checkout -b, edit, add, commit)
// in a worktree of the 50,000 files. It reports the time of each and the
// ratios 50k/50 (does the cost grow with the repo?) and gitcli/ferry.
//
// ferry-50k-disk works on the CLI's own repository on disk, which is the fair
// comparison with the CLI; ferry-50 and ferry-50k are in memory.
func BenchmarkCommitOneChange(b *testing.B) {
	const changed = "overlays/c-1/patch.yaml"
	small := newMemRepo(b)
	smallBase := writeCommit(b, small.s, writeFiles(b, small.s, benchFiles(1, 5)), "50 files\n")
	bigFiles := benchFiles(50, 100)
	if len(bigFiles) != 50_000 {
		b.Fatalf("big repo has %d files", len(bigFiles))
	}
	big := newMemRepo(b)
	bigBase := writeCommit(b, big.s, writeFiles(b, big.s, bigFiles), "50k files\n")

	_, gitErr := exec.LookPath("git")
	var disk *Store
	var diskBase plumbing.Hash
	dir := b.TempDir()
	if gitErr == nil {
		for p, f := range bigFiles {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(f.data), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		gitCLI(b, dir, "init", "-q", "-b", "main")
		gitCLI(b, dir, "add", "-A")
		gitCLI(b, dir, "commit", "-q", "-m", "50k files")
		var err error
		if disk, err = Open(dir); err != nil {
			b.Fatal(err)
		}
		if diskBase, err = disk.Resolve("main"); err != nil {
			b.Fatal(err)
		}
	} else {
		b.Log("git CLI not found: skipping ferry-50k-disk and gitcli-50k")
	}

	ferryStep := func(r *Store, base plumbing.Hash, path string, i int) time.Duration {
		start := time.Now()
		data := []byte(fmt.Sprintf("cluster: c-1\nreplicas: %d\n", i))
		h, err := r.Commit(b.Context(), base, []Change{{Path: path, Data: data}}, meta(fmt.Sprintf("change %d\n", i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := r.UpdateRef(plumbing.NewBranchReferenceName(fmt.Sprintf("bench/%d", i)), plumbing.ZeroHash, h); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	cliStep := func(path string, i int) time.Duration {
		start := time.Now()
		gitCLI(b, dir, "checkout", "-q", "-b", fmt.Sprintf("cli/%d", i), "main")
		data := []byte(fmt.Sprintf("cluster: c-1\nreplicas: %d\n", i))
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), data, 0o644); err != nil {
			b.Fatal(err)
		}
		gitCLI(b, dir, "add", path)
		gitCLI(b, dir, "commit", "-q", "-m", fmt.Sprintf("change %d", i))
		return time.Since(start)
	}

	var tSmall, tBig, tDisk, tCLI time.Duration
	n := 0
	for b.Loop() {
		tSmall += ferryStep(small, smallBase, "apps/team-00/w-002/"+changed, n)
		tBig += ferryStep(big, bigBase, "apps/team-25/w-050/"+changed, n)
		if disk != nil {
			tDisk += ferryStep(disk, diskBase, "apps/team-25/w-050/"+changed, n)
			tCLI += cliStep("apps/team-25/w-050/"+changed, n)
		}
		n++
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	b.ReportMetric(per(tSmall), "ferry-50-ns/op")
	b.ReportMetric(per(tBig), "ferry-50k-ns/op")
	b.ReportMetric(per(tBig)/per(tSmall), "50k/50")
	if disk != nil {
		b.ReportMetric(per(tDisk), "ferry-50k-disk-ns/op")
		b.ReportMetric(per(tCLI), "gitcli-50k-ns/op")
		b.ReportMetric(per(tCLI)/per(tDisk), "gitcli/ferry")
		b.ReportMetric(per(tCLI)/per(tBig), "gitcli/ferry-mem")
	}
}

// BenchmarkPush pushes a commit of one changed file to a new branch of a
// remote whose main has 1 commit and one whose main has 2,000, to git's
// own receive-pack, and times finding what to send (missing) apart from
// the whole push. The ratios 2000/1 say whether the cost grows with the
// history (go-git's push read every tree of it).
func BenchmarkPush(b *testing.B) {
	type remote struct {
		url  string
		head plumbing.Hash
		r    *Store
	}
	sizes := []int{1, 2000}
	remotes := map[int]remote{}
	for _, n := range sizes {
		url, head := historyRemote(b, n-1)
		r, err := Clone(b.Context(), url, CloneOptions{})
		if err != nil {
			b.Fatal(err)
		}
		remotes[n] = remote{url, head, r}
	}
	per := map[string]time.Duration{}
	for _, what := range []string{"missing", "push"} {
		for _, n := range sizes {
			name := fmt.Sprintf("%s/history=%d", what, n)
			b.Run(name, func(b *testing.B) {
				rm := remotes[n]
				i := 0
				for b.Loop() {
					i++
					b.StopTimer()
					c, err := rm.r.Commit(b.Context(), rm.head, []Change{{Path: "apps/a1/deploy.yaml", Data: fmt.Appendf(nil, "%s %d\n", what, i)}}, meta("pin\n"))
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if what == "missing" {
						_, err = rm.r.missing(c, []plumbing.Hash{rm.head})
					} else {
						err = rm.r.Push(b.Context(), rm.url, nil, fmt.Sprintf("ferry/b/%d", i), plumbing.ZeroHash, c)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				per[name] = b.Elapsed() / time.Duration(b.N)
			})
		}
	}
	for _, what := range []string{"missing", "push"} {
		if lo, hi := per[what+"/history=1"], per[what+"/history=2000"]; lo > 0 && hi > 0 {
			b.Logf("%s: history 2000 / history 1 = %.2f (%v / %v)", what, float64(hi)/float64(lo), hi, lo)
		}
	}
}
