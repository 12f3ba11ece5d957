package rewrite

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// yaml11 matches plain scalars that YAML 1.1 parsers (sigs.k8s.io/yaml and
// so the Kubernetes API machinery, Helm, Argo CD) read as something other
// than a string, while yaml.v3 reads them as strings.
var yaml11 = regexp.MustCompile(`^(?i:y|n|yes|no|on|off)$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$|^[-+]?0[0-7_]+$|^[-+]?0b[01_]+$|^[-+]?[0-9][0-9_]*$|^=$|^<<$`)

// implicitTag is the tag yaml.v3 resolves a plain scalar with this text to.
func implicitTag(s string) string {
	if simplePlain(s) {
		return plainTag(s)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return ""
	}
	c := n.Content[0]
	if c.Kind != yaml.ScalarNode || c.Value != s {
		return ""
	}
	return c.ShortTag()
}

// simplePlain reports whether s is text that reads back as itself when
// written plain anywhere: a letter or digit, then letters, digits and ._/+-.
func simplePlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && strings.IndexByte("._/+-", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// plainSafe reports whether s can be written as a plain scalar and read back
// as the same text.
func plainSafe(s string, flow bool) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' || !unicode.IsPrint(r) || r == '\ufeff' {
			return false
		}
	}
	switch s[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-':
		if len(s) == 1 || s[1] == ' ' || strings.HasPrefix(s, "---") {
			return false
		}
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	if flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	return true
}

func doubleQuote(s string) string { return strconv.Quote(s) }

func singleQuotable(s string) bool {
	for _, r := range s {
		if r == '\n' || r == '\r' || !unicode.IsPrint(r) || r == '\ufeff' {
			return false
		}
	}
	return true
}

func singleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// renderScalar writes value as a scalar of the given tag, in the style the
// node had where that keeps the value. Strings that would change type when
// written plain (yes, on, 010, 1e3) are quoted.
func renderScalar(value, tag string, style yaml.Style, flow bool) (string, error) {
	if tag != "!!str" {
		if implicitTag(value) != tag || !plainSafe(value, flow) && tag != "!!null" {
			return "", fmt.Errorf("%w: %q is not a %s", ErrType, value, tag)
		}
		return value, nil
	}
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		return doubleQuote(value), nil
	case style&yaml.SingleQuotedStyle != 0:
		if singleQuotable(value) {
			return singleQuote(value), nil
		}
		return doubleQuote(value), nil
	case style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return "", fmt.Errorf("%w: block scalar", ErrUnsupported)
	}
	if plainString(value, flow) {
		return value, nil
	}
	return doubleQuote(value), nil
}

// plainString reports whether s reads back as the string s when written
// plain, for yaml.v3 and for YAML 1.1 parsers alike.
func plainString(s string, flow bool) bool {
	return plainSafe(s, flow) && !yaml11.MatchString(s) && implicitTag(s) == "!!str"
}

// layout is how a file writes block collections, so rendered fragments look
// like their siblings.
type layout struct {
	indent  int  // spaces per nesting level
	compact bool // a sequence under a key starts at the key's column
}

// scalarText renders a scalar node as written by a person: its own style
// where possible.
func scalarText(n *yaml.Node, flow bool) (string, error) {
	tag := n.ShortTag()
	if n.Style&yaml.TaggedStyle != 0 {
		t, err := renderScalar(n.Value, "!!str", n.Style, flow)
		return n.Tag + " " + t, err
	}
	if tag == "!!null" && n.Value == "" {
		return "null", nil
	}
	if tag != "!!str" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return n.Value, nil
	}
	return renderScalar(n.Value, "!!str", n.Style, flow)
}

func props(n *yaml.Node) string {
	s := ""
	if n.Anchor != "" {
		s = "&" + n.Anchor + " "
	}
	return s
}

// flowText renders n on one line in flow style.
func flowText(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		s, err := scalarText(n, true)
		return props(n) + s, err
	case yaml.AliasNode:
		return "*" + n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			s, err := flowText(c)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return props(n) + "[" + strings.Join(parts, ", ") + "]", nil
	case yaml.MappingNode:
		parts := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := flowText(n.Content[i])
			if err != nil {
				return "", err
			}
			v, err := flowText(n.Content[i+1])
			if err != nil {
				return "", err
			}
			parts = append(parts, k+": "+v)
		}
		return props(n) + "{" + strings.Join(parts, ", ") + "}", nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return "", nil
		}
		return flowText(n.Content[0])
	}
	return "", fmt.Errorf("%w: node kind %v", ErrUnsupported, n.Kind)
}

// summary is a short one-line form of n for a Result.
func summary(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	s, err := flowText(n)
	if err != nil || len(s) > 200 {
		if n.Kind == yaml.MappingNode {
			return "{...}"
		}
		return "[...]"
	}
	return s
}

// inline reports whether n is written on the line of its key or dash: a
// scalar, an alias, a flow collection or an empty collection.
func inline(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0
	}
	return true
}

func commentLines(c string) []string {
	if c == "" {
		return nil
	}
	return strings.Split(c, "\n")
}

func withLineComment(s string, n *yaml.Node) string {
	if n.LineComment != "" {
		return s + " " + n.LineComment
	}
	return s
}

// block renders a collection node as lines at column 0.
func (l layout) block(n *yaml.Node) ([]string, error) {
	var out []string
	pad := func(lines []string, by int) []string {
		p := strings.Repeat(" ", by)
		for i, s := range lines {
			if s != "" {
				lines[i] = p + s
			}
		}
		return lines
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			out = append(out, commentLines(k.HeadComment)...)
			key, err := flowText(k)
			if err != nil {
				return nil, err
			}
			if inline(v) {
				s, err := flowText(v)
				if err != nil {
					return nil, err
				}
				out = append(out, withLineComment(withLineComment(key+": "+s, k), v))
			} else {
				head := key + ":"
				if v.Anchor != "" {
					head += " &" + v.Anchor
				}
				out = append(out, withLineComment(head, k))
				sub, err := l.block(v)
				if err != nil {
					return nil, err
				}
				by := l.indent
				if v.Kind == yaml.SequenceNode && l.compact {
					by = 0
				}
				out = append(out, pad(sub, by)...)
			}
			out = append(out, commentLines(k.FootComment)...)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, commentLines(c.HeadComment)...)
			if inline(c) {
				s, err := flowText(c)
				if err != nil {
					return nil, err
				}
				out = append(out, withLineComment("- "+s, c))
				continue
			}
			sub, err := l.block(c)
			if err != nil {
				return nil, err
			}
			first := 0
			for first < len(sub) && strings.HasPrefix(sub[first], "#") {
				first++
			}
			head := "- "
			if c.Anchor != "" {
				head += "&" + c.Anchor + " "
			}
			out = append(out, sub[:first]...)
			out = append(out, head+sub[first])
			out = append(out, pad(sub[first+1:], 2)...)
		}
	default:
		s, err := flowText(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
