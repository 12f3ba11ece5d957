// Package github is ferry's forge on GitHub: it pushes stage branches over
// git smart HTTP with a lease, opens and updates pull requests through the
// REST API, and merges them (or enables auto-merge through the GraphQL API)
// only while their head is the commit ferry pushed.
//
// Every API call goes through one [net/http.RoundTripper] that adds the
// token, waits out GitHub's primary and secondary rate limits, retries
// server errors with backoff, and keeps the token out of errors.
//
// [Statuses] is a [bot.Health] that reads a workload's health on a cluster
// from the commit statuses (or check runs) that a cluster's Argo CD posts.
package github
