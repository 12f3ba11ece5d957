package gitops

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"
)

// Substitution rewrites the strings of one cluster into another's: the
// cluster's name and each of its inventory values become the target's name
// and value for the same key (and, for one workload, its values of that
// workload). A value is replaced only as a whole word (not inside
// gke-eu-10 when replacing gke-eu-1), longest first.
//
// A source string that two keys share but the target tells apart (the
// cluster's name and its Argo CD destination, equal on the source) is
// ambiguous: it is left as it is, and Ambiguous reports where it occurs,
// so the stage is refused rather than made with a guess.
type Substitution struct {
	From, To  string
	pairs     []pair
	ambiguous map[string][]pair // by source string, the pairs that disagree
	met       map[string]bool   // the ambiguous strings Replace met
	inside    *Replacement      // the first dotted name Replace met a dot-less value in
	inv       *Inventory
}

type pair struct{ key, old, new string }

// A Replacement is one substitution made in a derived file.
type Replacement struct {
	File string
	Line int
	Key  string // "name", a value's key, or workloads.W.key
	Old  string
	New  string
	// Within is the dotted name (a host, an email) the replacement is
	// part of, for a reviewer to check that the target's exists.
	Within string
}

func (r Replacement) String() string {
	if r.Within != "" {
		return fmt.Sprintf("%s:%d: %s: %s → %s, inside %s", r.File, r.Line, r.Key, r.Old, r.New, r.Within)
	}
	return fmt.Sprintf("%s:%d: %s: %s → %s", r.File, r.Line, r.Key, r.Old, r.New)
}

// NewSubstitution returns the substitution from cluster from to cluster to
// of the inventory.
func (inv *Inventory) NewSubstitution(from, to string) (*Substitution, error) {
	return inv.NewSubstitutionFor("", from, to)
}

// NewSubstitutionFor is NewSubstitution for workload, with its values of
// the workloads section. A value the source has for the workload and the
// target lacks is an error naming clusters.yaml's line of the target.
func (inv *Inventory) NewSubstitutionFor(workload, from, to string) (*Substitution, error) {
	src, ok := inv.Cluster(from)
	if !ok {
		return nil, fmt.Errorf("%w: cluster %q is not in the inventory", ErrUnknownName, from)
	}
	dst, ok := inv.Cluster(to)
	if !ok {
		return nil, fmt.Errorf("%w: cluster %q is not in the inventory", ErrUnknownName, to)
	}
	s := &Substitution{From: from, To: to, inv: inv}
	all := []pair{{"name", from, to}}
	for _, k := range slices.Sorted(maps.Keys(src.Values)) {
		if v := src.Values[k]; v != "" {
			all = append(all, pair{k, v, dst.Values[k]})
		}
	}
	if workload != "" {
		wv := src.Workloads[workload]
		for _, k := range slices.Sorted(maps.Keys(wv)) {
			nv, ok := dst.Workloads[workload][k]
			if !ok {
				return nil, &InputError{File: inv.file, Line: dst.line, Err: fmt.Errorf("%w: cluster %q has no value %s for workload %s, which %s has", ErrMissingField, to, k, workload, from)}
			}
			if wv[k] != "" {
				all = append(all, pair{"workloads." + workload + "." + k, wv[k], nv})
			}
		}
	}
	// One source string, two target strings: ambiguous. One source
	// string, one target string under several keys: one pair.
	byOld := map[string][]pair{}
	for _, p := range all {
		byOld[p.old] = append(byOld[p.old], p)
	}
	for old, ps := range byOld {
		if slices.ContainsFunc(ps, func(p pair) bool { return p.new != ps[0].new }) {
			if s.ambiguous == nil {
				s.ambiguous = map[string][]pair{}
			}
			s.ambiguous[old] = ps
			continue
		}
		if ps[0].old != ps[0].new {
			s.pairs = append(s.pairs, ps[0])
		}
	}
	slices.SortFunc(s.pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(len(b.old), len(a.old)), strings.Compare(a.old, b.old))
	})
	return s, nil
}

