// Package client is the typed Go client of Vigil's REST API: one method per
// operation (ops.go, generated from the server's route table), taking and
// returning the types of package api and the domain. The CLI, the agent,
// end-to-end tests and benchmarks use it.
package client

//go:generate go run ../internal/apigen/gen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// DefaultMaxBody caps a JSON answer the client reads into memory.
const DefaultMaxBody = 256 << 20

// Client calls one Vigil server with one credential: a user's API token
// (vgl_...) or an agent's credential (vga_...).
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	HTTP    *http.Client
	// MaxBody caps the answer read into memory (DefaultMaxBody when 0); an
	// answer over it is an error, never a truncated value.
	MaxBody int64
}

// New returns a client with a sensible timeout.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Error is the API's refusal: the HTTP status and the error the server
// named. It unwraps to a *vigil.Error, so vigil.ErrorCode and friends work
// on it.
type Error struct {
	Status int
	Err    *vigil.Error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of an API refusal, or 0 when err is not
// one (the server was not reached, or answered nothing readable).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out (unless out is nil, or an *[]byte which receives the raw body).
// in may be a json.RawMessage to send bytes already encoded.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if raw, ok := in.(json.RawMessage); ok {
		body = bytes.NewReader(raw) // as it is: json.Marshal would re-encode it
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := c.request(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.send(req, c.HTTP)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := c.read(resp.Body)
	if err != nil {
		return err
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = raw
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// Get is Do with GET.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.Do(ctx, http.MethodGet, path, query, nil, out)
}

// All fetches every page of a list operation, e.g.
// client.All(ctx, q, c.ListControls).
func All[T any](ctx context.Context, query url.Values, list func(context.Context, url.Values) (*api.Page[T], error)) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", "1000")
	var out []T
	for {
		p, err := list(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out, nil
		}
		q.Set("cursor", p.NextCursor)
	}
}

// SendReportBytes posts an agent report already encoded (a spooled one)
// without decoding it again.
func (c *Client) SendReportBytes(ctx context.Context, report []byte) (*api.ReportAccepted, error) {
	var out api.ReportAccepted
	if err := c.Do(ctx, http.MethodPost, "/api/v1/agent/reports", nil, json.RawMessage(report), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Upload streams a file as a request body (evidence upload) and decodes the
// JSON answer into out. The body is read once; length and hash are declared
// so the server can refuse a truncated or changed upload.
func (c *Client) Upload(ctx context.Context, path string, query url.Values, mediaType string, size int64, sha256hex string, body io.Reader, out any) error {
	req, err := c.request(ctx, http.MethodPost, path, query, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	if mediaType != "" {
		req.Header.Set("Content-Type", mediaType)
	}
	if sha256hex != "" {
		req.Header.Set("X-Content-SHA256", sha256hex)
	}
	resp, err := c.send(req, c.untimed())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := c.read(resp.Body)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// Download streams a response body to w.
func (c *Client) Download(ctx context.Context, path string, query url.Values, w io.Writer) error {
	req, err := c.request(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	resp, err := c.send(req, c.untimed())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("download ended after %d of %d bytes: the content failed verification on the server", n, resp.ContentLength)
	}
	return err
}

func (c *Client) request(ctx context.Context, method, path string, query url.Values, body io.Reader) (*http.Request, error) {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// untimed is the HTTP client without its overall timeout: a large upload
// or download takes as long as it takes (the context still bounds it).
func (c *Client) untimed() *http.Client {
	hc := *c.HTTP
	hc.Timeout = 0
	return &hc
}

// send does the request and turns an error status into *Error, reading at
// most 1 MiB of the refusal.
func (c *Client) send(req *http.Request, hc *http.Client) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "cannot reach Vigil at " + c.BaseURL, Err: err}
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb api.ErrorBody
	if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
		return nil, &Error{Status: resp.StatusCode, Err: &vigil.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}}
	}
	// Not Vigil's answer (a proxy's, say): the status is all there is.
	msg := fmt.Sprintf("%s %s: HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
	return nil, &Error{Status: resp.StatusCode, Err: &vigil.Error{Code: vigil.EINTERNAL, Message: msg}}
}

func (c *Client) read(r io.Reader) ([]byte, error) {
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "reading the answer from " + c.BaseURL, Err: err}
	}
	if int64(len(raw)) > limit {
		return nil, &vigil.Error{Code: vigil.ETOOLARGE, Message: fmt.Sprintf("the answer from %s is over %d bytes", c.BaseURL, limit)}
	}
	return raw, nil
}
