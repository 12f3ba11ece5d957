package gitops

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-dev/ferry/rewrite"
)

// The pin marker is a comment line at the top of the file ferry.yaml's pin
// template names, in the style of Flux's "# {"$imagepolicy": ...}" markers.
// It renders to nothing, so pinning never restarts a pod. While it is
// there, only its migration may change the workload.
//
// A repo without a file per workload to hold it (no base kustomization)
// leaves pin out of ferry.yaml: the marker then goes at the top of each of
// the workload's registration files, which Argo CD and Flux read as YAML,
// where it is a comment too. A registration derived for a target copies
// it, so the workload stays pinned after its source's is removed.
const pinPrefix = "# ferry: pinned-by="

// ErrPinnedByOther reports a workload pinned by a different migration.
var ErrPinnedByOther = errors.New("pinned by another migration")

// PinMarker is the marker line that pins a workload to a migration.
func PinMarker(migration string) string { return pinPrefix + migration }

// PinFile is the file that carries the workload's pin marker; "" when
// ferry.yaml has no pin template and the registration files carry it.
func (c *Config) PinFile(workload string) string {
	if c.Pin == "" {
		return ""
	}
	return c.Expand(c.Pin, workload, "")
}

// pinFiles are the files that carry workload w's pin marker: the pin
// file, or else each of its registration files (regs), sorted.
func (r *Repo) pinFiles(w *Workload, regs map[string]Registration) []string {
	if f := r.Config.PinFile(w.Name); f != "" {
		return []string{f}
	}
	var out []string
	for _, reg := range regs {
		out = append(out, reg.File)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ReadPin returns the migration that pins the file, or "" when none does.
// Two markers are bad input.
func ReadPin(name string, src []byte) (string, error) {
	var found []string
	for _, c := range rewrite.TopComments(src) {
		if m, ok := strings.CutPrefix(c, pinPrefix); ok {
			found = append(found, strings.TrimSpace(m))
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		if err := CheckName("migration", found[0]); err != nil {
			return "", inputErr(name, 0, err)
		}
		return found[0], nil
	}
	return "", inputErr(name, 0, fmt.Errorf("%w: pinned by %s at once", ErrDuplicate, strings.Join(found, " and ")))
}

// Pin adds migration's marker to the file. A file the migration already
// pins is returned unchanged; one another migration pins is refused.
func Pin(name string, src []byte, migration string) ([]byte, []rewrite.Result, error) {
	cur, err := ReadPin(name, src)
	if err != nil {
		return nil, nil, err
	}
	if cur != "" && cur != migration {
		return nil, nil, fmt.Errorf("%s: %w: %s", name, ErrPinnedByOther, cur)
	}
	return rewrite.Apply(name, src, rewrite.AddComment{Text: PinMarker(migration)})
}

// Unpin removes migration's marker, restoring the file byte for byte. A
// file without a marker is returned unchanged; one another migration pins
// is refused.
func Unpin(name string, src []byte, migration string) ([]byte, []rewrite.Result, error) {
	cur, err := ReadPin(name, src)
	if err != nil {
		return nil, nil, err
	}
	if cur != "" && cur != migration {
		return nil, nil, fmt.Errorf("%s: %w: %s", name, ErrPinnedByOther, cur)
	}
	return rewrite.Apply(name, src, rewrite.RemoveComment{Text: PinMarker(migration)})
}
