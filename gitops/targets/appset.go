package targets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// ApplicationSet is the argocd-applicationset shape: one ApplicationSet
// per workload, whose one list generator has one element per cluster. An
// element belongs to cluster c when one of its top-level scalar values is
// c exactly (cluster: gke-eu-1, name: gke-eu-1, ...).
type ApplicationSet struct {
	// Workload, when set, is the workload whose elements count, in a file
	// that holds many workloads' (one ApplicationSet per environment):
	// an element belongs to it when one of its top-level scalar values is
	// the workload's name (app: checkout).
	Workload string
}

// generators that ferry refuses, by their key in spec.generators[].
var unsupportedGenerators = map[string]string{
	"clusters":                "a cluster generator",
	"git":                     "a git generator",
	"matrix":                  "a matrix generator",
	"scmProvider":             "an scmProvider generator",
	"pullRequest":             "a pullRequest generator",
	"clusterDecisionResource": "a clusterDecisionResource generator",
	"plugin":                  "a plugin generator",
}

// appset is one ApplicationSet document with a supported list generator.
type appset struct {
	doc      document
	steps    []rewrite.Step // from the document to the list generator
	elements []*yaml.Node   // the list's elements, possibly none
	// overrides are a merge generator's other lists, whose elements
	// override the first's by the merge keys.
	overrides []override
}

// override is a list of a merge generator after its first.
type override struct {
	steps    []rewrite.Step
	elements []*yaml.Node
	keys     []string
}

// matches reports whether an override element applies to base element el:
// it has every merge key, with el's value.
func (o override) matches(ov, el *yaml.Node) bool {
	if len(o.keys) == 0 {
		return false
	}
	for _, k := range o.keys {
		v := rewrite.Get(ov, k)
		if v == nil || rewrite.Scalar(v) != rewrite.Scalar(rewrite.Get(el, k)) {
			return false
		}
	}
	return true
}

// element is one list element and the cluster it registers.
type element struct {
	set     *appset
	index   int
	node    *yaml.Node
	cluster string
	field   string // the top-level key whose value is the cluster
}

// path addresses the element by its cluster (elements[cluster=gke-eu-1],
// as a pull request shows it) or, where several elements name the
// cluster (a file of many workloads'), by its index.
func (e element) path() rewrite.Path {
	step := rewrite.Match(e.field, e.cluster)
	n := 0
	for _, el := range e.set.elements {
		if rewrite.Scalar(rewrite.Get(el, e.field)) == e.cluster {
			n++
		}
	}
	if n > 1 {
		step = rewrite.Index(e.index)
	}
	return rewrite.Path{Doc: e.set.doc.index, Steps: append(slices.Clone(e.set.steps), rewrite.Key("elements"), step)}
}

