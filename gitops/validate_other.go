//go:build !unix

package gitops

import "os/exec"

// ownGroup leaves cmd as it is: without process groups, cancellation kills
// the command alone.
func ownGroup(*exec.Cmd) {}
