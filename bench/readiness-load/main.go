// Command readiness-load is a whole-run benchmark: it starts the real vigil
// binary on SQLite or on a throwaway PostgreSQL, times its start-up, fills it
// with 1,000 controls over all 61 criteria, then sends GET /api/v1/readiness
// at a fixed rate (open loop: latency counts from each request's scheduled
// time, so a stalled server cannot hide its queue) and reports percentiles.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
	"github.com/vigil-soc/vigil/internal/pgtest"
)

func main() {
	bin := flag.String("vigil", "./bin/vigil", "the vigil binary to run")
	engine := flag.String("engine", "sqlite", "sqlite or postgres")
	rate := flag.Int("rate", 500, "requests per second")
	dur := flag.Duration("duration", 20*time.Second, "how long to send load")
	controls := flag.Int("controls", 1000, "controls to create")
	writes := flag.Int("writes", 2, "control changes per second during the load (each invalidates the readiness cache)")
	flag.Parse()
	if err := run(*bin, *engine, *rate, *dur, *controls, *writes); err != nil {
		fmt.Fprintln(os.Stderr, "readiness-load:", err)
		os.Exit(1)
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func run(bin, engine string, rate int, dur time.Duration, nControls, writes int) error {
	ctx := context.Background()
	addr, err := freePort()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	args := []string{"serve", "--addr", addr, "--data-dir", dir, "--log-level", "warn"}
	if engine == "postgres" {
		pg, err := pgtest.Start()
		if err != nil {
			return err
		}
		defer pg.Stop()
		url, err := pg.NewDatabase(ctx)
		if err != nil {
			return err
		}
		args = append(args, "--database-url", url)
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	tokenCh := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`vgs_[A-Za-z0-9_-]{43}`)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if t := re.FindString(sc.Text()); t != "" && !sent {
				tokenCh <- t
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	base := "http://" + addr
	var startup time.Duration
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				startup = time.Since(start)
				break
			}
		}
		if time.Since(start) > 30*time.Second {
			return fmt.Errorf("vigil did not become ready in 30 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	setupTok := <-tokenCh

	setup, err := client.New(base, "").Setup(ctx, &api.SetupRequest{SetupToken: setupTok, Organization: vigil.Organization{Name: "Bench"},
		Email: "bench@example.com", Name: "Bench", Password: "benchmark password"})
	if err != nil {
		return err
	}
	c := client.New(base, setup.Token.Secret)
	if _, err := c.PutScope(ctx, &api.ScopeRequest{Categories: []string{"availability", "confidentiality", "processing_integrity", "privacy"}}); err != nil {
		return err
	}
	if _, err := c.AdoptControls(ctx, &api.AdoptRequest{All: true, OwnerID: 1}); err != nil {
		return err
	}
	crit, err := c.ListCriteria(ctx, nil)
	if err != nil {
		return err
	}
	for i := 108; i < nControls; i++ {
		body := &api.ControlRequest{ID: fmt.Sprintf("BN-%04d", i), Title: fmt.Sprintf("Bench control %d", i), OwnerID: 1,
			Criteria: []string{crit.Items[i%len(crit.Items)].ID, crit.Items[(i*7)%len(crit.Items)].ID}}
		if i%3 == 0 {
			body.Status = vigil.StatusImplemented
		}
		if _, err := c.CreateControl(ctx, body); err != nil {
			return err
		}
	}

	// Open-loop load at a fixed rate.
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	n := int(dur.Seconds() * float64(rate))
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	stopWrites := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		// Flip controls between in progress and implemented, so readiness
		// is recomputed under load as it would be in real use.
		if writes <= 0 {
			writeErr <- nil
			return
		}
		tick := time.NewTicker(time.Second / time.Duration(writes))
		defer tick.Stop()
		statuses := []vigil.ControlStatus{vigil.StatusInProgress, vigil.StatusImplemented}
		for i := 0; ; i++ {
			select {
			case <-stopWrites:
				writeErr <- nil
				return
			case <-tick.C:
				id := fmt.Sprintf("BN-%04d", 108+i%(nControls-108))
				status := statuses[i%2]
				if _, err := c.UpdateControl(ctx, id, &vigil.ControlPatch{Status: &status}); err != nil {
					writeErr <- err
					return
				}
			}
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		sched := t0.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(sched))
		wg.Add(1)
		go func(i int, sched time.Time) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", base+"/api/v1/readiness", nil)
			req.Header.Set("Authorization", "Bearer "+setup.Token.Secret)
			resp, err := hc.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			lat[i] = time.Since(sched)
			failed[i] = err != nil || resp.StatusCode != 200
		}(i, sched)
	}
	wg.Wait()
	elapsed := time.Since(t0)
	close(stopWrites)
	if err := <-writeErr; err != nil {
		return fmt.Errorf("write during load: %w", err)
	}
	errors := 0
	for _, f := range failed {
		if f {
			errors++
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("engine=%s startup=%s controls=%d writes=%d/s rate=%d/s requests=%d achieved=%.0f/s errors=%d p50=%s p90=%s p99=%s max=%s\n",
		engine, ms(startup), nControls, writes, rate, n, float64(n)/elapsed.Seconds(), errors, ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(lat[len(lat)-1]))
	if errors > 0 {
		return fmt.Errorf("%d requests failed", errors)
	}
	return nil
}