// appsets returns the ApplicationSets of src, or an *UnsupportedError for
// the first one ferry cannot edit.
func appsets(name string, src []byte) ([]*appset, error) {
	docs, err := parse(name, src)
	if err != nil {
		return nil, err
	}
	var out []*appset
	for _, d := range docs {
		if !isArgo(d.root, "ApplicationSet") {
			continue
		}
		spec := rewrite.Get(d.root, "spec")
		gens := rewrite.Get(spec, "generators")
		if gens == nil || gens.Kind != yaml.SequenceNode || len(gens.Content) == 0 {
			line := d.root.Line
			if k := keyOf(spec, "generators"); k != nil {
				line = k.Line
			} else if k := keyOf(d.root, "spec"); k != nil {
				line = k.Line
			}
			return nil, &UnsupportedError{File: name, Line: line, Shape: "an ApplicationSet without a generator list"}
		}
		if len(gens.Content) > 1 {
			return nil, &UnsupportedError{File: name, Line: gens.Content[1].Line, Shape: fmt.Sprintf("an ApplicationSet with %d generators", len(gens.Content))}
		}
		g := gens.Content[0]
		steps := []rewrite.Step{rewrite.Key("spec"), rewrite.Key("generators"), rewrite.Index(0)}
		a := &appset{doc: d}
		if m := rewrite.Get(g, "merge"); m != nil {
			// A merge outputs its first generator's parameters, the
			// others override them by mergeKeys: the first must be a
			// list for the repo to say which clusters there are.
			mg := rewrite.Get(m, "generators")
			if mg == nil || mg.Kind != yaml.SequenceNode || len(mg.Content) == 0 || rewrite.Get(mg.Content[0], "list") == nil {
				return nil, &UnsupportedError{File: name, Line: g.Line, Shape: "a merge generator whose first generator is not a list (the clusters come from outside the repo, such as Argo CD's cluster secrets by label)"}
			}
			keys := rewrite.Get(m, "mergeKeys")
			for i, o := range mg.Content[1:] {
				if l := rewrite.Get(o, "list"); l != nil {
					ov := override{steps: append(slices.Clone(steps), rewrite.Key("merge"), rewrite.Key("generators"), rewrite.Index(i+1), rewrite.Key("list"))}
					if els := rewrite.Get(l, "elements"); els != nil && els.Kind == yaml.SequenceNode {
						ov.elements = els.Content
					}
					if keys != nil {
						for _, k := range keys.Content {
							ov.keys = append(ov.keys, k.Value)
						}
					}
					a.overrides = append(a.overrides, ov)
				}
			}
			steps = append(steps, rewrite.Key("merge"), rewrite.Key("generators"), rewrite.Index(0))
			g = mg.Content[0]
		}
		if g.Kind != yaml.MappingNode {
			return nil, &UnsupportedError{File: name, Line: g.Line, Shape: "a generator that is not a mapping"}
		}
		for i := 0; i+1 < len(g.Content); i += 2 {
			k := g.Content[i]
			switch shape, bad := unsupportedGenerators[k.Value]; {
			case bad:
				return nil, &UnsupportedError{File: name, Line: k.Line, Shape: shape}
			case k.Value == "selector":
				return nil, &UnsupportedError{File: name, Line: k.Line, Shape: "a generator with a selector (it may filter out elements)"}
			case k.Value != "list":
				return nil, &UnsupportedError{File: name, Line: k.Line, Shape: fmt.Sprintf("a generator with field %q", k.Value)}
			}
		}
		list := rewrite.Get(g, "list")
		if list == nil || list.Kind != yaml.MappingNode {
			return nil, &UnsupportedError{File: name, Line: g.Line, Shape: "a list generator that is not a mapping"}
		}
		if k := keyOf(list, "elementsYaml"); k != nil {
			return nil, &UnsupportedError{File: name, Line: k.Line, Shape: "a list generator with elementsYaml"}
		}
		a.steps = append(steps, rewrite.Key("list"))
		if els := rewrite.Get(list, "elements"); els != nil {
			if els.Kind != yaml.SequenceNode {
				return nil, &UnsupportedError{File: name, Line: els.Line, Shape: "list elements that are not a sequence"}
			}
			a.elements = els.Content
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: want an Argo CD ApplicationSet (argoproj.io)", name, ErrWrongKind)
	}
	return out, nil
}

// clusterOf returns the cluster among clusters that el registers, and the
// key that says so; "" when none.
func clusterOf(name string, el *yaml.Node, clusters []string) (cluster, field string, err error) {
	if el.Kind != yaml.MappingNode {
		return "", "", nil
	}
	for i := 0; i+1 < len(el.Content); i += 2 {
		v := el.Content[i+1]
		if v.Kind != yaml.ScalarNode || !slices.Contains(clusters, v.Value) {
			continue
		}
		if cluster != "" && v.Value != cluster {
			return "", "", fmt.Errorf("%s:%d: %w: the list element names both %s and %s", name, el.Line, ErrAmbiguous, cluster, v.Value)
		}
		if cluster == "" {
			cluster, field = v.Value, el.Content[i].Value
		}
	}
	return cluster, field, nil
}

// find returns the element of each of clusters that is registered (for
// a.Workload, when set).
func (a ApplicationSet) find(name string, src []byte, clusters []string) (map[string]element, error) {
	sets, err := appsets(name, src)
	if err != nil {
		return nil, err
	}
	out := map[string]element{}
	for _, set := range sets {
		els, err := a.findIn(name, set, clusters)
		if err != nil {
			return nil, err
		}
		for c, e := range els {
			if prev, dup := out[c]; dup {
				return nil, fmt.Errorf("%s:%d: %w: a second list element for %s (the first is on line %d)", name, e.node.Line, ErrAmbiguous, c, prev.node.Line)
			}
			out[c] = e
		}
	}
	return out, nil
}

// findIn is find in one ApplicationSet's list.
func (a ApplicationSet) findIn(name string, set *appset, clusters []string) (map[string]element, error) {
	out := map[string]element{}
	for i, el := range set.elements {
		if a.Workload != "" && !names(el, a.Workload) {
			continue
		}
		c, field, err := clusterOf(name, el, clusters)
		if err != nil {
			return nil, err
		}
		if c == "" {
			continue
		}
		if prev, dup := out[c]; dup {
			return nil, fmt.Errorf("%s:%d: %w: a second list element for %s (the first is on line %d)", name, el.Line, ErrAmbiguous, c, prev.node.Line)
		}
		out[c] = element{set: set, index: i, node: el, cluster: c, field: field}
	}
	return out, nil
}

// Read returns the clusters among clusters (the inventory's names) that
// the file's list generator registers, each with the line of its element.
// Elements that name no cluster of the inventory are left out.
func (a ApplicationSet) Read(name string, src []byte, clusters []string) (map[string]Registration, error) {
	els, err := a.find(name, src, clusters)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Registration, len(els))
	for c, e := range els {
		out[c] = Registration{Cluster: c, File: name, Line: e.node.Line}
	}
	return out, nil
}

