// Package bot carries out a plan from package planner.
//
// It will turn each planned action into a branch, one commit with ferry's
// trailers, and a pull request that explains itself, then merge it or enable
// auto-merge only for the exact head commit it pushed. It talks to a forge
// through a small interface that it owns, with two implementations: a local
// forge that merges each step into the repo's base branch at once, and
// GitHub. It also provides the health providers that gate each stage, such
// as the commit statuses that Argo CD or Flux report for each cluster.
package bot
