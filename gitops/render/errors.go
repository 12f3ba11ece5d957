package render

import "fmt"

// UnverifiableError reports an overlay whose build depends on something
// outside the repo: a remote base or resource, an exec, Go or container
// plugin, or a helm chart. Such an overlay is not known to be broken; ferry
// cannot render it. Nothing outside the repo was fetched or run.
type UnverifiableError struct {
	Overlay string // slash path of the overlay directory
	Reason  string // what makes it unverifiable, naming the kustomization file
}

func (e *UnverifiableError) Error() string {
	return fmt.Sprintf("overlay %s cannot be rendered here: %s", e.Overlay, e.Reason)
}

// BuildError reports an overlay that does not build. Err is kustomize's
// reason, which names the offending file.
type BuildError struct {
	Overlay string // slash path of the overlay directory
	Err     error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("overlay %s does not build: %v", e.Overlay, e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }
