package reason

import (
	"errors"
	"fmt"
)

// Code is a package's reason type: stable strings, whose Scope names the
// prefix of the package's error messages ("bft") and the sentinel every
// *Error of the package matches under errors.Is.
type Code interface {
	~string
	Scope() (prefix string, sentinel error)
}

// Error is a refused input with its reason.
type Error[R Code] struct {
	Reason R
	Detail string // for logs; may be empty
}

func (e *Error[R]) Error() string {
	prefix, _ := e.Reason.Scope()
	if e.Detail == "" {
		return prefix + ": " + string(e.Reason)
	}
	return prefix + ": " + string(e.Reason) + ": " + e.Detail
}

// Is makes every *Error match its package's sentinel.
func (e *Error[R]) Is(target error) bool {
	_, sentinel := e.Reason.Scope()
	return target == sentinel
}

// New returns an *Error with r and a formatted detail.
func New[R Code](r R, format string, args ...any) *Error[R] {
	return &Error[R]{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// Of returns the reason of the first *Error[R] in err's chain, or "" for
// nil and other errors.
func Of[R Code](err error) R {
	var e *Error[R]
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
