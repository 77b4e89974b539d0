package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/client"
)

// TestCrashLoop kills the real server with SIGKILL at random moments
// during heavy appends, 50 times. After every restart, every item that was
// acknowledged is there with its bytes, the ledger verifies, and every
// stored object belongs to an item or is listed as an orphan for
// collection.
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loop is long")
	}
	bin := filepath.Join(t.TempDir(), "vigil")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dir, "--log-level", "error")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if resp, err := http.Get(base + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if i > 500 {
				cmd.Process.Kill()
				t.Fatalf("server did not start: %s", stderr.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Stderr = nil
		return cmd
	}
	// First start: set up and adopt a control.
	cmd := start()
	code, out, _ := cli(t, map[string]string{"VIGIL_DATA_DIR": dir}, "", "admin", "setup-token")
	if code != 0 {
		t.Fatal("setup-token")
	}
	var setup struct {
		Token struct{ Secret string } `json:"token"`
	}
	if err := client.New(base, "").Do(context.Background(), "POST", "/api/v1/setup", nil, map[string]any{"setup_token": strings.TrimSpace(out),
		"organization": map[string]string{"name": "Crash"}, "email": "c@crash.test", "name": "C", "password": "crash test password"}, &setup); err != nil {
		t.Fatal(err)
	}
	cl := client.New(base, setup.Token.Secret)
	if err := cl.Do(context.Background(), "POST", "/api/v1/controls/adopt", nil, map[string]any{"ids": []string{"AC-01"}}, nil); err != nil {
		t.Fatal(err)
	}
	type acked struct {
		id  int64
		sha string
	}
	var mu sync.Mutex
	var done []acked
	for run := 0; run < 50; run++ {
		if run > 0 {
			cmd = start()
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					size := 200
					if i%5 == 0 {
						size = 100 << 10 // a blob-store object, staged on disk first
					}
					body := make([]byte, size)
					rand.Read(body)
					sum := sha256.Sum256(body)
					var e vigil.Evidence
					q := url.Values{"filename": {fmt.Sprintf("r%d-w%d-%d.txt", run, w, i)}, "control": {"AC-01"}, "effective_start": {"2026-10-01"}}
					err := cl.Upload(ctx, "/api/v1/evidence", q, "text/plain", int64(size), hex.EncodeToString(sum[:]), bytes.NewReader(body), &e)
					if err == nil {
						mu.Lock()
						done = append(done, acked{e.ID, e.SHA256})
						mu.Unlock()
					}
				}
			}(w)
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(400))
		time.Sleep(time.Duration(50+n.Int64()) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		cancel()
		wg.Wait()
	}
	cmd = start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	if len(done) < 100 {
		t.Fatalf("only %d uploads acknowledged over 50 runs: the loop did not load the server", len(done))
	}
	for _, a := range done {
		var e vigil.Evidence
		if err := cl.Get(context.Background(), fmt.Sprintf("/api/v1/evidence/%d", a.id), nil, &e); err != nil || e.SHA256 != a.sha {
			t.Fatalf("acknowledged item %d lost after a crash: %v %+v", a.id, err, e)
		}
	}
	var rep vigil.LedgerReport
	if err := cl.Get(context.Background(), "/api/v1/ledger/verify", url.Values{"blobs": {"true"}}, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("ledger after 50 crashes: %+v", rep.Problems)
	}
	staged, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp"))
	t.Logf("%d acknowledged items over 50 SIGKILLs; %d log entries, %d orphan objects listed for collection, %d staged files after restart",
		len(done), rep.Entries, len(rep.Orphans), len(staged))
	if len(staged) != 0 {
		t.Fatalf("%d half-written uploads survived a restart", len(staged))
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(done[0].sha) {
		t.Fatal("bad sha")
	}
}
