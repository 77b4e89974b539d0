package server

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
)

// Timeouts bound how long a request may take. Ordinary requests get fixed
// deadlines; transfers (streamed uploads and downloads of evidence and
// bundles) get deadlines that move with progress, so that a slow but live
// transfer of gigabytes finishes and a dead one is closed.
type Timeouts struct {
	Read         time.Duration // reading an ordinary request's body
	Write        time.Duration // writing an ordinary response
	TransferIdle time.Duration // the longest a transfer may make no progress
}

// DefaultTimeouts are the serving defaults.
var DefaultTimeouts = Timeouts{Read: 60 * time.Second, Write: 120 * time.Second, TransferIdle: 30 * time.Second}

// fixedDeadlines gives every request the ordinary deadlines before it is
// routed, so that no request (a 404 included) can hold a connection open
// by sending or reading slowly. The server itself sets only the header
// and idle timeouts: fixed whole-request timeouts would cut transfers.
func (s *Server) fixedDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	now := time.Now()
	_ = rc.SetReadDeadline(now.Add(s.timeouts.Read))
	_ = rc.SetWriteDeadline(now.Add(s.timeouts.Write))
}

// transfer replaces a transfer route's body and writer with ones that move
// the connection's deadlines forward on every read and write.
func (s *Server) transfer(rt route, w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	if !rt.heavy() {
		return w, r
	}
	rc := http.NewResponseController(w)
	idle := s.timeouts.TransferIdle
	// The response of an upload comes after its body, however long that
	// took: its write deadline is set when it is written.
	_ = rc.SetWriteDeadline(time.Time{})
	if r.Body != nil && r.Body != http.NoBody {
		_ = rc.SetReadDeadline(time.Now().Add(idle))
		r.Body = &progressReader{ReadCloser: r.Body, rc: rc, idle: idle}
	} else {
		// Nothing to read: once the handler runs, the server reads the
		// connection in the background to notice a client that goes away,
		// and a read deadline there would cancel a long download midway.
		_ = rc.SetReadDeadline(time.Time{})
	}
	return &progressWriter{ResponseWriter: w, rc: rc, idle: idle}, r
}

type progressReader struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	switch {
	case err == io.EOF:
		// The body is in; the connection's background read must not
		// cancel the request while the upload is stored.
		_ = p.rc.SetReadDeadline(time.Time{})
	case n > 0:
		_ = p.rc.SetReadDeadline(time.Now().Add(p.idle))
	}
	return n, err
}

type progressWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (p *progressWriter) WriteHeader(code int) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.idle))
	p.ResponseWriter.WriteHeader(code)
}

// progressChunk is the most written under one deadline: a big write to a
// slow reader is progress too, so it is made in pieces, each with its own.
const progressChunk = 64 << 10

func (p *progressWriter) Write(b []byte) (int, error) {
	// Each piece may take up to idle: a client that stops reading stalls
	// the write and is cut off; one that reads slowly keeps going.
	n := 0
	for len(b) > 0 {
		k := min(len(b), progressChunk)
		_ = p.rc.SetWriteDeadline(time.Now().Add(p.idle))
		m, err := p.ResponseWriter.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the connection.
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// dl marks a route as a download.
func dl(r route) route { r.download = true; return r }

// Transfers at once: each holds buffers, a staging file and a database
// connection for as long as it runs, so one user may run a few and the
// server a bounded number; more are refused with 429, not queued.
const (
	transfersPerUser = 4
	transfersTotal   = 16
)

type transferSlots struct {
	mu     sync.Mutex
	total  int
	byUser map[int64]int
}

// heavy reports whether a route is a transfer.
func (rt route) heavy() bool { return rt.download || rt.maxBody == -1 || rt.maxBody > MaxBodyBytes }

// acquire takes a transfer slot for a user, or says why not.
func (t *transferSlots) acquire(user int64) (func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byUser == nil {
		t.byUser = map[int64]int{}
	}
	switch {
	case t.byUser[user] >= transfersPerUser:
		return nil, vigil.Errorf(vigil.ERATELIMITED, "you have %d uploads or downloads running; wait for one to finish", transfersPerUser)
	case t.total >= transfersTotal:
		return nil, vigil.Errorf(vigil.ERATELIMITED, "the server is busy with %d uploads and downloads; try again in a moment", transfersTotal)
	}
	t.byUser[user]++
	t.total++
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.total--
		if t.byUser[user]--; t.byUser[user] <= 0 {
			delete(t.byUser, user)
		}
	}, nil
}
