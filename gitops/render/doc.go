// Package render renders kustomize overlays in-process, the way the GitOps
// controllers that apply them do.
//
// A [Renderer] runs kustomize's krusty on an overlay directory of an [io/fs.FS]
// (a git commit's tree, a directory on disk, an in-memory tree in tests) with
// the options Flux's kustomize-controller uses: no load restrictions, no exec,
// Go or container plugins, no helm. Nothing is fetched: a remote base, a
// plugin or a helm chart makes the overlay unverifiable ([*UnverifiableError])
// rather than broken ([*BuildError]).
//
// The fs.FS is adapted to kustomize's file system read-only and in place (the
// repo is never copied), and every file, directory listing and existence check
// the build makes is recorded with a content hash. A later Build of the same
// overlay re-hashes only those paths in the fs.FS it is given; when they are
// equal the cached result is returned without running kustomize. The same
// overlay at the same content therefore renders once, even across commits.
//
// krusty is not safe for concurrent use (kustomize issue #3659, and it sets
// process-wide OpenAPI state), so builds are serialized process-wide; cache
// lookups run concurrently.
package render
