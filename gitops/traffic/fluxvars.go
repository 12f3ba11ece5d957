package traffic

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// Vars is the Flux Kustomization that applies a route and substitutes the
// ${VAR} weights in it after the build (spec.postBuild.substitute).
type Vars struct {
	// File holds the Flux Kustomization.
	File File
	// Name is the metadata.name of the Kustomization; it may be empty when
	// File holds only one Flux Kustomization.
	Name string
}

// Conditions a *VarError wraps.
var (
	// ErrVarUndefined: the variable is in neither substitute nor
	// substituteFrom, and has no default.
	ErrVarUndefined = errors.New("the variable is not defined")
	// ErrVarExternal: the variable may come from a ConfigMap or Secret of
	// substituteFrom, which ferry cannot see or change.
	ErrVarExternal = errors.New("the variable comes from substituteFrom")
	// ErrVarUnsupported: the weight is more than one variable, or its
	// value is not a whole number, or the variable is shared by clusters
	// that are to get different weights.
	ErrVarUnsupported = errors.New("the weight variable cannot be used")
)

// ErrFluxVar reports that a weight to change is a Flux variable, whose
// value lives in the Kustomization: Route.SetFiles changes it there, Set
// refuses.
var ErrFluxVar = errors.New("the weight is a Flux variable set in the Kustomization")

// A VarError reports a weight written as a Flux ${VAR} whose value ferry
// cannot read or change. File and Line locate the weight.
type VarError struct {
	File   string
	Line   int
	Var    string
	Reason string
	Err    error // ErrVarUndefined, ErrVarExternal or ErrVarUnsupported
}

func (e *VarError) Error() string {
	return fmt.Sprintf("%s:%d: weight ${%s}: %s", e.File, e.Line, e.Var, e.Reason)
}

func (e *VarError) Unwrap() error { return e.Err }

// varRef matches a weight that is exactly one Flux post-build variable,
// with an optional default: ${X}, ${X:=10}, ${X:-10}, ${X=10}, ${X-10}.
var varRef = regexp.MustCompile(`^\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[=-])([^}]*))?\}$`)

// A varUse is a weight written as a variable.
type varUse struct {
	name, def string
	hasDef    bool
}

func parseVar(s string) (varUse, bool) {
	m := varRef.FindStringSubmatch(s)
	if m == nil {
		return varUse{}, false
	}
	return varUse{name: m[1], def: m[3], hasDef: m[2] != ""}, true
}

// fluxKS is the parsed postBuild of a Flux Kustomization.
type fluxKS struct {
	file       string
	doc        int
	substitute *yaml.Node // the substitute mapping; nil when absent
	from       *yaml.Node // the substituteFrom sequence; nil when absent
}

func (v *Vars) load() (*fluxKS, error) {
	docs, err := roots(v.File.Name, v.File.Data)
	if err != nil {
		return nil, err
	}
	var found []*fluxKS
	for doc, root := range docs {
		if rewrite.Scalar(rewrite.Get(root, "kind")) != "Kustomization" || !strings.HasPrefix(rewrite.Scalar(rewrite.Get(root, "apiVersion")), "kustomize.toolkit.fluxcd.io/") {
			continue
		}
		if v.Name != "" && rewrite.Scalar(rewrite.Get(root, "metadata", "name")) != v.Name {
			continue
		}
		ks := &fluxKS{file: v.File.Name, doc: doc, from: rewrite.Get(root, "spec", "postBuild", "substituteFrom")}
		if s := rewrite.Get(root, "spec", "postBuild", "substitute"); s != nil && s.Kind == yaml.MappingNode {
			ks.substitute = s
		}
		found = append(found, ks)
	}
	switch {
	case len(found) == 0 && v.Name != "":
		return nil, fmt.Errorf("%s: no Flux Kustomization %s", v.File.Name, v.Name)
	case len(found) == 0:
		return nil, fmt.Errorf("%s: no Flux Kustomization", v.File.Name)
	case len(found) > 1:
		return nil, fmt.Errorf("%s: %d Flux Kustomizations; name the one that applies the route", v.File.Name, len(found))
	}
	return found[0], nil
}

// A binding is where the value of a variable weight comes from.
type binding struct {
	v     varUse
	line  int  // the substitute entry's line; 0 when the default applies
	exist bool // the variable is in substitute
}

// resolve returns the value of the variable weight u at name:line.
func (k *fluxKS) resolve(name string, line int, raw string) (int, binding, error) {
	u, ok := parseVar(raw)
	if !ok {
		return 0, binding{}, &VarError{File: name, Line: line, Var: strings.Trim(raw, "${}"), Err: ErrVarUnsupported,
			Reason: fmt.Sprintf("%q is not one ${VAR}, ${VAR:=default} or a whole number", raw)}
	}
	b := binding{v: u}
	fail := func(err error, format string, a ...any) (int, binding, error) {
		return 0, b, &VarError{File: name, Line: line, Var: u.name, Reason: fmt.Sprintf(format, a...), Err: err}
	}
	value := u.def
	if k.substitute != nil {
		for i := 0; i+1 < len(k.substitute.Content); i += 2 {
			if k.substitute.Content[i].Value == u.name {
				val := k.substitute.Content[i+1]
				b.exist, b.line, value = true, val.Line, val.Value
			}
		}
	}
	if !b.exist {
		switch {
		case k.from != nil && len(k.from.Content) > 0:
			return fail(ErrVarExternal, "not in spec.postBuild.substitute of %s, so it may come from substituteFrom (line %d), a ConfigMap or Secret ferry cannot see", k.file, k.from.Line)
		case !u.hasDef:
			return fail(ErrVarUndefined, "not defined in spec.postBuild.substitute of %s and has no default", k.file)
		}
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		where := "its default"
		if b.exist {
			where = fmt.Sprintf("%s:%d", k.file, b.line)
		}
		return fail(ErrVarUnsupported, "its value %q (%s) is not a whole number >= 0", value, where)
	}
	return n, b, nil
}

// edit is the change to the Kustomization that gives the variable of b
// the value want.
func (k *fluxKS) edit(b binding, want int) rewrite.Edit {
	at := rewrite.Path{Doc: k.doc, Steps: []rewrite.Step{rewrite.Key("spec"), rewrite.Key("postBuild"), rewrite.Key("substitute")}}
	if b.exist {
		return rewrite.Set{Path: at.Child(rewrite.Key(b.v.name)), Value: strconv.Itoa(want)}
	}
	// Flux's substitute values are strings.
	return rewrite.Insert{Path: at, Key: b.v.name, Value: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: strconv.Itoa(want)}}
}
