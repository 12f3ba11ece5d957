package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionString(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "7fc31cf1cf5a9e567f693a6d14d70660f2ef35b0"}}
	dirty := append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	for _, tt := range []struct {
		name    string
		release string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"go install ...@v1.2.3", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, true, "v1.2.3"},
		{"a checkout, pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261202054323-7fc31cf1cf5a+dirty"}, Settings: dirty}, true, "v0.0.0-20261202054323-7fc31cf1cf5a+dirty"},
		{"a checkout without a module version", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: dirty}, true, "dev (7fc31cf1cf5a, modified)"},
		{"a clean checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, true, "dev (7fc31cf1cf5a)"},
		{"no build info", "", nil, false, "dev"},
		{"a release", "v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, true, "v1.4.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := version
			version = tt.release
			defer func() { version = old }()
			if got := versionString(tt.info, tt.ok); got != tt.want {
				t.Errorf("versionString = %q, want %q", got, tt.want)
			}
		})
	}
}
