package planner_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ferry-dev/ferry/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// render is the golden form of a plan: its text table and its JSON.
func render(t *testing.T, p *planner.Plan) []txtar.File {
	t.Helper()
	var text bytes.Buffer
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return []txtar.File{
		{Name: "want.txt", Data: text.Bytes()},
		{Name: "want.json", Data: append(js, '\n')},
	}
}

func TestMakeGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			got := &txtar.Archive{Comment: []byte(sc.desc + "\n"), Files: render(t, planner.Make(sc.in))}
			path := filepath.Join("testdata", sc.name+".txtar")
			seen[sc.name+".txtar"] = true
			if *update {
				if err := os.WriteFile(path, txtar.Format(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./planner -update to create it)", err)
			}
			if diff := cmp.Diff(string(txtar.Format(want)), string(txtar.Format(got))); diff != "" {
				t.Errorf("Make(%s) mismatch (-want +got):\n%s", sc.name, diff)
			}
		})
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".txtar" && !seen[e.Name()] {
			t.Errorf("testdata/%s has no scenario", e.Name())
		}
	}
}

// TestMakeJSON checks that a plan survives a JSON round trip of its
// entries' Stage, the field the bot reads back.
func TestMakeJSON(t *testing.T) {
	for _, sc := range scenarios() {
		p := planner.Make(sc.in)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal(%s): %v", sc.name, err)
		}
		var back struct {
			Entries []struct {
				Next *struct{ Stage planner.Stage }
			}
		}
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", sc.name, err)
		}
		for i, e := range p.Entries {
			if (e.Next == nil) != (back.Entries[i].Next == nil) {
				t.Fatalf("%s entry %d: Next lost in JSON", sc.name, i)
			}
			if e.Next != nil && e.Next.Stage != back.Entries[i].Next.Stage {
				t.Errorf("%s entry %d: Stage %v read back as %v", sc.name, i, e.Next.Stage, back.Entries[i].Next.Stage)
			}
		}
	}
}

// TestMakeDeterministic shuffles every input slice whose order carries no
// meaning (History is oldest first, To and Problems are ordered) and
// expects the same plan.
func TestMakeDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			want := planner.Make(sc.in)
			for range 20 {
				in := sc.in
				in.Migrations = shuffled(r, in.Migrations)
				for i := range in.Migrations {
					in.Migrations[i].Workloads = shuffled(r, in.Migrations[i].Workloads)
				}
				in.Workloads = shuffled(r, in.Workloads)
				in.Health = shuffled(r, in.Health)
				in.PRs = shuffled(r, in.PRs)
				if diff := cmp.Diff(want, planner.Make(in)); diff != "" {
					t.Fatalf("Make(shuffled %s) mismatch (-want +got):\n%s", sc.name, diff)
				}
			}
		})
	}
}

func shuffled[T any](r *rand.Rand, s []T) []T {
	s = append([]T(nil), s...)
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

func TestStageRoundTrip(t *testing.T) {
	for _, st := range []planner.Stage{
		{Kind: planner.Pending},
		{Kind: planner.Pin},
		{Kind: planner.Deploy},
		{Kind: planner.Shift, Percent: 0},
		{Kind: planner.Shift, Percent: 10},
		{Kind: planner.Shift, Percent: 100},
		{Kind: planner.Cleanup},
		{Kind: planner.Unpin},
		{Kind: planner.Rollback},
		{Kind: planner.Undeploy},
	} {
		t.Run(st.String(), func(t *testing.T) {
			got, err := planner.ParseStage(st.String())
			if err != nil {
				t.Fatalf("ParseStage(%q): %v", st.String(), err)
			}
			if diff := cmp.Diff(st, got); diff != "" {
				t.Errorf("ParseStage(%q) mismatch (-want +got):\n%s", st.String(), diff)
			}
			b, err := st.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back planner.Stage
			if err := back.UnmarshalText(b); err != nil || back != st {
				t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, st)
			}
		})
	}
}

