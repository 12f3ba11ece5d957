package github_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	fake "github.com/ferry-dev/ferry/fixtures/github"
)

// TestMain reports, with -v, what of GitHub's API the package's tests
// made ferry use, every request and response of it judged against GitHub's
// published API description.
func TestMain(m *testing.M) {
	code := m.Run()
	if testing.Verbose() {
		ops, docs := fake.JudgedInProcess()
		fmt.Printf("GitHub's API description judged %d REST operations and %d GraphQL documents:\n\t%s\n", len(ops), docs, strings.Join(ops, "\n\t"))
	}
	os.Exit(code)
}
