package gitchange

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// benchRepo is a repository whose main branch has 100,000 changes, half
// of them merges of a one-commit pull request with a review trailer, made
// once with git fast-import and kept in the temporary directory.
func benchRepo(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "vigil-gitchange-100k")
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		b.Fatalf("%v %s", err, out)
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	mark := 0
	prev := 0
	for i := 0; i < 100000; i++ {
		ts := t0 + int64(i)*60
		if i%2 == 1 {
			// The pull request's commit, on its own branch.
			mark++
			side := mark
			fmt.Fprintf(w, "commit refs/heads/pr\nmark :%d\nauthor Dev%d <dev%d@acme.test> %d +0000\ncommitter Dev%d <dev%d@acme.test> %d +0000\ndata 8\nwork %03d\nfrom :%d\n\n",
				side, i%50, i%50, ts, i%50, i%50, ts, i%1000, prev)
			mark++
			msg := fmt.Sprintf("Merge pull request #%d from acme/pr\n\nReviewed-by: Rev <rev%d@acme.test>\n", i, (i+1)%50)
			fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\nauthor Bot <bot@acme.test> %d +0000\ncommitter Bot <bot@acme.test> %d +0000\ndata %d\n%s\nfrom :%d\nmerge :%d\n\n",
				mark, ts, ts, len(msg), msg, prev, side)
			prev = mark
			continue
		}
		mark++
		msg := fmt.Sprintf("direct change %d\n", i)
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\nauthor Dev <dev@acme.test> %d +0000\ncommitter Dev <dev@acme.test> %d +0000\ndata %d\n%s\n", mark, ts, ts, len(msg), msg)
		if prev > 0 {
			fmt.Fprintf(w, "from :%d\n", prev)
		}
		fmt.Fprintln(w)
		prev = mark
	}
	w.Flush()
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
	return dir
}

// BenchmarkPopulation100k reads the population of 100,000 changes.
func BenchmarkPopulation100k(b *testing.B) {
	dir := benchRepo(b)
	b.ResetTimer()
	var n int
	for range b.N {
		p, err := Collect(context.Background(), Options{Repo: dir, Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		n = len(p.Changes)
	}
	if n != 100000 {
		b.Fatalf("%d changes, want 100000", n)
	}
	b.ReportMetric(float64(n), "changes")
}
