package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/planner"
)

// The limits of the rendered diff in a pull request body. GitHub refuses a
// body longer than 65536 characters; the rest of the body needs some room.
const (
	maxBody        = 60 << 10 // bytes of the whole body
	maxObjectLines = 200      // diff lines shown per object
	diffContext    = 3        // unchanged lines around each change
	maxEditDist    = 2000     // beyond this many edits a diff is a rewrite
)

// overlayDiff is how one cluster's overlay renders before and after a stage.
type overlayDiff struct {
	Cluster string
	Dir     string
	// Added or Removed: the overlay is new, or deleted.
	Added, Removed bool
	// Err says why the overlay could not be rendered before or after.
	Err     error
	Objects []objectDiff // only the objects that differ
}

// objectDiff is one rendered object that the stage adds, removes or changes.
type objectDiff struct {
	ID             string // Kind/namespace/name
	Added, Removed int    // lines
	Diff           string // unified diff, without a header
}

// manifestDiffs renders the overlays of a's workload that the edit touches,
// before (the snapshot's tree) and after (with e.Changes), and diffs them object by
// object. An overlay is touched when a change is inside it; a change in the
// workload's directory outside every overlay (the base) touches them all.
// Changes elsewhere (registrations, traffic) touch none.
func (b *Bot) manifestDiffs(ctx context.Context, s *Snapshot, a planner.Action, e *gitops.Edit) []overlayDiff {
	w, ok := s.Repo.Workload(a.Workload)
	if !ok {
		return nil
	}
	dirs := map[string]string{} // cluster -> overlay directory
	for c, d := range w.Overlays {
		dirs[c] = d
	}
	for _, c := range append([]string{a.From}, a.To...) {
		if _, ok := dirs[c]; !ok && c != "" {
			dirs[c] = s.Repo.Config.OverlayDir(w.Name, c)
		}
	}
	touched := map[string]bool{}
	for _, ch := range e.Changes {
		inOverlay := false
		for c, d := range dirs {
			if under(ch.Path, d) || under(d, ch.Path) {
				touched[c], inOverlay = true, true
			}
		}
		if !inOverlay && under(ch.Path, w.Dir) {
			for c := range dirs {
				touched[c] = true
			}
		}
	}
	after := gitops.Overlay(s.Repo.FS(), e.Changes)
	var out []overlayDiff
	for _, c := range sortedKeys(touched) {
		d := overlayDiff{Cluster: c, Dir: dirs[c]}
		before, err1 := b.buildIfExists(ctx, s.Repo.FS(), d.Dir)
		now, err2 := b.buildIfExists(ctx, after, d.Dir)
		if err := errors.Join(err1, err2); err != nil {
			d.Err = err
			out = append(out, d)
			continue
		}
		if before == nil && now == nil {
			continue // neither before nor after: not an overlay of this workload
		}
		d.Added, d.Removed = before == nil, now == nil
		d.Objects = diffObjects(objectsOf(before), objectsOf(now))
		out = append(out, d)
	}
	return out
}

// under reports whether slash path p is dir or inside it.
func under(p, dir string) bool {
	return dir != "" && (p == dir || dir == "." || strings.HasPrefix(p, dir+"/"))
}

// buildIfExists renders the overlay at dir, or returns nil when fsys has
// no kustomization there.
func (b *Bot) buildIfExists(ctx context.Context, fsys fs.FS, dir string) (*render.Result, error) {
	found := false
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := fs.Stat(fsys, path.Join(dir, name)); err == nil {
			found = true
			break
		}
	}
	if !found {
		return nil, nil
	}
	return b.renderer.Build(ctx, fsys, dir)
}

// renderedObject is one object of a rendered overlay and its YAML.
type renderedObject struct {
	key, id string
	yaml    string
}

