package check

import (
	"bytes"
	"io/fs"
	"strings"
)

// weightLine locates the weight of cluster's backend for workload in the
// tree of s: the traffic file, and the line of the weight next to the
// backend's name (its ServiceImport, subset or set-identifier). The traffic
// adapters return weights without positions, so this searches the text:
// the first line naming the backend as a whole word, then the nearest line
// after it (or, failing that, before it) that mentions a weight.
func weightLine(s *side, workload, cluster string) (string, int) {
	cfg := s.repo.Config
	if cfg.Traffic == nil {
		return "", 0
	}
	file := cfg.TrafficFile(workload, cluster)
	data, err := fs.ReadFile(s.fsys, file)
	if err != nil {
		return file, 0
	}
	backend := cfg.Expand(cfg.Traffic.Backend, workload, cluster)
	lines := strings.Split(string(data), "\n")
	isWeight := func(i int) bool {
		l := strings.TrimSpace(lines[i])
		return !strings.HasPrefix(l, "#") && strings.Contains(l, "weight")
	}
	const near = 8
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "#") || !hasWord(l, backend) {
			continue
		}
		for j := i; j < len(lines) && j <= i+near; j++ {
			if isWeight(j) {
				return file, j + 1
			}
		}
		for j := i - 1; j >= 0 && j >= i-near; j-- {
			if isWeight(j) {
				return file, j + 1
			}
		}
		return file, i + 1
	}
	for i := range lines {
		if isWeight(i) {
			return file, i + 1
		}
	}
	return file, 0
}

// hasWord reports whether line contains w not as part of a longer name.
func hasWord(line, w string) bool {
	if w == "" {
		return false
	}
	b := []byte(line)
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(w))
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(w)
		if (start == 0 || !nameByte(b[start-1])) && (end == len(b) || !nameByte(b[end])) {
			return true
		}
		off = start + 1
	}
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}