// Ambiguous returns an error naming the first line of data (file name)
// that holds a source string the target tells apart under two keys, or
// nil.
func (s *Substitution) Ambiguous(name string, data []byte) error {
	if len(s.ambiguous) == 0 {
		return nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		for _, old := range slices.Sorted(maps.Keys(s.ambiguous)) {
			if !containsWord(line, old) {
				continue
			}
			ps := s.ambiguous[old]
			var alts []string
			for _, p := range ps {
				alts = append(alts, fmt.Sprintf("%s %q (%s)", s.To, p.new, p.key))
			}
			return &InputError{File: name, Line: i + 1, Err: fmt.Errorf("%w: %q is %s on %s, which become %s: ferry cannot tell which this line means; give the values different strings on %s in clusters.yaml", ErrAmbiguous, old, keysOf(ps), s.From, strings.Join(alts, " and "), s.From)}
		}
	}
	return nil
}

// Err reports the first ambiguous string Replace met, or else the first
// dot-less value it met inside a dotted name (see InsideName), naming the
// source cluster's entry in clusters.yaml; nil when it met neither.
func (s *Substitution) Err() error {
	if len(s.met) == 0 && s.inside != nil {
		src, _ := s.inv.Cluster(s.From)
		r := s.inside
		return &InputError{File: s.inv.file, Line: src.line, Err: fmt.Errorf("%w: %q (%s of %s) is part of %q in a registration, and nothing says %s has the name it would become; give each cluster the whole name, or its domain, as a value, which is then replaced whole", ErrInsideName, r.Old, r.Key, s.From, r.Within, s.To)}
	}
	if len(s.met) == 0 {
		return nil
	}
	old := slices.Min(slices.Collect(maps.Keys(s.met)))
	ps := s.ambiguous[old]
	var alts []string
	for _, p := range ps {
		alts = append(alts, fmt.Sprintf("%q (%s)", p.new, p.key))
	}
	src, _ := s.inv.Cluster(s.From)
	return &InputError{File: s.inv.file, Line: src.line, Err: fmt.Errorf("%w: %q is %s on %s, which become %s on %s: ferry cannot tell which a derived file means; give the values different strings", ErrAmbiguous, old, keysOf(ps), s.From, strings.Join(alts, " and "), s.To)}
}

func keysOf(ps []pair) string {
	var ks []string
	for _, p := range ps {
		ks = append(ks, p.key)
	}
	return strings.Join(ks, " and ")
}

// extensions are the file name endings a source string may stand before:
// gke-eu-1.yaml is a file, gke-eu-1.internal a host.
var extensions = []string{"yaml", "yml", "json", "env", "txt", "conf", "cfg", "ini", "toml", "properties", "sh", "pem", "crt", "key", "xml", "tpl", "md"}

// inHostname reports whether the n bytes at i of text are part of a
// dotted name (api.gke-eu-1.example.com, europe-west1-docker.pkg.dev,
// sa@project-eu1.iam...), and returns the name; a file name
// (gke-eu-1.yaml) does not count. The cluster's name is refused there
// (see InsideName); a value is replaced, and the derivation says inside
// what.
func inHostname(text string, i, n int) (string, bool) {
	nameByte := func(c byte) bool { return isWordByte(c) || strings.IndexByte(".-_@", c) >= 0 }
	start, end := i, i+n
	for start > 0 && nameByte(text[start-1]) {
		start--
	}
	for end < len(text) && nameByte(text[end]) {
		end++
	}
	if start == i && end == i+n {
		return "", false // the value is the whole token
	}
	name := strings.Trim(text[start:end], ".-_@")
	if !strings.ContainsAny(name, ".@") {
		return "", false
	}
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 && slices.Contains(extensions, name[dot+1:]) {
		return "", false // a file: gke-eu-1.yaml, values.gke-eu-1.yaml
	}
	return name, true
}

