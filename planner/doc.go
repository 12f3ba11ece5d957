// Package planner decides the next step of every migration.
//
// Make takes plain data in (the state of each workload as package gitops
// describes it, the Migrations, the history of ferry's merged steps, the
// health the clusters report, ferry's pull requests and the current time)
// and returns a Plan: for each workload its Phase, the next Action (pin,
// deploy, shift-N, cleanup, unpin, or rollback, undeploy, unpin) with the
// gates it passed, or why it waits. A Plan is plain, sorted data that can be
// printed (Plan.WriteText, encoding/json), diffed and golden-tested; the
// golden plans in testdata show every phase and every gate.
//
// planner is pure. It does no I/O, imports neither go-git nor go-github, and
// never reads a clock: time is an input. The stage of a workload is derived
// again on every run, so the same inputs always give the same Plan.
package planner