// objectsOf splits a rendered overlay into objects, each with the YAML
// kustomize printed for it; if the stream does not split into as many
// documents as there are objects, each object is marshalled on its own.
func objectsOf(r *render.Result) []renderedObject {
	if r == nil {
		return nil
	}
	docs := splitDocuments(r.YAML)
	out := make([]renderedObject, 0, len(r.Objects))
	for i, o := range r.Objects {
		var y string
		if len(docs) == len(r.Objects) {
			y = docs[i]
		} else if data, err := yaml.Marshal(o.Object); err == nil {
			y = string(data)
		} else {
			y = fmt.Sprintf("# cannot show the object: %v\n", err)
		}
		group, _, _ := strings.Cut(o.APIVersion, "/")
		if !strings.Contains(o.APIVersion, "/") {
			group = ""
		}
		id := o.Kind + "/" + o.Name
		if o.Namespace != "" {
			id = o.Kind + "/" + o.Namespace + "/" + o.Name
		}
		out = append(out, renderedObject{key: group + "|" + o.Kind + "|" + o.Namespace + "|" + o.Name, id: id, yaml: y})
	}
	return out
}

// splitDocuments splits a YAML stream at its "---" lines. A "---" inside a
// block scalar is indented, so only document separators start a line with it.
func splitDocuments(stream []byte) []string {
	var docs []string
	var cur bytes.Buffer
	for _, line := range bytes.SplitAfter(stream, []byte("\n")) {
		if t := bytes.TrimRight(line, "\r\n"); string(t) == "---" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.Write(line)
	}
	docs = append(docs, cur.String())
	return slices.DeleteFunc(docs, func(d string) bool { return strings.TrimSpace(d) == "" })
}

// diffObjects pairs the objects of two renderings by group, kind,
// namespace and name, and diffs each pair: objects only before are
// removed, only after added. The order is after's, then the removed ones
// in before's order.
func diffObjects(before, after []renderedObject) []objectDiff {
	old := map[string]renderedObject{}
	for _, o := range before {
		old[o.key] = o
	}
	seen := map[string]bool{}
	var out []objectDiff
	add := func(id, x, y string) {
		if x == y {
			return
		}
		text, plus, minus := unified(lines(x), lines(y), diffContext)
		out = append(out, objectDiff{ID: id, Added: plus, Removed: minus, Diff: text})
	}
	for _, o := range after {
		seen[o.key] = true
		add(o.id, old[o.key].yaml, o.yaml)
	}
	for _, o := range before {
		if !seen[o.key] {
			add(o.id, o.yaml, "")
		}
	}
	return out
}

// lines splits text into lines without their newlines.
func lines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// diffOp is one line of an edit script.
type diffOp struct {
	Kind byte // ' ' kept, '-' deleted from a, '+' inserted from b
	Line string
}

// diffLines returns a shortest edit script turning a into b (Myers' O(ND)
// algorithm), after trimming their common prefix and suffix. When more than
// maxEditDist edits would be needed, the differing middle is shown as
// deleted and inserted whole.
func diffLines(a, b []string) []diffOp {
	var out []diffOp
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		out = append(out, diffOp{' ', a[pre]})
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, diffOp{' ', l})
	}
	return out
}

func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return rewrite(a, b)
	}
	limit := min(n+m, maxEditDist)
	off := limit + 1
	v := make([]int, 2*limit+3)
	// trace[d] holds v[-d-1..d+1] as it was before round d.
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, slices.Clone(v[off-d-1:off+d+2]))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, n, m)
			}
		}
	}
	return rewrite(a, b)
}

// backtrack walks the saved rounds back from (x, y) = (n, m).
func backtrack(a, b []string, trace [][]int, x, y int) []diffOp {
	var rev []diffOp
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			rev = append(rev, diffOp{' ', a[x-1]})
			x, y = x-1, y-1
		}
		if d > 0 {
			if x == px {
				rev = append(rev, diffOp{'+', b[y-1]})
			} else {
				rev = append(rev, diffOp{'-', a[x-1]})
			}
			x, y = px, py
		}
	}
	slices.Reverse(rev)
	return rev
}

func rewrite(a, b []string) []diffOp {
	out := make([]diffOp, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, diffOp{'-', l})
	}
	for _, l := range b {
		out = append(out, diffOp{'+', l})
	}
	return out
}

