package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-dev/ferry/fixtures"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// A race-built ferry that scripts and TestRealKills start would wait
	// a second at exit for late race reports: thousands of seconds over
	// the package. Races still fail the process that finds them.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	testscript.Main(m, map[string]func(){
		"ferry": main,
	})
}

// update rewrites the files that cmp compares with: go test ./cmd/ferry -update.
var update = flag.Bool("update", false, "rewrite the scripts' expected output")

// TestScript runs the end-to-end scripts in testdata/script against the real
// ferry binary.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"fixture":  cmdFixture,
		},
	})
}

// cmdFixture implements "fixture NAME DIR": it writes the sample deployment
// repo NAME from package fixtures into DIR.
func cmdFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fixture NAME DIR")
	}
	ts.Check(fixtures.WriteRepo(ts.MkAbs(args[1]), args[0]))
}

// cmdExitCode implements "exitcode N program [args...]": it runs program like
// exec and fails unless it exits with status N. Its stdout and stderr are
// then checked with the stdout and stderr commands, as after exec.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad status %q: %v", args[0], err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