func TestParseStageErrors(t *testing.T) {
	for _, s := range []string{"", "shift", "shift-", "shift-101", "shift--1", "shift-05", "shift-1.5", "Pin", "unknown"} {
		if st, err := planner.ParseStage(s); err == nil {
			t.Errorf("ParseStage(%q) = %v, want an error", s, st)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d, unit time.Duration
		want    string
	}{
		{0, time.Minute, "0m"},
		{59 * time.Second, time.Minute, "0m"},
		{12*time.Minute + 59*time.Second, 30 * time.Minute, "12m"},
		{30 * time.Minute, 30 * time.Minute, "30m"},
		{65 * time.Minute, time.Minute, "1h5m"},
		{2 * time.Hour, time.Minute, "2h"},
		{26*time.Hour + 3*time.Minute, time.Minute, "26h3m"},
		{-5 * time.Minute, time.Minute, "0m"},
		{0, time.Second, "0s"},
		{30 * time.Second, time.Second, "30s"},
		{90*time.Second + 400*time.Millisecond, time.Second, "1m30s"},
		{2 * time.Minute, time.Second, "2m"},
		{time.Hour + time.Second, time.Second, "1h1s"},
	} {
		if got := planner.FormatDuration(tc.d, tc.unit); got != tc.want {
			t.Errorf("FormatDuration(%v, %v) = %q, want %q", tc.d, tc.unit, got, tc.want)
		}
	}
}

func TestShiftWeights(t *testing.T) {
	three := []string{eu2, eu3, eu4}
	for _, tc := range []struct {
		name    string
		w       planner.WorkloadState
		to      []string
		percent int
		want    map[string]int
	}{
		{"three targets 10 of 100", wl("w", "", "gke-eu-1=OR:100 gke-eu-2=OR:0 gke-eu-3=OR:0 gke-eu-4=OR:0"), three, 10,
			map[string]int{eu1: 90, eu2: 4, eu3: 3, eu4: 3}},
		{"three targets 11 of 100", wl("w", "", "gke-eu-1=OR:100 gke-eu-2=OR:0 gke-eu-3=OR:0 gke-eu-4=OR:0"), three, 11,
			map[string]int{eu1: 89, eu2: 4, eu3: 4, eu4: 3}},
		{"other cluster keeps its weight", wl("w", "", "gke-eu-1=OR:60 gke-eu-2=OR:0 gke-us-1=OR:40"), to2, 50,
			map[string]int{eu1: 30, eu2: 30, us1: 40}},
		{"empty pool is 100", wl("w", "", "gke-eu-1=OR:0 gke-eu-2=OR:0"), to2, 10,
			map[string]int{eu1: 90, eu2: 10}},
		{"small pool still moves", wl("w", "", "gke-eu-1=OR:3 gke-eu-2=OR:0"), to2, 10,
			map[string]int{eu1: 2, eu2: 1}},
		{"small pool keeps the source", wl("w", "", "gke-eu-1=OR:2 gke-eu-2=OR:1"), to2, 90,
			map[string]int{eu1: 1, eu2: 2}},
		{"100", wl("w", "", "gke-eu-1=OR:250 gke-eu-2=OR:250"), to2, 100,
			map[string]int{eu1: 0, eu2: 500}},
		{"back to the source", wl("w", "", "gke-eu-1=OR:10 gke-eu-2=OR:45 gke-eu-3=OR:45 gke-us-1=OR:7"), []string{eu2, eu3}, 0,
			map[string]int{eu1: 100, eu2: 0, eu3: 0, us1: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mg := mig("m", eu1, tc.to)
			got := planner.ShiftWeights(&tc.w, &mg, tc.percent)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ShiftWeights(%d) mismatch (-want +got):\n%s", tc.percent, diff)
			}
		})
	}
}

// Migration.Wave numbers waves by name order, whatever the order of the
// Migration's workloads.
func TestWave(t *testing.T) {
	m := planner.Migration{Workloads: []string{"e", "a", "d", "b", "c"}, MaxInFlight: 2}
	for w, want := range map[string]int{"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "missing": 1} {
		if got := m.Wave(w); got != want {
			t.Errorf("Wave(%s) = %d, want %d", w, got, want)
		}
	}
	m.MaxInFlight = 0
	if got := m.Wave("e"); got != 1 {
		t.Errorf("without maxInFlight: Wave(e) = %d, want 1", got)
	}
}

