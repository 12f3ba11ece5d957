package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
)

// includers is rule 6 beyond the workloads' overlays: every kustomization
// of the head tree that reads a changed path (a parent list of
// registrations, an overlay using a shared component, a cluster folder
// listing overlays) must still build, unless it did not build at base
// either; and no Flux Kustomization or Argo CD Application may apply a
// directory the change removes. built are the directories the workloads'
// checks built already; each kustomization and pointer checked counts as
// an invariant.
func (c *checker) includers(ctx context.Context, rep *Report, base, head *side, changed map[string]bool, built map[string]bool) error {
	paths := slices.Sorted(func(yield func(string) bool) {
		for p := range changed {
			if !yield(p) {
				return
			}
		}
	})
	in := gitops.NewIncludes(head.fsys)
	incs, err := in.All(paths)
	if err != nil {
		return err
	}
	for _, inc := range incs {
		if built[inc.Dir] || inc.Component {
			continue
		}
		rep.Invariants++
		_, err := c.r.Build(ctx, head.fsys, inc.Dir)
		var be *render.BuildError
		var ue *render.UnverifiableError
		switch {
		case err == nil:
			continue
		case errors.As(err, &ue):
			rep.Notes = append(rep.Notes, Note{Workload: owner(head, inc.Dir), Overlay: inc.Dir, Message: ue.Error()})
			continue
		case !errors.As(err, &be):
			return err
		}
		if _, berr := c.r.Build(ctx, base.fsys, inc.Dir); errors.As(berr, new(*render.BuildError)) {
			rep.Notes = append(rep.Notes, Note{Workload: owner(head, inc.Dir), Overlay: inc.Dir, Message: "does not build, as at base: " + be.Error()})
			continue
		}
		line := inc.Line
		if line == 0 {
			line = firstDiff(base.fsys, head.fsys, inc.File)
		}
		rep.Violations = append(rep.Violations, violation(cmp.Or(owner(head, inc.Dir), owner(head, inc.Via)), inc.File, line,
			"%s, which reads %s, no longer builds: %v", inc.File, inc.Via, be.Err))
	}
	// Only a directory the change removes can leave a pointer dangling;
	// most changes remove none, and need not read every registration.
	if !removesDir(base.fsys, head.fsys, paths) {
		return nil
	}
	ptrs, err := in.Pointers()
	if err != nil {
		return err
	}
	for _, p := range ptrs {
		if !changed[p.Path] && !slices.ContainsFunc(paths, func(c string) bool { return strings.HasPrefix(c, p.Path+"/") }) {
			continue
		}
		rep.Invariants++
		if exists(head.fsys, p.Path) || !exists(base.fsys, p.Path) {
			continue
		}
		rep.Violations = append(rep.Violations, violation(cmp.Or(owner(head, p.File), owner(base, p.Path)), p.File, p.Line,
			"%s %s applies %s, which the change removes", p.Kind, p.Name, p.Path))
	}
	return nil
}

// removesDir reports whether a directory holding one of paths at base is
// gone at head.
func removesDir(base, head fs.FS, paths []string) bool {
	for _, p := range paths {
		if exists(head, p) {
			continue
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if exists(head, d) {
				break
			}
			if exists(base, d) {
				return true
			}
		}
	}
	return false
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// violation is a rule 6 violation, of workload w when it is not "".
func violation(w, file string, line int, format string, args ...any) Violation {
	v := Violation{Rule: RuleBuilds, File: file, Line: line, Message: fmt.Sprintf(format, args...)}
	if w != "" {
		v.Workload = w
		v.Message = w + ": " + v.Message
	}
	return v
}

// owner is the workload whose folder holds p, or that p registers on a
// cluster; "" when none.
func owner(s *side, p string) string {
	if s.repo == nil {
		return ""
	}
	cfg := s.repo.Config
	for _, w := range s.repo.Workloads {
		if strings.HasPrefix(p, w.Dir+"/") || p == w.Dir {
			return w.Name
		}
		for _, c := range s.repo.Inventory.Names() {
			if cfg.RegistrationFile(w.Name, c) == p {
				return w.Name
			}
		}
	}
	return ""
}
