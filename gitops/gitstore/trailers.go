package gitstore

import (
	"strings"
)

// Trailer is one "Key: value" line of a commit message's trailer block.
type Trailer struct {
	Key   string
	Value string
}

// Trailers is a commit message's trailer block, in order.
type Trailers []Trailer

// Get returns the value of the first trailer whose key is key, compared
// case-insensitively as git does.
func (ts Trailers) Get(key string) (string, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.Key, key) {
			return t.Value, true
		}
	}
	return "", false
}

// ParseTrailers returns the trailers of a commit message, git-style: the
// last paragraph (after the subject paragraph) is a trailer block when every
// line in it is "Key: value", with a key of letters, digits and '-', or a
// continuation line that starts with whitespace and extends the previous
// value. Otherwise the message has no trailers and ParseTrailers returns nil.
// Values are trimmed; a continued value is joined with single spaces.
func ParseTrailers(message string) Trailers {
	lines := strings.Split(strings.ReplaceAll(message, "\r\n", "\n"), "\n")
	end := len(lines)
	for end > 0 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	start := end
	for start > 0 && strings.TrimSpace(lines[start-1]) != "" {
		start--
	}
	if start == 0 { // the only paragraph is the subject
		return nil
	}
	var out Trailers
	for _, line := range lines[start:end] {
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) == 0 {
				return nil
			}
			last := &out[len(out)-1]
			last.Value = strings.TrimSpace(last.Value + " " + strings.TrimSpace(line))
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || !isTrailerKey(key) {
			return nil
		}
		out = append(out, Trailer{Key: key, Value: strings.TrimSpace(value)})
	}
	return out
}

func isTrailerKey(k string) bool {
	if k == "" || k[0] == '-' {
		return false
	}
	for _, c := range k {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
