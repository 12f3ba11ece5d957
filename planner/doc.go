// Package planner decides the next step of every migration.
//
// It will take plain data in (the state of each workload as package gitops
// describes it, the Migration, the history of ferry's merged steps, the
// health the clusters report, and the current time) and return a Plan: for
// each workload its stage (validate, pin, deploy, shift-N, cleanup, unpin,
// or rollback, undeploy), the next action, or why it waits. A Plan is plain,
// sorted data that can be printed, diffed and golden-tested.
//
// planner is pure. It does no I/O, imports neither go-git nor go-github, and
// never reads a clock: time is an input. The stage of a workload is derived
// again on every run, so the same inputs always give the same Plan.
package planner
