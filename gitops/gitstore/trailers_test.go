package gitstore

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTrailers(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    Trailers
	}{{
		name: "ferry trailers",
		message: "ferry(eu-1-to-eu-2): playlist-api: shift 50% of traffic to gke-eu-2\n\n" +
			"Body text.\n\n" +
			"Ferry-Migration: eu-1-to-eu-2\nFerry-Workload: playlist-api\nFerry-Stage: shift-50\n",
		want: Trailers{{"Ferry-Migration", "eu-1-to-eu-2"}, {"Ferry-Workload", "playlist-api"}, {"Ferry-Stage", "shift-50"}},
	}, {
		name:    "no body, trailing blank lines, CRLF",
		message: "subject\r\n\r\nFerry-Stage: pin\r\n\r\n\r\n",
		want:    Trailers{{"Ferry-Stage", "pin"}},
	}, {
		name:    "no trailers",
		message: "subject\n\njust a body\n",
	}, {
		name:    "subject only, even if it looks like a trailer",
		message: "Ferry-Stage: pin\n",
	}, {
		name:    "empty",
		message: "",
	}, {
		name:    "trailer-looking line in the body, not the last paragraph",
		message: "subject\n\nFerry-Stage: pin\n\nThe end.\n",
	}, {
		name:    "a non-trailer line spoils the paragraph",
		message: "subject\n\nFerry-Stage: pin\nthis is prose\n",
	}, {
		name:    "a key with a space is not a trailer",
		message: "subject\n\nSee also: the docs\n",
	}, {
		name:    "continuation lines",
		message: "subject\n\nFerry-Migration: eu-1-to-eu-2\nNote: a long\n  value over\n\tthree lines\nFerry-Stage: deploy\n",
		want:    Trailers{{"Ferry-Migration", "eu-1-to-eu-2"}, {"Note", "a long value over three lines"}, {"Ferry-Stage", "deploy"}},
	}, {
		name:    "a continuation line first is not a trailer block",
		message: "subject\n\n  indented\nFerry-Stage: pin\n",
	}, {
		name:    "git-style Signed-off-by and empty value",
		message: "subject\n\nSigned-off-by: A <a@example.com>\nEmpty:\n",
		want:    Trailers{{"Signed-off-by", "A <a@example.com>"}, {"Empty", ""}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseTrailers(tt.message)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseTrailers(%q) mismatch (-want +got):\n%s", tt.message, diff)
			}
		})
	}
}

func TestTrailersGet(t *testing.T) {
	ts := Trailers{{"Ferry-Stage", "pin"}, {"Ferry-Workload", "api"}, {"ferry-stage", "later"}}
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"Ferry-Stage", "pin", true},
		{"ferry-workload", "api", true},
		{"Ferry-Migration", "", false},
	}
	for _, tt := range tests {
		got, ok := ts.Get(tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Get(%q) = %q, %v, want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}
