// Command ingest-load measures agent report ingest on one server: the
// database is seeded with N enrolled agents and their 200 current results
// each, then reports arrive at the rate N agents reporting every interval
// make (100,000 agents every 15 minutes: 111 reports a second), over real
// HTTP on loopback, and the latency of each is recorded.
//
// Reports are realistic: an agent sends only what changed since its last
// accepted report, which on a steady fleet is usually nothing or a result
// or two. --full makes every report carry all 200 results instead, which
// the server must diff against the stored state (the worst case, as after
// an agent reinstall).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/server"
	"github.com/vigil-soc/vigil/store"
)

func main() {
	agents := flag.Int("agents", 100000, "enrolled agents")
	results := flag.Int("results", 200, "results per agent")
	every := flag.Duration("every", 15*time.Minute, "how often each agent reports")
	duration := flag.Duration("duration", 60*time.Second, "how long to send reports")
	full := flag.Bool("full", false, "every report carries all results (the server diffs them)")
	changeRate := flag.Float64("change", 0.02, "chance that a report carries a changed result")
	dir := flag.String("dir", "", "data directory (default: a new temporary one; an existing seeded one is reused)")
	flag.Parse()
	ctx := context.Background()
	if *dir == "" {
		d, err := os.MkdirTemp("", "vigil-ingest-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	st, err := store.Open(ctx, store.Config{DataDir: *dir})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	reg, err := checks.Load()
	if err != nil {
		log.Fatal(err)
	}
	ids := make([]string, 0, *results)
	for _, c := range reg.Checks() {
		if len(ids) == *results {
			break
		}
		ids = append(ids, c.ID)
	}
	st.Close()
	start := time.Now()
	if err := seed(filepath.Join(*dir, "vigil.db"), *agents, ids); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("seeded %d agents x %d results in %.1f s\n", *agents, len(ids), time.Since(start).Seconds())
	inputSHA := strings.Repeat("5e", 32)
	if err := freshen(filepath.Join(*dir, "vigil.db"), inputSHA); err != nil {
		log.Fatal(err)
	}

	st, err = store.Open(ctx, store.Config{DataDir: *dir})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	cat, _ := catalog.Load()
	srv := server.New(server.Config{Store: st, Catalog: cat, Version: "bench", Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), Monitor: &monitor.Service{Store: st, Checks: reg}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, srv)
	url := "http://" + ln.Addr().String() + "/api/v1/agent/reports"

	rate := float64(*agents) / every.Seconds()
	fmt.Printf("sending %.1f reports/s for %s (%s)\n", rate, *duration, map[bool]string{true: "full reports", false: "changes only"}[*full])
	// Each agent's next report follows its last accepted one (a reused
	// database has moved on since it was seeded).
	seqs := make([]atomic.Int64, *agents+1)
	if err := lastSeqs(filepath.Join(*dir, "vigil.db"), seqs); err != nil {
		log.Fatal(err)
	}
	locks := make([]sync.Mutex, *agents+1)
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs = map[int]int{}
		wg   sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	tick := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	end := next.Add(*duration)
	n := 0
	for time.Now().Before(end) {
		// Agents report in turn, as a fleet spread over the interval does.
		id := n%*agents + 1
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One report at a time per agent, as a real agent sends.
			locks[id].Lock()
			defer locks[id].Unlock()
			rep := vigil.AgentReport{Seq: seqs[id].Load() + 1, ScannedAt: time.Now().UTC(), Duration: 900, Full: *full,
				Host: vigil.HostInfo{Hostname: fmt.Sprintf("host-%d", id), OS: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.1.0-18-amd64", Version: "bench", Interval: int(every.Seconds())},
				// Agents name their normalized input every time (the bytes go
				// only when it changes): unchanged reports are heartbeats.
				InputSHA256: inputSHA}
			if *full {
				for _, c := range ids {
					rep.Results = append(rep.Results, vigil.CheckResult{CheckID: c, Resource: "r", Verdict: "pass"})
				}
			}
			if rand.Float64() < *changeRate {
				c := ids[rand.IntN(len(ids))]
				v := "fail"
				if rand.IntN(2) == 0 {
					v = "pass"
				}
				ch := vigil.CheckResult{CheckID: c, Resource: "r", Verdict: v, Reason: "bench"}
				if *full {
					for i := range rep.Results {
						if rep.Results[i].CheckID == c {
							rep.Results[i] = ch
						}
					}
				} else {
					rep.Results = append(rep.Results, ch)
				}
			}
			body, _ := json.Marshal(rep)
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+credential(id))
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			d := time.Since(t0)
			code, msg := 0, ""
			if err == nil {
				code = resp.StatusCode
				if code != http.StatusAccepted {
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
					msg = string(b)
				}
				resp.Body.Close()
			} else {
				msg = err.Error()
			}
			mu.Lock()
			defer mu.Unlock()
			if code != http.StatusAccepted {
				if errs[code] == 0 {
					fmt.Printf("first refusal (%d): %s\n", code, strings.TrimSpace(msg))
				}
				errs[code]++
				return
			}
			seqs[id].Add(1)
			lat = append(lat, d)
		}()
		next = next.Add(tick)
		time.Sleep(time.Until(next))
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("accepted %d of %d reports (%.1f/s); errors %v\n", len(lat), n, float64(len(lat))/duration.Seconds(), errs)
	fmt.Printf("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		ms(q(0.5)), ms(q(0.9)), ms(q(0.99)), ms(q(1)))
	// What the run retention will later delete: the heartbeats among these
	// runs (and any earlier ones), as housekeeping does it.
	t0 := time.Now()
	deleted, err := st.CompactRuns(ctx, time.Now().Add(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("compacting: %d heartbeat runs deleted in %.2f s\n", deleted, time.Since(t0).Seconds())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func credential(id int) string { return fmt.Sprintf("vga_bench_%d", id) }

// seed writes agents (at seq 1) and their current results with plain SQL
// in large transactions: enrolling 100,000 agents through the API would
// measure enrolment, not ingest. A database already seeded is kept.
func seed(path string, agents int, checkIDs []string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	var have int
	if err := db.QueryRow("SELECT COUNT(*) FROM agents").Scan(&have); err != nil {
		return err
	}
	if have >= agents {
		return nil
	}
	now := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05.000000Z")
	for lo := have + 1; lo <= agents; lo += 5000 {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		ia, _ := tx.Prepare(`INSERT INTO agents (id, name, hostname, os, kernel, version, interval_seconds, secret_hash, enrolled_at, last_seen, last_seq, n_pass)
			VALUES (?, ?, ?, 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'bench', 900, ?, ?, ?, 1, ?)`)
		ir, _ := tx.Prepare("INSERT INTO check_current (agent_id, check_id, resource, verdict, reason, since) VALUES (?, ?, 'r', 'pass', '', ?)")
		ic, _ := tx.Prepare("INSERT INTO agent_coverage (agent_id, start_at, end_at) VALUES (?, ?, ?)")
		for id := lo; id < lo+5000 && id <= agents; id++ {
			sum := sha256.Sum256([]byte(credential(id)))
			name := fmt.Sprintf("host-%d", id)
			if _, err := ia.Exec(id, name, name, hex.EncodeToString(sum[:]), now, now, len(checkIDs)); err != nil {
				return err
			}
			for _, c := range checkIDs {
				if _, err := ir.Exec(id, c, now); err != nil {
					return err
				}
			}
			if _, err := ic.Exec(id, now, now); err != nil {
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// freshen makes every agent look as if it reported a minute ago with the
// input the load sends, as in a fleet in its steady state: reports that
// change nothing are then on-time heartbeats, whatever the database's age.
func freshen(path, inputSHA string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05.000000Z")
	if _, err := db.Exec(`UPDATE agent_coverage SET end_at = ?
		WHERE end_at = (SELECT last_seen FROM agents WHERE agents.id = agent_coverage.agent_id)`, now); err != nil {
		return err
	}
	_, err = db.Exec("UPDATE agents SET last_seen = ?, last_input = ?", now, inputSHA)
	return err
}

func lastSeqs(path string, seqs []atomic.Int64) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query("SELECT id, last_seq FROM agents")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return err
		}
		if id < int64(len(seqs)) {
			seqs[id].Store(seq)
		}
	}
	return rows.Err()
}
