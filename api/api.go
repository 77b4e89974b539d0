// Package api is Vigil's REST contract: the request and response shapes of
// every operation that are not domain types of the root package. The
// server encodes and decodes them, the OpenAPI document is generated from
// them, and the typed client in client/ returns them, so the three cannot
// drift apart.
package api

// Page is one page of a list; next_cursor is set when more items follow.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ErrorBody is every error answer: {"error": {"code", "message", "field"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`            // a vigil error code: invalid, not_found, conflict, ...
	Message string `json:"message"`         // for people
	Field   string `json:"field,omitempty"` // the input at fault, when there is one
}
