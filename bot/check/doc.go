// Package check proves the invariants of DESIGN.md section 6 on a change of
// a deployment repo, from one commit's tree to another's, per workload:
//
//  1. weights are whole numbers >= 0 and at least one cluster that serves
//     the workload (has its overlay and its registration) has weight > 0;
//     a running workload that had weights still has them;
//  2. a cluster with weight > 0 has the workload's overlay and registration;
//  3. deploy before traffic: a change never raises a cluster's weight above 0
//     in the same change that registers the workload there;
//  4. drain before removal: a change removes a registration or an overlay
//     only where the weight already was 0;
//  5. a workload pinned by a Migration changes only in commits that carry
//     that Migration's trailers (Ferry-Migration and Ferry-Workload), its
//     pin comes and goes only in such commits, and the Migration is not
//     removed while it pins the workload;
//  6. every overlay the change touches still builds, and so does every
//     kustomization of the repo that reads a changed file (a parent list of
//     registrations, an overlay through a shared component), unless it did
//     not build before either; and no Flux Kustomization or Argo CD
//     Application applies a directory the change removes.
//
// [Change] checks one change (a pull request: its base and its head),
// [History] every commit of a branch's first-parent history, oldest first,
// stopping at the first that breaks an invariant.
//
// Only the workloads whose files the change touches are checked (every
// workload when ferry.yaml or the inventory changes), so a violation that
// is already on the base branch does not block unrelated changes; History
// finds the commit that introduced it. A base tree without ferry.yaml (the
// root commit, or a repo that adopts ferry) has no state to compare with:
// only rules 1, 2 and 6 apply to such a change.
package check
