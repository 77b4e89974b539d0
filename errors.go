// Package vigil holds Vigil's domain: the types every other package shares,
// their validation rules and the error contract. It imports nothing of the
// application so that storage, HTTP and collectors can all depend on it.
package vigil

import (
	"errors"
	"fmt"
)

// Error codes are stable strings that clients may switch on. Each maps to one
// HTTP status at the edge (server package) and to one CLI exit message.
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the named thing does not exist
	ECONFLICT     = "conflict"     // the request clashes with current state
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, role too weak
	ETOOLARGE     = "too_large"    // the body is over the size limit
	EUNAVAILABLE  = "unavailable"  // a dependency (database) is not reachable
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	ERATELIMITED  = "rate_limited" // too many attempts
)

// Error is the one error type that crosses package boundaries with meaning.
// Message is safe to show to users; Err (if any) is the cause, for logs only.
type Error struct {
	Code    string
	Message string
	Field   string // the input field at fault, when there is one
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error that names the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error for a kind of thing and its ID.
func NotFound(kind string, id any) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %v not found", kind, id)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Internal errors get a
// generic message so that causes (SQL, paths) never leak to clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by err, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
