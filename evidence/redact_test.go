package evidence

import (
	"bytes"
	"io"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/internal/memtest"
)

func TestRedact(t *testing.T) {
	cases := []struct{ in, secret string }{
		{"key: AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"},
		{`aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"token ghp_" + strings.Repeat("a", 36), "ghp_" + strings.Repeat("a", 36)},
		{"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"},
		{"slack xoxb-123456789012-abcdefghij", "xoxb-123456789012-abcdefghij"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----", "MIIEabc"},
		{`{"user":"x","password":"hunter2 \"quoted\""}`, "hunter2"},
		{"db_url=postgres://app:s3cr3t@db:5432/app", "s3cr3t"},
		{"PASSWORD=correct-horse", "correct-horse"},
		{"Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"},
		{"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
		{"vigil vgl_" + strings.Repeat("b", 43), strings.Repeat("b", 43)},
		{"google AIza" + strings.Repeat("c", 35), strings.Repeat("c", 35)},
		{"stripe sk_live_" + strings.Repeat("d", 24), strings.Repeat("d", 24)},
		{`password: "yaml-secret"`, "yaml-secret"},
		{"DB_PASSWORD=env-secret", "env-secret"},
		{"Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="},
		{"api-key: k3y-value-123", "k3y-value-123"},
	}
	for _, c := range cases {
		out, n := Redact([]byte(c.in))
		if n == 0 || strings.Contains(string(out), c.secret) {
			t.Errorf("%q: redacted to %q (%d found)", c.in, out, n)
		}
	}
	clean := `{"PasswordMinimumLength": 14, "user": "alice", "note": "rotate keys quarterly"}`
	if out, n := Redact([]byte(clean)); n != 0 || string(out) != clean {
		t.Errorf("clean text changed: %q (%d)", out, n)
	}
}

// sampleText is configuration-like text with secrets of every kind, some
// placed across the redactor's window boundaries.
func sampleText(size int) []byte {
	var b bytes.Buffer
	key := "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("MIIEpAIBAAKCAQEA7x1b2c3d4e5f6g7h8i9j0kLmNoPqRsTuVwXyZ\n", 60) + "-----END RSA PRIVATE KEY-----\n"
	secrets := []string{
		"aws key AKIAIOSFODNN7EXAMPLE in use\n", "password: hunter2-hunter2\n", "token ghp_" + strings.Repeat("a", 36) + "\n",
		"db_url=postgres://app:s3cr3t@db:5432/app\n",
	}
	plain := []string{"server.name = api-1\n", "  listen: 0.0.0.0:443\n", "# a comment line with nothing secret in it at all\n", "worker_processes 4;\n"}
	for i := 0; b.Len() < size; i++ {
		// About one line in forty holds a secret, as configuration does.
		if i%40 == 0 {
			b.WriteString(secrets[(i/40)%len(secrets)])
		} else {
			b.WriteString(plain[i%len(plain)])
		}
		// A private key that straddles each window boundary.
		if next := (b.Len()/redactWindow + 1) * redactWindow; next-b.Len() < 2000 {
			b.WriteString(key)
		}
	}
	return b.Bytes()
}

// Streaming redaction gives exactly what redacting the whole text gives.
func TestRedactorMatchesWholeText(t *testing.T) {
	text := sampleText(3 << 20)
	want, wn := Redact(bytes.Clone(text))
	r := NewRedactor(bytes.NewReader(text))
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || r.Count() != wn {
		t.Fatalf("streamed %d bytes with %d redactions; whole text %d bytes with %d", len(got), r.Count(), len(want), wn)
	}
	for _, leak := range []string{"AKIAIOSFODNN7EXAMPLE", "hunter2", "s3cr3t", "MIIEpAIBAAKCAQEA"} {
		if bytes.Contains(got, []byte(leak)) {
			t.Fatalf("%s leaked through streaming redaction", leak)
		}
	}
	// One very long line (minified JSON), cut only after commas.
	js := []byte(`[` + strings.Repeat(`{"user":"x","password":"p@ss-word","note":"fine"},`, 60000) + `{}]`)
	want, wn = Redact(bytes.Clone(js))
	r = NewRedactor(bytes.NewReader(js))
	got, _ = io.ReadAll(r)
	if !bytes.Equal(got, want) || r.Count() != wn || bytes.Contains(got, []byte("p@ss-word")) {
		t.Fatalf("minified JSON: %d redactions streamed, %d whole", r.Count(), wn)
	}
}

// A private key longer than anything real is redacted whole, without
// holding it in memory.
func TestRedactorOverlongKey(t *testing.T) {
	body := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n", (6<<20)/37)
	in := "before\n-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "-----END OPENSSH PRIVATE KEY-----\nafter: fine\n"
	r := NewRedactor(strings.NewReader(in))
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "before\n[REDACTED PRIVATE KEY]\nafter: fine\n" || r.Count() != 1 {
		t.Fatalf("over-long key: %d bytes out, %d redactions: %.80q", len(got), r.Count(), got)
	}
}

// Memory does not grow with the text: 32 MiB stream through a redactor
// with a bounded heap (the old code held the whole text and copied it).
// The collector runs often here, so the heap shows what is live.
func TestRedactorBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 32 MiB")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	chunk := sampleText(4 << 20)
	_, perChunk := Redact(bytes.Clone(chunk))
	const copies = 8
	src := io.MultiReader(func() []io.Reader {
		rs := make([]io.Reader, copies)
		for i := range rs {
			rs[i] = bytes.NewReader(chunk)
		}
		return rs
	}()...)
	var n int64
	var err error
	r := NewRedactor(src)
	peak, base := memtest.PeakHeap(func() { n, err = io.Copy(io.Discard, r) })
	if err != nil {
		t.Fatal(err)
	}
	grew := int64(peak) - int64(base)
	t.Logf("redacted %d MiB (%d secrets): heap grew by at most %d MiB", n>>20, r.Count(), grew>>20)
	if grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB while streaming", grew>>20)
	}
	// Chunk edges may split a line, so compare loosely with the whole.
	if r.Count() < copies*perChunk-copies || r.Count() > copies*perChunk+copies {
		t.Fatalf("%d redactions, want about %d", r.Count(), copies*perChunk)
	}
}
