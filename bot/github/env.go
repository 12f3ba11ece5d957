package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gh "github.com/google/go-github/v62/github"
)

// FromEnv returns the Options of the GitHub repository at repoURL (an https
// or ssh clone URL, or owner/repo), with the token of GITHUB_TOKEN (or
// GH_TOKEN) and the endpoints of GITHUB_API_URL (https://api.github.com/
// by default) and GITHUB_GRAPHQL_URL (derived from the API URL by
// default), as GitHub Actions sets them. Pushes go to repoURL over https.
//
// Without a token it authenticates as a GitHub App installation when
// FERRY_APP_ID, FERRY_APP_INSTALLATION_ID and FERRY_APP_PRIVATE_KEY (the
// PEM) or FERRY_APP_PRIVATE_KEY_FILE are set: it signs a JWT with the key
// and exchanges it for an installation token. The token lasts an hour; a
// run that takes longer gets a new one before the old one expires
// (Options.TokenSource).
func FromEnv(ctx context.Context, getenv func(string) string, repoURL string) (Options, error) {
	var o Options
	o.Token = getenv("GITHUB_TOKEN")
	if o.Token == "" {
		o.Token = getenv("GH_TOKEN")
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
	if o.Token == "" {
		src, err := appTokens(getenv, o.APIURL)
		if err != nil {
			return o, err
		}
		// The first token now, so that a wrong key fails here.
		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if o.Token, err = src(tctx); err != nil {
			return o, err
		}
		o.TokenSource = src
	}
	return o, nil
}

// appTokens returns the source of a GitHub App's installation tokens: it
// exchanges a JWT signed with the App's key for a token, and again when the
// token is within a minute of expiring (ghinstallation's rule).
func appTokens(getenv func(string) string, apiURL string) (func(context.Context) (string, error), error) {
	id, inst := getenv("FERRY_APP_ID"), getenv("FERRY_APP_INSTALLATION_ID")
	key := []byte(getenv("FERRY_APP_PRIVATE_KEY"))
	if file := getenv("FERRY_APP_PRIVATE_KEY_FILE"); len(key) == 0 && file != "" {
		var err error
		if key, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("github: FERRY_APP_PRIVATE_KEY_FILE: %w", err)
		}
	}
	if id == "" && inst == "" && len(key) == 0 {
		return nil, errors.New("github: set GITHUB_TOKEN (or GH_TOKEN), or FERRY_APP_ID, FERRY_APP_INSTALLATION_ID and FERRY_APP_PRIVATE_KEY for a GitHub App")
	}
	appID, err1 := strconv.ParseInt(id, 10, 64)
	instID, err2 := strconv.ParseInt(inst, 10, 64)
	if err1 != nil || err2 != nil || len(key) == 0 {
		return nil, errors.New("github: a GitHub App needs FERRY_APP_ID and FERRY_APP_INSTALLATION_ID (numbers) and FERRY_APP_PRIVATE_KEY or FERRY_APP_PRIVATE_KEY_FILE")
	}
	itr, err := ghinstallation.New(http.DefaultTransport, appID, instID, key)
	if err != nil {
		return nil, fmt.Errorf("github: the GitHub App's private key: %w", err)
	}
	// An empty object, not the JSON null ghinstallation sends for no
	// options, which GitHub's API description does not allow.
	itr.InstallationTokenOptions = &gh.InstallationTokenOptions{}
	if apiURL != "" {
		itr.BaseURL = strings.TrimRight(apiURL, "/")
	}
	return func(ctx context.Context) (string, error) {
		tok, err := itr.Token(ctx)
		if err != nil {
			return "", fmt.Errorf("github: installation token of app %d: %w", appID, err)
		}
		return tok, nil
	}, nil
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

// GitAuth is the authentication of a clone of the repository: the token
// as GitHub's smart-HTTP server takes it.
func (o Options) GitAuth() transport.AuthMethod {
	return &githttp.BasicAuth{Username: "x-access-token", Password: o.Token}
}
