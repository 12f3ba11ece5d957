package planner

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of a stage of a workload's migration.
type Kind int

const (
	// Pending: selected by a Migration, not started (not pinned).
	Pending Kind = iota
	// Pin: the pin marker is added; only the Migration may now change the
	// workload.
	Pin
	// Deploy: the target overlays, registrations and weight-0 backends are
	// added.
	Deploy
	// Shift: Percent of the traffic goes to the targets.
	Shift
	// Cleanup: the source's backend, registration and overlay are removed.
	Cleanup
	// Unpin: the pin marker is removed; the workload has moved.
	Unpin
	// Rollback: all traffic goes back to the source.
	Rollback
	// Undeploy: the targets' backends, registrations and overlays are
	// removed after a rollback.
	Undeploy
)

var kindNames = [...]string{"pending", "pin", "deploy", "shift", "cleanup", "unpin", "rollback", "undeploy"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Stage is a stage of a workload's migration: its kind, and for a shift the
// percentage of traffic on the targets. Its String is the Ferry-Stage
// trailer: pin, deploy, shift-50, cleanup, unpin, rollback, undeploy.
type Stage struct {
	Kind    Kind
	Percent int // Shift only
}

func (s Stage) String() string {
	if s.Kind == Shift {
		return "shift-" + strconv.Itoa(s.Percent)
	}
	return s.Kind.String()
}

// ParseStage parses a Ferry-Stage trailer.
func ParseStage(s string) (Stage, error) {
	if p, ok := strings.CutPrefix(s, "shift-"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 100 || strconv.Itoa(n) != p {
			return Stage{}, fmt.Errorf("stage %q: the percentage is not a whole number from 0 to 100", s)
		}
		return Stage{Kind: Shift, Percent: n}, nil
	}
	for k, name := range kindNames {
		if name == s && Kind(k) != Shift {
			return Stage{Kind: Kind(k)}, nil
		}
	}
	return Stage{}, fmt.Errorf("unknown stage %q", s)
}

// MarshalText writes the stage as its trailer.
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a trailer.
func (s *Stage) UnmarshalText(b []byte) error {
	v, err := ParseStage(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
