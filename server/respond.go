package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// statusOf maps error codes to HTTP statuses: the only place that does.
func statusOf(code string) int {
	switch code {
	case vigil.EINVALID:
		return http.StatusBadRequest
	case vigil.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case vigil.EFORBIDDEN:
		return http.StatusForbidden
	case vigil.ENOTFOUND:
		return http.StatusNotFound
	case vigil.ECONFLICT:
		return http.StatusConflict
	case vigil.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case vigil.ERATELIMITED:
		return http.StatusTooManyRequests
	case vigil.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := vigil.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		// The cause goes to the log only; the client gets a generic message.
		s.log.Error("request failed", "method", r.Method, "route", logRoute(r), "err", err)
	}
	if code == vigil.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	}
	writeJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: vigil.ErrorMessage(err), Field: vigil.ErrorField(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decode reads a JSON body into v. Unknown fields are refused, so that a
// misspelt field is an error rather than a silent no-op.
func decode(r *http.Request, v any) error { return decodeBody(r, v, false) }

// decodeReport decodes an agent's report: as decode, but the text it
// carries is what the host holds and is taken as it is.
func decodeReport(r *http.Request, v any) error { return decodeBody(r, v, true) }

func decodeBody(r *http.Request, v any, observed bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return vigil.Errorf(vigil.EINVALID, "Content-Type must be application/json, got %q", ct)
	}
	raw, err := io.ReadAll(r.Body)
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return vigil.Errorf(vigil.ETOOLARGE, "request body is larger than %d bytes", big.Limit)
	}
	if err != nil {
		return vigil.Errorf(vigil.EINVALID, "request body could not be read")
	}
	trimmed := bytes.TrimSpace(raw)
	switch {
	case len(trimmed) == 0:
		return vigil.Errorf(vigil.EINVALID, "request body is empty; send a JSON object")
	case trimmed[0] != '{':
		return vigil.Errorf(vigil.EINVALID, "request body must be a JSON object")
	case bytes.IndexByte(raw, 0) >= 0 || hasEscapedNUL(raw):
		return vigil.Errorf(vigil.EINVALID, "request body contains a NUL character, which Vigil does not store")
	}
	if err := strictJSON(trimmed, v, observed); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() || !isEOF(dec) {
			return vigil.Errorf(vigil.EINVALID, "request body holds more than one JSON value")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return vigil.Errorf(vigil.EINVALID, "request body is truncated JSON")
	case errors.As(err, &syn):
		return vigil.Errorf(vigil.EINVALID, "request body is not valid JSON (at byte %d): %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return vigil.Errorf(vigil.EINVALID, "request body must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return &vigil.Error{Code: vigil.EINVALID, Field: field, Message: fmt.Sprintf("%s must be %s, not %s", field, jsonKind(typ.Type.String()), typ.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &vigil.Error{Code: vigil.EINVALID, Field: name, Message: fmt.Sprintf("unknown field %q", name)}
	}
	return vigil.Errorf(vigil.EINVALID, "request body is not valid: %v", err)
}

// eachValue calls fn for every query and form value of a request, and
// stops at the first error.
func eachValue(r *http.Request, fn func(key, value string) error) error {
	for _, set := range []url.Values{r.URL.Query(), r.PostForm} {
		for k, vs := range set {
			for _, v := range vs {
				if err := fn(k, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// badText refuses bidirectional-override characters in a request's
// query and form, as decode does in JSON bodies.
func badText(r *http.Request) error {
	return eachValue(r, func(k, v string) error { return checkText(v, k) })
}

// hasNUL reports whether the request's path, query or form holds a NUL
// character, which no field of Vigil accepts.
func hasNUL(r *http.Request) bool {
	return strings.IndexByte(r.URL.Path, 0) >= 0 || eachValue(r, func(_, v string) error {
		if strings.IndexByte(v, 0) >= 0 {
			return errNUL
		}
		return nil
	}) != nil
}

var errNUL = errors.New("NUL character")

func isEOF(dec *json.Decoder) bool {
	_, err := dec.Token()
	return errors.Is(err, io.EOF)
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	goType = strings.TrimPrefix(goType, "*")
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map"), goType == "struct":
		return "an object"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	}
	return "a string"
}

// hasEscapedNUL finds a JSON \u0000 escape: a backslash-u-0000 preceded by
// an even number of backslashes. "\\u0000" (an escaped backslash and the
// text u0000) is not a NUL and must not be refused.
func hasEscapedNUL(raw []byte) bool {
	for i := 0; i+6 <= len(raw); i++ {
		if raw[i] != '\\' || !bytes.EqualFold(raw[i+1:i+6], []byte("u0000")) {
			continue
		}
		n := 0
		for j := i - 1; j >= 0 && raw[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
	}
	return false
}

// logRoute names a request's route for the log: its pattern, never the
// path, which can carry a live secret (a questionnaire link, a reset
// token).
func logRoute(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " (no route)"
}
