// Package rewrite makes byte-minimal edits to YAML files.
//
// Every change ferry makes to a deployment repo ends as an edit here, and a
// person reads it in a pull request diff. So an edit never re-encodes a file:
// rewrite parses it with yaml.v3 only to locate nodes, splices the raw bytes
// of the planned lines, re-parses the result and requires it to equal the
// intended tree, and requires every changed line to lie in a planned span.
// Comments, blank lines, quoting, indentation, document markers, CRLF line
// endings, a byte order mark and a missing final newline all survive.
//
// Both parses take a fast path for the block YAML deployment repos are
// written in (block collections, one-line scalars and flow collections,
// literal and folded block scalars): a scanner that builds the nodes yaml.v3
// builds, and when verifying checks each node against the intended tree as
// it reads it. Anything else (anchors, tags, multi-line flow or plain
// scalars, escapes it does not know) goes to yaml.v3, which stays the
// reference: tests and fuzzing require the two to agree wherever the
// scanner takes a stream.
//
// An edit is one of [Set], [Delete], [Insert], [AddComment] and
// [RemoveComment], addressed by a [Path]. [Apply] plans every edit against
// the input, applies them together and returns the new bytes with one
// [Result] per change. When an edit cannot be made safely (an anchored node
// other aliases would see, a key that comes from a merge key, a flow
// collection spread over several lines, a file with duplicate keys), Apply
// returns an error that says why and changes nothing.
package rewrite
