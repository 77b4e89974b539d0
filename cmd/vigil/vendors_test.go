package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/vendors"
)

// answerLink answers a questionnaire link as the vendor would, with no
// account: the page, its form token, every answer as expected.
func answerLink(t *testing.T, link string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("the link's page: %d %.300s", resp.StatusCode, page)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", html.UnescapeString(string(m[1])))
	for _, q := range vendors.Templates["baseline"].Questions {
		mw.WriteField("q-"+q.ID, q.Expected)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", link, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", link[:strings.Index(link, "/q/")])
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestVendorsCLI: the vendor journey from the command line on both
// engines: add (a bad tier named), a SOC 2 report with a CUEC, its
// review and mapping, a questionnaire link answered and reviewed, the
// inventory, the vendor and the subprocessor list.
func TestVendorsCLI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			m := &Main{DataDir: t.TempDir()}
			if engine == "postgres" {
				pg, err := pgtest.Start()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pg.Stop)
				if m.DatabaseURL, err = pg.NewDatabase(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			m, setupTok := startMain(t, m)
			vars := map[string]string{"VIGIL_SERVER": m.URL}
			code, out, errs := cli(t, vars, "correct horse battery\n", "setup", "--token", setupTok, "--org", "Acme", "--email", "me@acme.test", "--name", "Me")
			if code != 0 {
				t.Fatalf("setup: %d %s %s", code, out, errs)
			}
			vars["VIGIL_TOKEN"] = strings.TrimSpace(out)
			run := func(wantCode int, want string, args ...string) string {
				t.Helper()
				code, out, errs := cli(t, vars, "", args...)
				if code != wantCode || !strings.Contains(out+errs, want) {
					t.Fatalf("vigil %s: exit %d, want %d with %q:\n%s%s", strings.Join(args, " "), code, wantCode, want, out, errs)
				}
				return out
			}
			run(0, "", "controls", "adopt", "VM-01", "VM-02", "VM-03", "VM-04", "AC-04")
			run(1, "tier", "vendors", "add", "Cloudy", "--tier", "urgent")
			run(2, "Usage", "vendors", "add")
			run(0, "added VND-001", "vendors", "add", "Cloudy", "--tier", "critical", "--owner", "me@acme.test", "--data", "personal_data", "--status", "active", "--subprocessor", "--location", "EU")
			report := filepath.Join(t.TempDir(), "soc2.pdf")
			if err := os.WriteFile(report, []byte("%PDF-1.4 report"), 0o600); err != nil {
				t.Fatal(err)
			}
			run(1, "period_end", "vendors", "document", "1", "--kind", "soc2_report", "--file", report, "--report-type", "type2", "--opinion", "unqualified")
			run(0, "added document 1", "vendors", "document", "1", "--kind", "soc2_report", "--file", report, "--report-type", "type2", "--opinion", "unqualified",
				"--period-end", "2026-10-01", "--cuec", "Customers review access", "--cuec", "Customers protect credentials")
			run(0, "acceptable", "vendors", "review-document", "1", "--conclusion", "acceptable")
			run(1, "does not exist", "vendors", "map-cuec", "1", "XX-99")
			run(0, "AC-04", "vendors", "map-cuec", "1", "AC-04")
			out = run(0, "(1 unmapped)", "vendors", "show", "1")
			if !strings.Contains(out, "Customers protect credentials -> -") {
				t.Fatalf("show: the unmapped CUEC: %s", out)
			}
			link := strings.TrimSpace(run(0, "/q/vq_", "vendors", "questionnaire", "send", "1", "--contact", "sec@cloudy.test"))
			if body := answerLink(t, link); !strings.Contains(body, "Thank you") {
				t.Fatalf("answering the link: %.500s", body)
			}
			run(0, "score 100%", "vendors", "review", "1", "--conclusion", "acceptable_with_conditions", "--note", "fine")
			out = run(0, "reviewed: acceptable_with_conditions", "vendors", "show", "1")
			if !strings.Contains(out, "100%") {
				t.Fatalf("show: %s", out)
			}
			out = run(0, "VND-001", "vendors", "list")
			if !strings.Contains(out, "current") || !strings.Contains(out, "personal_data") {
				t.Fatalf("list: %s", out)
			}
			run(0, "EU", "vendors", "subprocessors")
			list := filepath.Join(t.TempDir(), "vendors.csv")
			os.WriteFile(list, []byte("name,tier,owner_email\nMailer,medium,me@acme.test\nPayco,urgent,\ncloudy,low,\n"), 0o600)
			code, out, errs = cli(t, vars, "", "vendors", "import", list, "--confirm")
			if code != 1 || !strings.Contains(errs, "2 bad rows") || !strings.Contains(errs, "line 3, column tier:") || !strings.Contains(errs, "line 4, column name: cloudy is already in the inventory") {
				t.Fatalf("import preview: %d %s %s", code, out, errs)
			}
			os.WriteFile(list, []byte("name,tier,owner_email\nMailer,medium,me@acme.test\nPayco,,\n"), 0o600)
			run(0, "line 3: add Payco (no owner, no tier, no data shared recorded)", "vendors", "import", list)
			if out := run(0, "VND-001", "vendors", "list"); strings.Contains(out, "Mailer") {
				t.Fatalf("a preview imported: %s", out)
			}
			run(0, "imported 2 vendors", "vendors", "import", list, "--confirm")
			run(0, "Payco", "vendors", "list")
		})
	}
}
