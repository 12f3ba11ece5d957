// Package gitstore reads and writes a git repository at the object level,
// through go-git v5, without a worktree.
//
// ferry never checks files out. It reads a commit's tree as an [io/fs.FS]
// ([Store.FS]), builds the next commit from a list of [Change] values
// ([Store.Commit]), moves a branch with compare-and-swap ([Store.UpdateRef]) and
// pushes it with a lease ([Store.Push]). The repo's history is the only state,
// so [Store.Log] and [ParseTrailers] read it back.
//
// # Cost
//
// Nothing here scales with the number of files in the repository when one
// file changes. [Store.FS] decodes a tree only when a path goes through it and
// reads a blob only when its file is opened. [Store.Commit] reads and rewrites
// only the trees on the paths of the changes and writes only the new blobs;
// every other tree is reused by its hash. The cost of a commit is the sum of
// the sizes of the directories on the changed paths (a directory of 5,000
// entries is re-encoded in full when one of its entries changes, as git does).
//
// # Symlinks and submodules
//
// [Store.FS] follows a symlink whose target stays inside the tree, and refuses
// one that is absolute or climbs out of the root with a [*SymlinkError] that
// names the link (bad input, DESIGN.md section 8). ReadDir lists a symlink as
// a symlink ([io/fs.ModeSymlink]); opening, reading or stating it follows it.
// Submodules (gitlink entries) are skipped: they are not listed and do not
// exist for the FS, and [Store.Commit] refuses to write through or over one.
//
// # Refs
//
// [Store.UpdateRef] and [Store.Push] are compare-and-swap operations: they
// return an error wrapping [ErrRefMoved] instead of overwriting a ref that
// someone else moved, so a commit is never lost.
package gitstore
