package convention_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot/convention"
	"github.com/ferry-dev/ferry/planner"
)

func TestReadTrailers(t *testing.T) {
	tests := []struct {
		msg    string
		want   convention.Trailers
		wantOK bool
	}{
		{"s\n\nFerry-Migration: m\nFerry-Workload: a\nFerry-Stage: pin\n", convention.Trailers{Migration: "m", Workloads: []string{"a"}, Stage: "pin"}, true},
		{"s\n\nferry-migration: m\nFerry-Workload: a\nFERRY-WORKLOAD: b, c\nFerry-Workload: a\nFerry-Stage: shift-10\n", convention.Trailers{Migration: "m", Workloads: []string{"a", "b", "c"}, Stage: "shift-10"}, true},
		{"s\n\nFerry-Migration: m\nFerry-Workload: a\n", convention.Trailers{Migration: "m", Workloads: []string{"a"}}, false},
		{"a human's commit\n", convention.Trailers{}, false},
	}
	for _, tt := range tests {
		got, ok := convention.ReadTrailers(tt.msg)
		if ok != tt.wantOK {
			t.Errorf("ReadTrailers(%q) ok = %v, want %v", tt.msg, ok, tt.wantOK)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ReadTrailers(%q) mismatch (-want +got):\n%s", tt.msg, diff)
		}
	}
}

func TestParseBranch(t *testing.T) {
	shift := planner.Stage{Kind: planner.Shift, Percent: 50}
	tests := []struct {
		branch string
		want   convention.ParsedBranch
		ok     bool
	}{
		{convention.Branch("m", "api", shift), convention.ParsedBranch{Migration: "m", Workload: "api", Stage: shift}, true},
		{convention.WaveBranch("m", 3, shift), convention.ParsedBranch{Migration: "m", Wave: 3, Stage: shift}, true},
		{"ferry/m/api/shift-x", convention.ParsedBranch{}, false},
		{"ferry/m/wave-0/pin", convention.ParsedBranch{}, false},
		{"feature/m/api/pin", convention.ParsedBranch{}, false},
	}
	for _, tt := range tests {
		got, ok := convention.ParseBranch(tt.branch)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseBranch(%q) = %+v, %v; want %+v, %v", tt.branch, got, ok, tt.want, tt.ok)
		}
	}
}
