package github

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// FromEnv returns the Options of the GitHub repository at repoURL (an https
// or ssh clone URL, or owner/repo), with the token of GITHUB_TOKEN (or
// GH_TOKEN) and the endpoints of GITHUB_API_URL (https://api.github.com/
// by default) and GITHUB_GRAPHQL_URL (derived from the API URL by
// default), as GitHub Actions sets them. Pushes go to repoURL over https.
func FromEnv(getenv func(string) string, repoURL string) (Options, error) {
	var o Options
	o.Token = getenv("GITHUB_TOKEN")
	if o.Token == "" {
		o.Token = getenv("GH_TOKEN")
	}
	if o.Token == "" {
		return o, errors.New("github: set GITHUB_TOKEN or GH_TOKEN")
	}
	o.APIURL = getenv("GITHUB_API_URL")
	o.GraphQLURL = getenv("GITHUB_GRAPHQL_URL")
	host, path, err := splitRepoURL(repoURL)
	if err != nil {
		return o, err
	}
	// The last two path elements name the repository; an http(s) URL with
	// a longer path (a proxy, a test server) is pushed to as given.
	parts := strings.Split(strings.TrimSuffix(strings.Trim(path, "/"), ".git"), "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" || (len(parts) > 2 && !strings.Contains(repoURL, "://")) {
		return o, fmt.Errorf("github: %q names no owner/repo", repoURL)
	}
	owner, repo := parts[len(parts)-2], parts[len(parts)-1]
	o.Owner, o.Repo = owner, repo
	o.GitURL = fmt.Sprintf("https://%s/%s/%s.git", host, owner, repo)
	if len(parts) > 2 || strings.HasPrefix(repoURL, "http://") {
		o.GitURL = repoURL
	}
	if o.APIURL == "" && host != "github.com" {
		o.APIURL = fmt.Sprintf("https://%s/api/v3/", host) // GitHub Enterprise Server
	}
	return o, nil
}

// splitRepoURL returns the host and path of https://host/o/r(.git),
// git@host:o/r(.git), ssh://git@host/o/r, or o/r (on github.com).
func splitRepoURL(s string) (host, path string, err error) {
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil {
			return "", "", fmt.Errorf("github: repo URL: %w", err)
		}
		return u.Hostname(), u.Path, nil
	case strings.Contains(s, "@") && strings.Contains(s, ":"):
		_, rest, _ := strings.Cut(s, "@")
		host, path, _ := strings.Cut(rest, ":")
		return host, path, nil
	default:
		return "github.com", s, nil
	}
}