// Add registers cluster to by copying the element of cluster from, with
// subst applied to its text (comments and layout kept, including the
// comment lines just above it), after the last element of the same list.
// rewrite indents it and writes its dash like its siblings. It fails with
// ErrNotRegistered when from has no element, ErrRegistered when to has
// one, and ErrSubst when the copy does not name to, or still names from.
func (a ApplicationSet) Add(name string, src []byte, from, to string, subst Subst) ([]byte, []rewrite.Result, error) {
	els, err := a.find(name, src, []string{from, to})
	if err != nil {
		return nil, nil, err
	}
	if e, ok := els[to]; ok {
		return nil, nil, fmt.Errorf("%s:%d: %w: %s has a list element", name, e.node.Line, ErrRegistered, to)
	}
	e, ok := els[from]
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: no list element names %s", name, ErrNotRegistered, from)
	}
	text, err := elementText(name, src, e.node)
	if err != nil {
		return nil, nil, err
	}
	raw := subst(text)
	var copied yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &copied); err != nil || len(copied.Content) == 0 {
		return nil, nil, fmt.Errorf("%s:%d: %w: the copied element is not YAML: %v", name, e.node.Line, ErrSubst, err)
	}
	if a.Workload != "" && !names(copied.Content[0], a.Workload) {
		return nil, nil, fmt.Errorf("%s:%d: %w: the element of %s, substituted, no longer names %s", name, e.node.Line, ErrSubst, from, a.Workload)
	}
	if c, _, err := clusterOf(name, copied.Content[0], []string{from, to}); err != nil || c != to {
		return nil, nil, fmt.Errorf("%s:%d: %w: the element of %s, substituted, names %q, not %s", name, e.node.Line, ErrSubst, from, c, to)
	}
	at := e.path()
	at.Steps = at.Steps[:len(at.Steps)-1]
	edits := []rewrite.Edit{rewrite.Insert{Path: at, Raw: raw}}
	// A merge's overrides of from's element are copied for to as well:
	// the target must get what the source gets.
	for _, o := range e.set.overrides {
		for _, ov := range o.elements {
			if !o.matches(ov, e.node) {
				continue
			}
			text, err := elementText(name, src, ov)
			if err != nil {
				return nil, nil, err
			}
			edits = append(edits, rewrite.Insert{Path: rewrite.Path{Doc: e.set.doc.index, Steps: append(slices.Clone(o.steps), rewrite.Key("elements"))}, Raw: subst(text)})
		}
	}
	return rewrite.Apply(name, src, edits...)
}

