package server_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/server"
)

// slowBody sends size bytes in chunks with a pause before each, and can
// stall (stop sending but keep the connection) after some bytes.
type slowBody struct {
	left, chunk int
	pause       time.Duration
	stallAfter  int // bytes sent before a stall; 0: never stall
	sent        int
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if b.stallAfter > 0 && b.sent >= b.stallAfter {
		time.Sleep(time.Hour) // the server must cut us off first
	}
	time.Sleep(b.pause)
	n := min(len(p), b.chunk, b.left)
	for i := range p[:n] {
		p[i] = byte('a' + i%26)
	}
	b.left -= n
	b.sent += n
	return n, nil
}

// Transfers take as long as they need while they make progress; a stalled
// one is cut. The fixed timeouts here are short, so that the slow
// transfers below outlast them many times over.
func TestTransfersOutlastFixedTimeouts(t *testing.T) {
	tm := server.Timeouts{Read: time.Second, Write: time.Second, TransferIdle: 1500 * time.Millisecond}
	e := newEnv(t, "sqlite", func(c *server.Config) { c.Timeouts = tm })
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-07"}}, 200, nil)
	upload := func(body io.Reader, name string) (*http.Response, error) {
		req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/evidence?control=AC-07&effective_start=2026-10-01&filename="+name, body)
		req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
		req.Header.Set("Content-Type", "text/plain")
		return http.DefaultClient.Do(req)
	}
	// A 240 KB upload at 80 KB/s: three seconds, three times the read
	// timeout, with progress all along.
	resp, err := upload(&slowBody{left: 240 << 10, chunk: 16 << 10, pause: 200 * time.Millisecond}, "slow.txt")
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("slow upload: %d %s", resp.StatusCode, b)
	}
	// An upload that stalls is cut, and leaves nothing behind.
	start := time.Now()
	resp, err = upload(&slowBody{left: 240 << 10, chunk: 16 << 10, pause: 10 * time.Millisecond, stallAfter: 64 << 10}, "stalled.txt")
	if err == nil {
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("a stalled upload was accepted: %d %s", resp.StatusCode, b)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a stalled upload was cut only after %s", d)
	}
	var items struct{ Items []vigil.Evidence }
	e.do("viewer", "GET", "/api/v1/evidence?control=AC-07", nil, 200, &items)
	if len(items.Items) != 1 {
		t.Fatalf("%d items after one good and one stalled upload", len(items.Items))
	}
	// An 8 MB item, then an export read slowly: 256 KB every 100 ms, well
	// past the fixed write timeout. The bundle arrives whole.
	big := make([]byte, 8<<20)
	rand.Read(big)
	resp, err = upload(bytes.NewReader(big), "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("big upload: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/evidence/export", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["viewer"])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	buf := make([]byte, 256<<10)
	begun := time.Now()
	for {
		n, err := io.ReadFull(resp.Body, buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp.Body.Close()
	took := time.Since(begun)
	zr, err := zip.NewReader(bytes.NewReader(got.Bytes()), int64(got.Len()))
	if err != nil {
		t.Fatalf("export read slowly over %s (%d bytes) is not a whole zip: %v", took, got.Len(), err)
	}
	if took < 2*tm.Write {
		t.Fatalf("the slow export took %s: too quick to show anything", took)
	}
	found := false
	for _, f := range zr.File {
		found = found || strings.HasPrefix(f.Name, "blobs/") && f.UncompressedSize64 == uint64(len(big))
	}
	if !found {
		names, _ := json.Marshal(zr.File)
		t.Fatalf("the big item is not in the bundle: %s", names)
	}
	// A download whose reader stops is cut off.
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, buf[:64<<10])
	time.Sleep(4 * time.Second)
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if int(n)+64<<10 >= got.Len() {
		t.Fatalf("a download that stalled for 4 s (idle limit %s) was still sent whole", tm.TransferIdle)
	}
}

// One user's concurrent uploads are bounded: the fifth and sixth at once
// are refused, not held in memory beside the others.
func TestTransfersPerUserBounded(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-07"}}, 200, nil)
	st, bodies := burst(6, func(i int) (int, string) {
		req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/evidence?control=AC-07&effective_start=2026-10-01&filename=f"+string(rune('a'+i))+".txt",
			&slowBody{left: 96 << 10, chunk: 16 << 10, pause: 300 * time.Millisecond})
		req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	})
	if count(st, 201) != 4 || count(st, 429) != 2 {
		t.Fatalf("six concurrent uploads by one user: %v %v", st, bodies)
	}
	// Another user is not held back by the first one's transfers, and
	// once they end the first may upload again.
	status, b := e.raw("admin", "POST", "/api/v1/evidence?control=AC-07&effective_start=2026-10-01&filename=later.txt", strings.NewReader("later"), map[string]string{"Content-Type": "text/plain"})
	if status != 201 {
		t.Fatalf("upload after the burst: %d %s", status, b)
	}
}
