// A race-built binary reserves more address space than the ceiling this
// test sets, so it runs in `make test`'s plain `go test`, as the
// real-kill tests do.

//go:build !race

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/ferry-dev/ferry/fixtures"
)

// ceilingKiB is the address-space limit every command runs under: 1 GiB.
// A Go process reserves about 700 MiB of it before it allocates anything.
const ceilingKiB = 1 << 20

// TestMemoryCeiling runs every command as a process of its own under a
// 1 GiB address-space limit (ulimit -v) on a repo where one service
// owner's overlay pulls a YAML alias bomb (nine nested anchors: 10^9
// nodes expanded) and another's a 50 MB file, through a symlink. Each
// command must finish: the two files named, the other workloads planned,
// and the exit status of the README's contract.
func TestMemoryCeiling(t *testing.T) {
	t.Parallel()
	ferry := ferryOnPath(t)
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to set the limit with")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	if err := fixtures.WriteRepo(dir, "appset-httproute"); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "Deployment repo")

	// The change that nobody gated: a bomb in search-api's base, and a
	// 50 MB ConfigMap that event-consumer's base reaches by a symlink.
	git(t, dir, "checkout", "-q", "-b", "change")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("apps/search-api/base/bomb.yaml", aliasBomb())
	addResource(t, dir, "apps/search-api/base/kustomization.yaml", "bomb.yaml")
	os.MkdirAll(filepath.Join(dir, "shared"), 0o755)
	write("shared/huge.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n  x: \""+strings.Repeat("x", 50<<20)+"\"\n")
	if err := os.Symlink("../../../shared/huge.yaml", filepath.Join(dir, "apps/event-consumer/base/huge.yaml")); err != nil {
		t.Fatal(err)
	}
	addResource(t, dir, "apps/event-consumer/base/kustomization.yaml", "huge.yaml")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "Service owners' change")

	if cgo() {
		// With cgo, the C library gives each thread an 8 MiB stack, and
		// the address-space limit counts them all: a handful of threads
		// take what the heap has left. ferry's releases are built without
		// cgo, and make test builds this test so; otherwise it builds
		// such a ferry of its own.
		ferry = filepath.Join(t.TempDir(), "ferry")
		build := exec.Command("go", "build", "-o", ferry, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build without cgo: %v\n%s", err, out)
		}
	}
	limits := fmt.Sprintf("ulimit -v %d", ceilingKiB)
	bomb, huge := "apps/search-api/base/bomb.yaml", "apps/event-consumer/base/huge.yaml"
	limited := func(args ...string) (int, string) {
		t.Helper()
		code, out := runFerry(t, "/bin/sh", append([]string{"-c", limits + ` && exec "$@"`, "sh", ferry}, args...), nil)
		if strings.Contains(out, "out of memory") || strings.Contains(out, "fatal error") {
			t.Fatalf("ferry %s ran out of memory under the ceiling:\n%.2000s", strings.Join(args, " "), out)
		}
		return code, out
	}
	expect := func(code int, out string, wantCode int, want ...string) {
		t.Helper()
		if code != wantCode {
			t.Errorf("exit %d, want %d\n%s", code, wantCode, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("output does not name %q:\n%s", w, out)
			}
		}
	}

	t.Run("check", func(t *testing.T) {
		code, out := limited("check", "-C", dir, "--base", "main")
		expect(code, out, 1, bomb, huge)
	})

	// The change lands on main as it is.
	git(t, dir, "checkout", "-q", "main")
	git(t, dir, "merge", "-q", "--ff-only", "change")

	t.Run("plan", func(t *testing.T) {
		code, out := limited("plan", "-C", dir)
		expect(code, out, 1, bomb, huge)
		if !regexp.MustCompile(`(?m)^\S+\s+playlist-api\s+not-started\s+0%\s+pin$`).MatchString(out) {
			t.Errorf("playlist-api is not planned to pin:\n%s", out)
		}
	})
	t.Run("status", func(t *testing.T) {
		code, out := limited("status", "-C", dir)
		expect(code, out, 0, "search-api", "event-consumer", "playlist-api")
	})
	t.Run("verify", func(t *testing.T) {
		code, out := limited("verify", "-C", dir)
		expect(code, out, 1, "Service owners' change", "search-api", "event-consumer")
	})
	t.Run("history", func(t *testing.T) {
		code, out := limited("history", "-C", dir)
		expect(code, out, 0)
	})
	t.Run("run", func(t *testing.T) {
		code, out := limited("run", "-C", dir)
		expect(code, out, 1, bomb, huge)
		if log := git(t, dir, "log", "--format=%s", "main"); !strings.Contains(log, "playlist-api") {
			t.Errorf("run made no stage for playlist-api; main's log:\n%s", log)
		}
	})
}

// cgo reports whether this binary was built with cgo.
func cgo() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "CGO_ENABLED" {
			return s.Value == "1"
		}
	}
	return false
}

// aliasBomb is a ConfigMap whose data nine nested anchors blow up to 10^9
// nodes.
func aliasBomb() string {
	b := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nx:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		b += fmt.Sprintf("  a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	return b + "data:\n  k: v\n"
}

// addResource lists res first under resources: in the kustomization file
// name of dir.
func addResource(t *testing.T, dir, name, res string) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := strings.CutPrefix(string(b), "resources:\n")
	if i := strings.Index(string(b), "\nresources:\n"); !ok && i >= 0 {
		s, ok = string(b[:i])+"\nresources:\n"+"- "+res+"\n"+string(b[i+len("\nresources:\n"):]), true
	} else if ok {
		s = "resources:\n- " + res + "\n" + s
	}
	if !ok {
		t.Fatalf("%s has no block resources list:\n%s", name, b)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