// Plan.Finished: every workload done, or stopped by validation.
func TestFinished(t *testing.T) {
	done := planner.Entry{Workload: "a", Phase: planner.Done}
	invalid := planner.Entry{Workload: "b", Wait: &planner.Gate{Kind: planner.GateValidation, Holds: true, Problems: []string{"kind VerticalPodAutoscaler not on gke-eu-2"}}}
	for _, c := range []struct {
		entries []planner.Entry
		want    bool
	}{
		{[]planner.Entry{done, invalid}, true},
		{[]planner.Entry{done, {Workload: "c", Phase: planner.Shifting, Wait: &planner.Gate{Kind: planner.GateSoak, Holds: true, Elapsed: 12 * time.Minute, Soak: 30 * time.Minute}}}, false},
		{[]planner.Entry{done, {Workload: "d", Next: &planner.Action{Workload: "d"}}}, false},
		{[]planner.Entry{done, {Workload: "e", Phase: planner.Unexplained, Wait: &planner.Gate{Kind: planner.GateUnexplained, Holds: true, Reason: "changed by hand"}}}, false},
	} {
		if got := (&planner.Plan{Entries: c.entries}).Finished(); got != c.want {
			t.Errorf("%+v: Finished = %v, want %v", c.entries, got, c.want)
		}
	}
}

// Every gate renders its figures, held or passed.
func TestGateString(t *testing.T) {
	for _, c := range []struct {
		g    planner.Gate
		want string
	}{
		{planner.Gate{Kind: planner.GateSoak, Holds: true, Elapsed: 12*time.Minute + 40*time.Second, Soak: 30 * time.Minute}, "soak 12m of 30m"},
		{planner.Gate{Kind: planner.GateSoak, Elapsed: 40 * time.Second, Soak: 30 * time.Second}, "soak 40s of 30s"},
		{planner.Gate{Kind: planner.GateHealthy, Holds: true, Cluster: "gke-eu-2", Commit: "3f2a1c0e5d"}, "gke-eu-2 not healthy at 3f2a1c0"},
		{planner.Gate{Kind: planner.GateHealthy, Cluster: "gke-eu-1"}, "gke-eu-1 healthy"},
		{planner.Gate{Kind: planner.GateDrained, Holds: true, Cluster: "gke-eu-1", Weight: 3}, "gke-eu-1 still has weight 3"},
		{planner.Gate{Kind: planner.GateMaxInFlight, Holds: true, Count: 5, Limit: 5}, "maxInFlight 5 reached"},
		{planner.Gate{Kind: planner.GateMaxOpen, Count: 2, Limit: 10}, "maxOpen 2 of 10"},
		{planner.Gate{Kind: planner.GateValidation, Holds: true, Problems: []string{"a", "b", "c"}}, "validation: a (and 2 more)"},
		{planner.Gate{Kind: planner.GateValidation, Clusters: []string{"x", "y"}}, "validated for x, y"},
		{planner.Gate{Kind: planner.GateClosed, Holds: true, PR: 41}, "PR #41 closed unmerged"},
		{planner.Gate{Kind: planner.GateUnreadable, Holds: true, Reason: "traffic/a.yaml:3: malformed YAML"}, "unreadable: traffic/a.yaml:3: malformed YAML"},
	} {
		if got := c.g.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.g, got, c.want)
		}
	}
	for k := planner.GatePinnedBy; k <= planner.GateUnreadable; k++ {
		if s := (planner.Gate{Kind: k, Commit: "abc"}).String(); strings.HasPrefix(s, "gate ") {
			t.Errorf("GateKind %d has no rendering: %q", k, s)
		}
	}
}

// Every gate kind has a name in JSON.
func TestGateKindNames(t *testing.T) {
	for k := planner.GatePinnedBy; k <= planner.GateRanBefore; k++ {
		if k.String() == "unknown" {
			t.Errorf("gate kind %d has no name", int(k))
		}
	}
}
