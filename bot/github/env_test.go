package github_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot/github"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		repo    string
		want    github.Options
		wantErr bool
	}{
		{"github.com over https", map[string]string{"GITHUB_TOKEN": "t"}, "https://github.com/music/deployments.git",
			github.Options{Owner: "music", Repo: "deployments", Token: "t", GitURL: "https://github.com/music/deployments.git"}, false},
		{"GH_TOKEN and ssh", map[string]string{"GH_TOKEN": "t"}, "git@github.com:music/deployments.git",
			github.Options{Owner: "music", Repo: "deployments", Token: "t", GitURL: "https://github.com/music/deployments.git"}, false},
		{"owner/repo", map[string]string{"GITHUB_TOKEN": "t", "GH_TOKEN": "u"}, "music/deployments",
			github.Options{Owner: "music", Repo: "deployments", Token: "t", GitURL: "https://github.com/music/deployments.git"}, false},
		{"GitHub Enterprise Server", map[string]string{"GITHUB_TOKEN": "t"}, "https://ghe.example.com/music/deployments",
			github.Options{Owner: "music", Repo: "deployments", Token: "t", GitURL: "https://ghe.example.com/music/deployments.git",
				APIURL: "https://ghe.example.com/api/v3/"}, false},
		{"endpoints from Actions", map[string]string{"GITHUB_TOKEN": "t", "GITHUB_API_URL": "https://api.example.com", "GITHUB_GRAPHQL_URL": "https://api.example.com/graphql"},
			"https://example.com/music/deployments",
			github.Options{Owner: "music", Repo: "deployments", Token: "t", GitURL: "https://example.com/music/deployments.git",
				APIURL: "https://api.example.com", GraphQLURL: "https://api.example.com/graphql"}, false},
		{"no token", nil, "music/deployments", github.Options{}, true},
		{"no repo", map[string]string{"GITHUB_TOKEN": "t"}, "https://github.com/music", github.Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := github.FromEnv(t.Context(), func(k string) string { return tt.env[k] }, tt.repo)
			if (err != nil) != tt.wantErr {
				t.Fatalf("FromEnv = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Sleep" }, cmp.Ignore())); diff != "" {
				t.Errorf("FromEnv(%q) mismatch (-want +got):\n%s", tt.repo, diff)
			}
		})
	}
}
