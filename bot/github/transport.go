package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Retry limits of the transport.
const (
	// maxTries is how many times one request is sent at most.
	maxTries = 4
	// maxWait is the longest wait for a rate limit ferry sits out. A longer
	// one is not waited: the request fails as rate-limited, the run ends
	// with what it landed, and the next scheduled run goes on, so a run
	// never idles through its job's timeout (the sample's is 30 minutes).
	maxWait = 5 * time.Minute
	// backoff is the first wait after a server error; it doubles.
	backoff = time.Second
	// secondaryWait is the wait after a secondary rate limit that names no
	// Retry-After, as GitHub's documentation asks.
	secondaryWait = time.Minute
)

// retrier adds the token to every request and retries what GitHub asks
// to retry: a primary rate limit after its reset, a secondary one after its
// Retry-After, and a server error after an exponential backoff.
type retrier struct {
	base   http.RoundTripper
	tokens *tokens
	sleep  func(context.Context, time.Duration) error
	now    func() time.Time
}

func (t *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for try := 1; ; try++ {
		r := req.Clone(ctx)
		if try > 1 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, errors.New("github: cannot resend a request body")
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		tok, err := t.tokens.get(ctx)
		if err != nil {
			return nil, t.tokens.redact(fmt.Errorf("github: token: %w", err))
		}
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		wait, retry := t.retryAfter(resp, try)
		if !retry || try >= maxTries {
			return resp, nil
		}
		// Drain so the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryAfter says whether resp asks for a retry, and after how long.
func (t *retrier) retryAfter(resp *http.Response, try int) (time.Duration, bool) {
	h := resp.Header
	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		if s := h.Get("Retry-After"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				d := time.Duration(n) * time.Second
				return d, d <= maxWait
			}
		}
		if h.Get("X-RateLimit-Remaining") == "0" {
			if n, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				d := max(time.Unix(n, 0).Sub(t.now())+time.Second, time.Second) // the reset is rounded down
				return d, d <= maxWait
			}
			return secondaryWait, true
		}
		if secondary(resp) {
			return secondaryWait, true
		}
		return 0, false
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if try >= 3 { // 3 tries for a server error
			return 0, false
		}
		return backoff << (try - 1), true
	}
	return 0, false
}

// secondary reports whether a 403 or 429 is a secondary rate limit without
// Retry-After, from its message; it peeks at the body and puts it back.
func secondary(resp *http.Response) bool {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(strings.NewReader(string(body)), rest), rest}
	if err != nil {
		return false
	}
	s := strings.ToLower(string(body))
	return strings.Contains(s, "secondary rate limit") || strings.Contains(s, "abuse")
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// tokens hands out the token of each API call and git push: a fixed one,
// or one from a source that renews it. It remembers every token it gave,
// to redact them all from errors.
type tokens struct {
	fixed  string
	source func(context.Context) (string, error)

	mu    sync.Mutex
	given []string
}

func (t *tokens) get(ctx context.Context) (string, error) {
	if t.source == nil {
		return t.fixed, nil
	}
	tok, err := t.source(ctx)
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	if !slices.Contains(t.given, tok) {
		t.given = append(t.given, tok)
	}
	t.mu.Unlock()
	return tok, nil
}

// redact replaces every token given so far in err's text.
func (t *tokens) redact(err error) error {
	err = redact(err, t.fixed)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tok := range t.given {
		err = redact(err, tok)
	}
	return err
}

// redact returns err with every occurrence of token in its message
// replaced; errors.Is and errors.As still see the causes.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), token, "[redacted]"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
