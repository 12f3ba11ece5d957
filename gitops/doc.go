// Package gitops reads and describes a GitOps deployment repo, the only
// state ferry has.
//
// It will provide the repo's configuration (ferry.yaml), the cluster
// inventory (clusters.yaml) and the Migration files; the workloads the
// configuration names and, for each one, its overlays, its Argo CD or Flux
// registrations, its traffic weights and its pin marker; the adapters that
// read and change those (targets, traffic, pin) for each supported kind; the
// derivation of a target cluster's overlay and registration from the source
// cluster's; kustomize rendering; and validation of all of it, with errors
// that name the file and line.
//
// gitops reads git through go-git at the object level (trees, blobs and
// commits), so it can describe any commit without a checkout. It changes
// files only through package rewrite, so every edit is byte-minimal.
package gitops