// Remove deletes the element of cluster, with the comment lines attached
// to it. It fails with ErrNotRegistered when there is none.
func (a ApplicationSet) Remove(name string, src []byte, cluster string) ([]byte, []rewrite.Result, error) {
	els, err := a.find(name, src, []string{cluster})
	if err != nil {
		return nil, nil, err
	}
	e, ok := els[cluster]
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: no list element names %s", name, ErrNotRegistered, cluster)
	}
	edits := []rewrite.Edit{rewrite.Delete{Path: e.path()}}
	for _, o := range e.set.overrides {
		for i, ov := range o.elements {
			if o.matches(ov, e.node) {
				edits = append(edits, rewrite.Delete{Path: rewrite.Path{Doc: e.set.doc.index, Steps: append(slices.Clone(o.steps), rewrite.Key("elements"), rewrite.Index(i))}})
			}
		}
	}
	return rewrite.Apply(name, src, edits...)
}

// names reports whether one of the element's top-level scalar values is v.
func names(el *yaml.Node, v string) bool {
	if el.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(el.Content); i += 2 {
		if n := el.Content[i]; n.Kind == yaml.ScalarNode && n.Value == v {
			return true
		}
	}
	return false
}

// one returns cluster's element, or nil when there is none.
func (a ApplicationSet) one(name string, src []byte, cluster string) (*element, error) {
	els, err := a.find(name, src, []string{cluster})
	if err != nil {
		return nil, err
	}
	if e, ok := els[cluster]; ok {
		return &e, nil
	}
	return nil, nil
}

// Element returns the text of cluster's element, or nil when there is
// none: what registers the workload there.
func (a ApplicationSet) Element(name string, src []byte, cluster string) ([]byte, error) {
	e, err := a.one(name, src, cluster)
	if e == nil {
		return nil, err
	}
	text, err := elementText(name, src, e.node)
	return []byte(text), err
}

// Frame returns, as Canonical does, what Argo CD makes of cluster's
// element besides the element itself: the rest of the ApplicationSet (the
// template's destination and path) and the merge overrides that apply to
// it. Other clusters' elements are left out. It is nil when no element
// names cluster.
func (a ApplicationSet) Frame(name string, src []byte, cluster string) ([]byte, error) {
	e, err := a.one(name, src, cluster)
	if e == nil {
		return nil, err
	}
	skip := map[*yaml.Node]bool{}
	for _, el := range e.set.elements {
		skip[el] = true
	}
	var frame bytes.Buffer
	for _, o := range e.set.overrides {
		for _, ov := range o.elements {
			skip[ov] = true
			if o.matches(ov, e.node) {
				canonical(&frame, ov, nil)
			}
		}
	}
	canonical(&frame, e.set.doc.root, skip)
	return frame.Bytes(), nil
}

// Canonical returns the YAML data of src without its comments, styles and
// layout: two files with equal output hold equal data. Text that is not
// YAML is returned as it is.
func Canonical(src []byte) []byte {
	var w bytes.Buffer
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return w.Bytes()
			}
			return src
		}
		canonical(&w, &doc, nil)
	}
}

// canonical writes n's content to w, leaving out comments, styles and the
// nodes in skip: equal output is equal YAML data.
func canonical(w *bytes.Buffer, n *yaml.Node, skip map[*yaml.Node]bool) {
	if n == nil || skip[n] {
		return
	}
	if n.Kind == yaml.AliasNode {
		// Not expanded (nine nested aliases are a billion nodes): the
		// anchor's name stands for it.
		fmt.Fprintf(w, "*%q", n.Value)
		return
	}
	fmt.Fprintf(w, "%d %s %q [", n.Kind, n.ShortTag(), n.Value)
	for _, c := range n.Content {
		canonical(w, c, skip)
	}
	w.WriteString("]")
}

// Removal says whether removing a cluster's element deletes the workload's
// resources from that cluster: the ApplicationSet controller deletes the
// generated Application, with its resources (it sets the resources
// finalizer), unless spec.syncPolicy.preserveResourcesOnDeletion is true,
// or spec.syncPolicy.applicationsSync (create-only, create-update) keeps
// the Application itself.
func (ApplicationSet) Removal(name string, src []byte) (Removal, error) {
	sets, err := appsets(name, src)
	if err != nil {
		return Removal{}, err
	}
	var rs []Removal
	for _, a := range sets {
		rs = append(rs, appsetRemoval(name, a.doc.root))
	}
	return join(rs), nil
}