// unified formats the diff of a and b as unified-diff hunks with context
// lines around each change, and counts the lines added and removed. Equal
// inputs give "".
func unified(a, b []string, context int) (text string, added, removed int) {
	ops := diffLines(a, b)
	var changed []int
	for i, op := range ops {
		switch op.Kind {
		case '+':
			added++
			changed = append(changed, i)
		case '-':
			removed++
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return "", 0, 0
	}
	var sb strings.Builder
	// Line numbers (1-based) in a and b before each op.
	ai, bi := make([]int, len(ops)+1), make([]int, len(ops)+1)
	ai[0], bi[0] = 1, 1
	for i, op := range ops {
		ai[i+1], bi[i+1] = ai[i], bi[i]
		if op.Kind != '+' {
			ai[i+1]++
		}
		if op.Kind != '-' {
			bi[i+1]++
		}
	}
	for i := 0; i < len(changed); {
		start := max(changed[i]-context, 0)
		j := i
		for j+1 < len(changed) && changed[j+1]-changed[j] <= 2*context {
			j++
		}
		end := min(changed[j]+context+1, len(ops))
		al, bl := ai[end]-ai[start], bi[end]-bi[start]
		as, bs := ai[start], bi[start]
		if al == 0 {
			as--
		}
		if bl == 0 {
			bs--
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", as, al, bs, bl)
		for _, op := range ops[start:end] {
			sb.WriteByte(op.Kind)
			sb.WriteString(op.Line)
			sb.WriteByte('\n')
		}
		i = j + 1
	}
	return sb.String(), added, removed
}

// writeManifestDiffs writes the rendered manifests section into sb, using
// at most budget bytes: one <details> block per object that differs.
func writeManifestDiffs(sb *strings.Builder, diffs []overlayDiff, budget int) {
	if len(diffs) == 0 {
		return
	}
	start := sb.Len()
	sb.WriteString("\n### Rendered manifests\n\n")
	var same []string
	for _, d := range diffs {
		if d.Err == nil && len(d.Objects) == 0 && !d.Added && !d.Removed {
			same = append(same, d.Cluster)
		}
	}
	if len(same) == len(diffs) {
		if len(same) == 1 {
			fmt.Fprintf(sb, "`kustomize build` renders the same on %s before and after.\n", same[0])
		} else {
			sb.WriteString("`kustomize build` renders the same on every cluster before and after.\n")
		}
		return
	}
	sb.WriteString("`kustomize build` of each overlay the stage touches, before and after, per object:\n\n")
	for _, d := range diffs {
		switch {
		case d.Err != nil:
			fmt.Fprintf(sb, "- `%s`: `%s` cannot be rendered: %s\n", d.Cluster, d.Dir, oneLine(d.Err.Error()))
		case d.Added:
			fmt.Fprintf(sb, "- `%s`: new overlay `%s`, %d objects\n", d.Cluster, d.Dir, len(d.Objects))
		case d.Removed:
			fmt.Fprintf(sb, "- `%s`: overlay `%s` removed, %d objects\n", d.Cluster, d.Dir, len(d.Objects))
		case len(d.Objects) == 0:
			fmt.Fprintf(sb, "- `%s`: renders the same\n", d.Cluster)
		default:
			fmt.Fprintf(sb, "- `%s`: %d objects change\n", d.Cluster, len(d.Objects))
		}
	}
	sb.WriteString("\n")
	total, shown := 0, 0
	for _, d := range diffs {
		total += len(d.Objects)
	}
	const note = "\n(truncated: %d more objects not shown; run `kustomize build` on the overlays to see them)\n"
	for _, d := range diffs {
		for _, o := range d.Objects {
			block := detailsBlock(d.Cluster, o)
			if sb.Len()-start+len(block)+len(note)+20 > budget {
				fmt.Fprintf(sb, note, total-shown)
				return
			}
			sb.WriteString(block)
			shown++
		}
	}
}

// detailsBlock folds one object's diff.
func detailsBlock(cluster string, o objectDiff) string {
	text := o.Diff
	if ls := strings.SplitAfter(text, "\n"); len(ls) > maxObjectLines+1 {
		text = strings.Join(ls[:maxObjectLines], "") + fmt.Sprintf("... (truncated: %d more lines)\n", len(ls)-1-maxObjectLines)
	}
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fmt.Sprintf("<details><summary>%s: %s (+%d -%d)</summary>\n\n%sdiff\n%s%s\n\n</details>\n\n",
		htmlEscape(cluster), htmlEscape(o.ID), o.Added, o.Removed, fence, text, fence)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
