package rewrite

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the want/ files of testdata/*.txtar")

// spec is one edit as written in a golden case's edits.yaml.
type spec struct {
	Set *struct {
		Path, Value, Tag string
		All              bool
	} `yaml:"set"`
	Delete *struct {
		Path string
		All  bool
	} `yaml:"delete"`
	Insert *struct {
		Path, Key, Before, Raw string
		Value                  yaml.Node
		All                    bool
	} `yaml:"insert"`
	AddComment    string `yaml:"addComment"`
	RemoveComment string `yaml:"removeComment"`
}

func parseStep(s string) (Step, error) {
	if s == "" {
		return Step{}, nil
	}
	p, err := ParsePath(s)
	if err != nil || len(p.Steps) != 1 {
		return Step{}, fmt.Errorf("before %q: want one step, got %v", s, err)
	}
	return p.Steps[0], nil
}

func (s spec) edit() (Edit, error) {
	switch {
	case s.Set != nil:
		p, err := ParsePath(s.Set.Path)
		return Set{Path: p, Value: s.Set.Value, Tag: s.Set.Tag, AllAliases: s.Set.All}, err
	case s.Delete != nil:
		p, err := ParsePath(s.Delete.Path)
		return Delete{Path: p, AllAliases: s.Delete.All}, err
	case s.Insert != nil:
		p, err := ParsePath(s.Insert.Path)
		if err != nil {
			return nil, err
		}
		before, err := parseStep(s.Insert.Before)
		e := Insert{Path: p, Key: s.Insert.Key, Before: before, Raw: s.Insert.Raw, AllAliases: s.Insert.All}
		if s.Insert.Value.Kind != 0 {
			e.Value = &s.Insert.Value
		}
		return e, err
	case s.AddComment != "":
		return AddComment{Text: s.AddComment}, nil
	case s.RemoveComment != "":
		return RemoveComment{Text: s.RemoveComment}, nil
	}
	return nil, errors.New("empty edit")
}

var sentinels = map[string]error{
	"ErrNotFound": ErrNotFound, "ErrExists": ErrExists, "ErrAmbiguous": ErrAmbiguous,
	"ErrAnchored": ErrAnchored, "ErrMergeKey": ErrMergeKey, "ErrTemplated": ErrTemplated,
	"ErrType": ErrType, "ErrUnsupported": ErrUnsupported, "ErrConflict": ErrConflict,
	"ErrVerify": ErrVerify,
}

func errorName(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return "ParseError"
	}
	for name, s := range sentinels {
		if errors.Is(err, s) {
			return name
		}
	}
	return "unknown: " + err.Error()
}

// transform applies a case's flags to text that txtar cannot hold as is.
func transform(b []byte, flags string) []byte {
	if strings.Contains(flags, "crlf") {
		b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	}
	if strings.Contains(flags, "nofinalnewline") {
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	}
	if strings.Contains(flags, "bom") {
		b = append([]byte("\ufeff"), b...)
	}
	return b
}

func untransform(b []byte, flags string) []byte {
	if strings.Contains(flags, "bom") {
		b = bytes.TrimPrefix(b, bom)
	}
	if strings.Contains(flags, "crlf") {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	}
	if strings.Contains(flags, "nofinalnewline") {
		b = append(b, '\n')
	}
	return b
}

type goldenCase struct {
	name   string
	edits  []Edit
	flags  string
	inputs map[string][]byte // in/ files, transformed
	want   map[string][]byte // want/ files, transformed; want/error holds an error name
	ar     *txtar.Archive
}

func loadCases(t testing.TB) []goldenCase {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	var cases []goldenCase
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(file), ".txtar"), inputs: map[string][]byte{}, want: map[string][]byte{}, ar: ar}
		for _, f := range ar.Files {
			if f.Name == "flags" {
				c.flags = string(f.Data)
			}
		}
		for _, f := range ar.Files {
			switch {
			case f.Name == "edits.yaml":
				var specs []spec
				if err := yaml.Unmarshal(f.Data, &specs); err != nil {
					t.Fatalf("%s: edits.yaml: %v", file, err)
				}
				for _, s := range specs {
					e, err := s.edit()
					if err != nil {
						t.Fatalf("%s: %v", file, err)
					}
					c.edits = append(c.edits, e)
				}
			case strings.HasPrefix(f.Name, "in/"):
				c.inputs[strings.TrimPrefix(f.Name, "in/")] = transform(f.Data, c.flags)
			case f.Name == "want/error":
				c.want["error"] = f.Data
			case strings.HasPrefix(f.Name, "want/"):
				c.want[strings.TrimPrefix(f.Name, "want/")] = transform(f.Data, c.flags)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

func TestGolden(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			got := map[string][]byte{}
			for name, in := range c.inputs {
				out, _, err := Apply(name, in, c.edits...)
				if err != nil {
					got["error"] = []byte(errorName(err) + "\n")
					t.Logf("%s: %v", name, err)
					continue
				}
				got[name] = out
			}
			if *update {
				var files []txtar.File
				for _, f := range c.ar.Files {
					if !strings.HasPrefix(f.Name, "want/") {
						files = append(files, f)
					}
				}
				for name, in := range c.inputs {
					if b, ok := got[name]; ok {
						files = append(files, txtar.File{Name: "want/" + name, Data: untransform(b, c.flags)})
					}
					_ = in
				}
				if e, ok := got["error"]; ok {
					files = append(files, txtar.File{Name: "want/error", Data: e})
				}
				c.ar.Files = files
				if err := os.WriteFile(filepath.Join("testdata", c.name+".txtar"), txtar.Format(c.ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for name, want := range c.want {
				if diff := cmp.Diff(string(want), string(got[name])); diff != "" {
					t.Errorf("%s: %s mismatch (-want +got):\n%s", c.name, name, diff)
				}
			}
			for name := range got {
				if _, ok := c.want[name]; !ok {
					t.Errorf("%s: unexpected output %s:\n%s", c.name, name, got[name])
				}
			}
		})
	}
}

// Comment edits read only the head of a file: on every golden stream, plain
// and CRLF, with and without a BOM, they give what the general way (parse,
// splice, parse again) gives wherever the general way takes the stream.
func TestCommentEditsAgree(t *testing.T) {
	edits := [][]Edit{
		{AddComment{Text: "# ferry: pinned-by=m"}},
		{RemoveComment{Text: "# ferry: pinned-by=m"}},
		{AddComment{Text: "# ferry: pinned-by=m"}, AddComment{Text: "# ferry: pinned-by=n"}},
	}
	compared := 0
	for _, src := range goldenStreams(t) {
		pinned, _, err := applyParsed("f.yaml", src, edits[0], nil)
		variants := [][]byte{src, bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")), append(append([]byte{}, bom...), src...)}
		if err == nil {
			variants = append(variants, pinned)
		}
		for _, s := range variants {
			for _, e := range edits {
				want, _, werr := applyParsed("f.yaml", s, e, nil)
				if werr != nil {
					continue
				}
				got, _, err := applyComments("f.yaml", s, e)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%v on %q:\ncomments only %q, %v\ngeneral       %q", e, s, got, err, want)
				}
				compared++
			}
		}
	}
	t.Logf("%d comment edits compared", compared)
}