// InsideName returns an error naming the first line of data (file name)
// where the cluster's name is part of a dotted name, or nil: gke-eu-1 in
// api.gke-eu-1.example.com would become a host nothing says exists. A
// cluster's name names the cluster; its values are what the inventory
// declares for replacing, so a value inside a dotted name (a region in a
// registry host, a project in a service account) is replaced. The cure is
// the whole name, or its domain, as a value of each cluster.
func (s *Substitution) InsideName(name string, data []byte) error {
	for _, r := range s.Explain(name, string(data)) {
		if r.Within != "" && r.Key == "name" {
			return &InputError{File: name, Line: r.Line, Err: fmt.Errorf("%w: %q (%s of %s) is part of %q, and nothing says %s has the name it would become; give each cluster the whole name, or its domain, as a value in clusters.yaml (values: {domain: …}), which is then replaced whole", ErrInsideName, r.Old, "the name", s.From, r.Within, s.To)}
		}
	}
	return nil
}

// freeText reports whether offset i of text is in prose: a comment, or a
// value with spaces in it ("note: old-school setup").
func freeText(text string, i int) bool {
	ls := strings.LastIndexByte(text[:i], '\n') + 1
	le := strings.IndexByte(text[i:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += i
	}
	line := text[ls:le]
	at := i - ls
	if c := strings.Index(line, "#"); c >= 0 && c < at && (c == 0 || line[c-1] == ' ' || line[c-1] == '\t') {
		return true
	}
	v := strings.Index(line, ": ")
	if v < 0 || v > at {
		return false
	}
	value := line[v+2:]
	if c := strings.Index(value, " #"); c >= 0 {
		value = value[:c]
	}
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "{") || strings.HasPrefix(value, "[") {
		return false // a flow collection, not prose
	}
	return strings.Contains(strings.Trim(value, `"'`), " ")
}

// plainWord reports whether s is letters only (old, blue, prod): a word
// prose may hold by chance, unlike gke-eu-1 or europe-west1.
func plainWord(s string) bool {
	for _, c := range s {
		if !unicode.IsLetter(c) {
			return false
		}
	}
	return s != ""
}

// containsWord reports whether old occurs in line as Replace would
// replace it.
func containsWord(line, old string) bool {
	for i := 0; i+len(old) <= len(line); i++ {
		if strings.HasPrefix(line[i:], old) && wordAt(line, i, len(old)) {
			return true
		}
	}
	return false
}

// wordAt reports whether the n bytes of text at i are a whole word.
func wordAt(text string, i, n int) bool {
	old := text[i : i+n]
	if i > 0 && isWordByte(text[i-1]) && isWordByte(old[0]) {
		return false
	}
	end := i + n
	return end >= len(text) || !isWordByte(text[end]) || !isWordByte(old[len(old)-1])
}

// Explain returns the replacements Replace makes in src, the source of the
// derived file name, by line.
func (s *Substitution) Explain(name, src string) []Replacement {
	var out []Replacement
	for n, line := range strings.Split(src, "\n") {
		for i := 0; i < len(line); {
			matched := false
			for _, p := range s.pairs {
				if strings.HasPrefix(line[i:], p.old) && wordAt(line, i, len(p.old)) {
					if freeText(line, i) && plainWord(p.old) {
						continue
					}
					r := Replacement{File: name, Line: n + 1, Key: p.key, Old: p.old, New: p.new}
					if host, ok := inHostname(line, i, len(p.old)); ok {
						r.Within = host
					}
					out = append(out, r)
					i, matched = i+len(p.old), true
					break
				}
			}
			if !matched {
				i++
			}
		}
	}
	return out
}

