// Package targets reads and edits the registrations that hand a
// (workload, cluster) pair to Argo CD or Flux, in the three shapes ferry
// supports:
//
//   - argocd-applicationset: one ApplicationSet per workload whose single
//     list generator has one element per cluster (ApplicationSet);
//   - argocd-application: one Argo CD Application file per pair (PerPair);
//   - flux-kustomization: one Flux Kustomization file per pair (PerPair).
//
// A target's registration is derived from the source's by text
// substitution (a Subst built from the cluster inventory), so whatever
// convention the repo follows carries over. Every edit of an existing file
// goes through package rewrite, so a pull request changes only the lines of
// the element it adds or removes. Removal says whether removing a
// registration deletes the workload's resources from the cluster, with the
// file:line facts, so a pull request can say so.
//
// Shapes ferry cannot edit safely (an ApplicationSet with a cluster, git,
// matrix or other generator, more than one generator, or a list filled
// from elementsYaml) are refused with an *UnsupportedError.
package targets
