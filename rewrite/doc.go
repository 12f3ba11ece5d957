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
// An edit is one of [Set], [Delete], [Insert], [AddComment] and
// [RemoveComment], addressed by a [Path]. [Apply] plans every edit against
// the input, applies them together and returns the new bytes with one
// [Result] per change. When an edit cannot be made safely (an anchored node
// other aliases would see, a key that comes from a merge key, a flow
// collection spread over several lines, a file with duplicate keys), Apply
// returns an error that says why and changes nothing.
package rewrite
