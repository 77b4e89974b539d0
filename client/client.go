// Package client is a small Go client for Vigil's REST API, used by the CLI
// and by end-to-end tests and benchmarks.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// Client calls one Vigil server with one API token.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	HTTP    *http.Client
}

// New returns a client with a sensible timeout.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out (unless out is nil, or an *[]byte which receives the raw body).
// API errors come back as *vigil.Error with the server's code and message.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "cannot reach Vigil at " + c.BaseURL, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "reading the answer from " + c.BaseURL, Err: err}
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error struct {
				Code, Message, Field string
			} `json:"error"`
		}
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
			return &vigil.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
		}
		return &vigil.Error{Code: vigil.EINTERNAL, Message: fmt.Sprintf("%s %s: HTTP %d", method, path, resp.StatusCode)}
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

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// All fetches every page of a list.
func All[T any](ctx context.Context, c *Client, path string, query url.Values) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", "1000")
	var out []T
	for {
		var p Page[T]
		if err := c.Get(ctx, path, q, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out, nil
		}
		q.Set("cursor", p.NextCursor)
	}
}

// Upload streams a file as a request body (evidence upload) and decodes the
// JSON answer into out. The body is read once; length and hash are declared
// so the server can refuse a truncated or changed upload.
func (c *Client) Upload(ctx context.Context, path string, query url.Values, mediaType string, size int64, sha256hex string, body io.Reader, out any) error {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
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
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := *c.HTTP
	hc.Timeout = 0 // a large upload takes as long as it takes
	resp, err := hc.Do(req)
	if err != nil {
		return &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "cannot reach Vigil at " + c.BaseURL, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
			return &vigil.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
		}
		return &vigil.Error{Code: vigil.EINTERNAL, Message: fmt.Sprintf("upload: HTTP %d", resp.StatusCode)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Download streams a response body to w.
func (c *Client) Download(ctx context.Context, path string, query url.Values, w io.Writer) error {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := *c.HTTP
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "cannot reach Vigil at " + c.BaseURL, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var eb struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
			return &vigil.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
		}
		return &vigil.Error{Code: vigil.EINTERNAL, Message: fmt.Sprintf("download: HTTP %d", resp.StatusCode)}
	}
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("download ended after %d of %d bytes: the content failed verification on the server", n, resp.ContentLength)
	}
	return err
}