// Replace applies the substitution to s. An ambiguous string is left as
// it is, and remembered for Err.
func (s *Substitution) Replace(text string) string {
	var b strings.Builder
	last := 0
	for old := range s.ambiguous {
		if containsWord(text, old) {
			if s.met == nil {
				s.met = map[string]bool{}
			}
			s.met[old] = true
		}
	}
	for i := 0; i < len(text); {
		matched := false
		for _, p := range s.pairs {
			if strings.HasPrefix(text[i:], p.old) && wordAt(text, i, len(p.old)) {
				if freeText(text, i) && plainWord(p.old) {
					continue // a word in prose: left, and reported as a leftover
				}
				if host, ok := inHostname(text, i, len(p.old)); ok && p.key == "name" && s.inside == nil {
					s.inside = &Replacement{Key: p.key, Old: p.old, New: p.new, Within: host}
				}
				b.WriteString(text[last:i])
				b.WriteString(p.new)
				end := i + len(p.old)
				i, last, matched = end, end, true
				break
			}
		}
		if !matched {
			i++
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// Leftover is a source-cluster string still present in a derived file: a
// person should look at it, it may be a value the inventory does not know.
type Leftover struct {
	File  string
	Line  int
	Value string
}

func (l Leftover) String() string {
	return fmt.Sprintf("%s:%d: still mentions %q", l.File, l.Line, l.Value)
}

// Leftovers finds every source string of the substitution still in data,
// as a substring (so a value the word rule skipped is found too). Target
// values are masked first, so gke-eu-10 derived from gke-eu-1 is not
// reported as a leftover of gke-eu-1.
func (s *Substitution) Leftovers(name string, data []byte) []Leftover {
	var out []Leftover
	for i, line := range strings.Split(string(data), "\n") {
		masked := line
		for _, p := range s.pairs {
			if p.new != "" && strings.Contains(p.new, p.old) {
				masked = strings.ReplaceAll(masked, p.new, "\x00")
			}
		}
		for _, p := range s.pairs {
			if strings.Contains(masked, p.old) {
				out = append(out, Leftover{File: name, Line: i + 1, Value: p.old})
				break
			}
		}
	}
	return out
}

// File is a file of the repo, by slash path.
type File struct {
	Path string
	Data []byte
}

// Derived is a target overlay derived from a source overlay.
type Derived struct {
	Dir       string
	Files     []File // sorted by path
	Leftovers []Leftover
	// Explained are the replacements made, by derived file and line.
	Explained []Replacement
}

// DeriveOverlay derives workload w's overlay for cluster to from its
// overlay for cluster from: each file copied with the substitution applied
// to its path and content. Relative paths stay valid because the overlay
// template puts every cluster's overlay at the same depth. It does not
// build the result; see CheckBuild.
func (repo *Repo) DeriveOverlay(w *Workload, from, to string) (*Derived, error) {
	fsys := repo.fsys
	src, ok := w.Overlays[from]
	if !ok {
		return nil, fmt.Errorf("workload %s has no overlay for %s", w.Name, from)
	}
	dst := repo.Config.Expand(repo.Config.Overlay, w.Name, to)
	if repo.Config.SharedOverlay() {
		return &Derived{Dir: dst}, nil // the folder every cluster applies: nothing to derive
	}
	if _, ok := w.Overlays[to]; ok {
		return nil, fmt.Errorf("workload %s already has an overlay for %s (%s)", w.Name, to, dst)
	}
	sub, err := repo.Inventory.NewSubstitutionFor(w.Name, from, to)
	if err != nil {
		return nil, err
	}
	d := &Derived{Dir: dst}
	err = fs.WalkDir(fsys, src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type()&fs.ModeSymlink != 0 {
			return inputErr(p, 0, fmt.Errorf("%w: a symlink in an overlay cannot be derived", ErrMalformed))
		}
		if e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxFileSize {
			return inputErr(p, 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, info.Size()))
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if err := sub.Ambiguous(p, data); err != nil {
			return err
		}
		if err := sub.InsideName(p, data); err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, src+"/")
		name := path.Join(dst, sub.Replace(rel))
		out := []byte(sub.Replace(string(data)))
		d.Files = append(d.Files, File{Path: name, Data: out})
		d.Explained = append(d.Explained, sub.Explain(name, string(data))...)
		d.Leftovers = append(d.Leftovers, sub.Leftovers(name, out)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(d.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return d, nil
}

// CheckBuild renders overlay dir of the repo with the changes applied,
// and returns the build's error, if any.
func (r *Repo) CheckBuild(ctx context.Context, changes []Change, dir string) error {
	_, err := r.Build(ctx, Overlay(r.fsys, changes), dir)
	return err
}
