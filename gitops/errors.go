package gitops

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An InputError reports bad input in the deployment repo: a file that is
// malformed, names something unknown, or could reach outside the repo. The
// CLI exits 2 on it and writes nothing.
type InputError struct {
	File string
	Line int // 0 when the error is about the file as a whole
	Err  error
}

func (e *InputError) Error() string {
	if msg := e.Err.Error(); e.Line == 0 && strings.HasPrefix(msg, e.File+":") {
		return msg // the cause names the file (and line) already
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Conditions an InputError can wrap.
var (
	ErrUnknownField = errors.New("unknown field")
	ErrMissingField = errors.New("missing field")
	ErrUnknownName  = errors.New("unknown name")
	ErrDuplicate    = errors.New("duplicate name")
	ErrBadName      = errors.New("bad name")
	ErrTooLarge     = errors.New("file too large")
	ErrMalformed    = errors.New("malformed YAML")
	ErrMissingFile  = errors.New("no such file in the repo")
	ErrAmbiguous    = errors.New("ambiguous")
	ErrInsideName   = errors.New("part of a longer name")
	ErrStrayRoute   = errors.New("traffic outside the traffic file")
)

func inputErr(file string, line int, err error) error {
	return &InputError{File: file, Line: line, Err: err}
}

var (
	yamlErrLine  = regexp.MustCompile(`line (\d+): (.*)`)
	unknownField = regexp.MustCompile(`field .* not found`)
)

// yamlError turns a yaml.v3 decoding error into an InputError with the
// first line it names.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if m := yamlErrLine.FindStringSubmatch(te.Errors[0]); m != nil {
			line, _ := strconv.Atoi(m[1])
			cause := ErrMalformed
			if unknownField.MatchString(m[2]) {
				cause = ErrUnknownField
			}
			return inputErr(file, line, fmt.Errorf("%w: %s", cause, m[2]))
		}
	}
	if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return inputErr(file, line, fmt.Errorf("%w: %s", ErrMalformed, m[2]))
	}
	return inputErr(file, 0, fmt.Errorf("%w: %v", ErrMalformed, err))
}
