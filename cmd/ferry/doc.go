// Command ferry moves Kubernetes workloads from one cluster to another with
// zero downtime, by editing the GitOps deployment repo that Argo CD or Flux
// applies, one small auto-merged pull request per step.
//
// The command is a thin client of ferry's packages: it parses flags, calls a
// package, prints the result and sets the exit status: 0 fine, 1 a violation
// or a failed step, 2 bad usage or bad input.
//
// Usage:
//
//	ferry [--version] [--help]
//
// No commands exist yet; status, plan, run, check, verify, history and demo
// arrive with the packages that implement them.
package main