func appsetRemoval(name string, root *yaml.Node) Removal {
	spec := rewrite.Get(root, "spec")
	policy := rewrite.Get(spec, "syncPolicy")
	if v := rewrite.Get(policy, "applicationsSync"); v != nil {
		switch s := rewrite.Scalar(v); s {
		case "create-only", "create-update":
			return Removal{Deletes: false, Reason: fmt.Sprintf("%s:%d: spec.syncPolicy.applicationsSync is %s: removing a cluster's element does not delete its generated Application, which keeps the workload running on that cluster until someone deletes the Application", name, v.Line, s)}
		}
	}
	if v := rewrite.Get(policy, "preserveResourcesOnDeletion"); isTrue(v) {
		return Removal{Deletes: false, Reason: fmt.Sprintf("%s:%d: spec.syncPolicy.preserveResourcesOnDeletion is true: removing a cluster's element deletes its generated Application but keeps the workload's resources on that cluster", name, v.Line)}
	}
	line := root.Line
	if k := keyOf(spec, "syncPolicy"); k != nil {
		line = k.Line
	} else if k := keyOf(root, "spec"); k != nil {
		line = k.Line
	}
	return Removal{Deletes: true, Reason: fmt.Sprintf("%s:%d: spec.syncPolicy neither sets preserveResourcesOnDeletion nor limits applicationsSync: removing a cluster's element deletes its generated Application, and the resources finalizer the ApplicationSet controller sets deletes the workload's resources from that cluster", name, line)}
}

// join combines the removals of several registrations in one file.
func join(rs []Removal) Removal {
	if len(rs) == 1 {
		return rs[0]
	}
	var out Removal
	var reasons []string
	for _, r := range rs {
		out.Deletes = out.Deletes || r.Deletes
		reasons = append(reasons, r.Reason)
	}
	out.Reason = strings.Join(reasons, "; ")
	return out
}

// elementText returns the source text of a list element as it would be
// written at the top of a document: the comment lines directly above its
// dash, its first line from the element's column on, and the following
// lines that belong to it, dedented by that column.
func elementText(name string, src []byte, el *yaml.Node) (string, error) {
	lines := strings.Split(strings.TrimPrefix(string(src), "\ufeff"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	first, col := el.Line-1, el.Column-1
	if first >= len(lines) || col > len(lines[first]) {
		return "", fmt.Errorf("%s:%d: cannot locate the list element's text", name, el.Line)
	}
	// The dash is on the element's line ("- cluster: x") or alone on the
	// line before it.
	dash := first
	if strings.TrimSpace(lines[first][:col]) != "-" {
		if strings.TrimSpace(lines[first][:col]) != "" || first == 0 || strings.TrimSpace(lines[first-1]) != "-" {
			return "", fmt.Errorf("%s:%d: %w: the list element to copy is not an item of a block sequence (- ...), such as one inside [...]", name, el.Line, rewrite.ErrUnsupported)
		}
		dash = first - 1
	}
	dashIndent := indent(lines[dash])
	var head []string
	for j := dash - 1; j >= 0; j-- {
		l := lines[j]
		if !isComment(l) || indent(l) != dashIndent {
			break
		}
		head = append([]string{l[dashIndent:]}, head...)
	}
	body := []string{lines[first][col:]}
	for j := first + 1; j < len(lines); j++ {
		l := lines[j]
		if strings.TrimSpace(l) != "" && !isComment(l) && indent(l) < col {
			break
		}
		body = append(body, l)
	}
	// Blank lines and less indented comments at the end belong to what
	// follows.
	for len(body) > 1 {
		l := body[len(body)-1]
		if strings.TrimSpace(l) != "" && indent(l) >= col {
			break
		}
		body = body[:len(body)-1]
	}
	for i := 1; i < len(body); i++ {
		body[i] = body[i][min(indent(body[i]), col):]
	}
	return strings.Join(append(head, body...), "\n") + "\n", nil
}

func indent(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

func isComment(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "#") }
