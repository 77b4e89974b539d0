package server_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCriterionCrosswalk: a criterion's page lists each related
// requirement once, however many published mappings relate it (CC6.1 has
// five rows for ISO A.8.5), with the sources merged, and each framework's
// list is folded away unless it was asked for.
func TestCriterionCrosswalk(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.sessions()["viewer"]
	status, body, _ := e.page(&s, "GET", "/criteria/CC6.1", nil)
	if status != 200 {
		t.Fatalf("criterion page: %d", status)
	}
	seen := map[string]int{}
	for _, m := range regexp.MustCompile(`<summary><strong>([^<]+)</strong>|<td><strong>([^<]+)</strong>`).FindAllStringSubmatch(body, -1) {
		if m[1] != "" {
			seen = map[string]int{} // a new framework: requirement IDs are per framework
			continue
		}
		if seen[m[2]]++; seen[m[2]] == 2 {
			t.Errorf("requirement %s is listed more than once", m[2])
		}
	}
	a85 := regexp.MustCompile(`(?s)<td><strong>A\.8\.5</strong>.*?</tr>`).FindString(body)
	if a85 == "" || !strings.Contains(a85, "CA-SOC2-ISO") {
		t.Fatalf("A.8.5's row: %q", a85)
	}
	if n := strings.Count(body, `<details class="crosswalk">`); n != 4 || strings.Contains(body, `<details class="crosswalk" open>`) {
		t.Fatalf("%d folded framework lists, want 4 and none open", n)
	}
	_, body, _ = e.page(&s, "GET", "/criteria/CC6.1?framework=iso27001", nil)
	if strings.Count(body, `<details class="crosswalk" open>`) != 1 || strings.Contains(body, "NIST SP 800-53") && strings.Contains(body, "<summary><strong>NIST") {
		t.Fatal("a framework asked for is not shown open, alone")
	}
}

// TestPagesWith1000Controls: with 1,000 controls every page a person
// opens from the navigation, and a criterion's and a control's page, stays
// light and quick to serve.
func TestPagesWith1000Controls(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fill1000()
	s := e.sessions()["admin"]
	var paths []string
	for _, rt := range e.srv.Routes() {
		if rt.Page && rt.Method == "GET" && !strings.Contains(rt.Path, "{") && !strings.HasPrefix(rt.Path, "/login") &&
			rt.Path != "/reset" && rt.Path != "/setup" && rt.Path != "/account/mfa" && rt.Path != "/forgot" && rt.Path != "/auth/oidc/callback" && rt.Path != "/evidence/export" {
			paths = append(paths, rt.Path)
		}
	}
	paths = append(paths, "/", "/criteria/CC6.1", "/criteria/CC8.1", "/controls/AC-01", "/controls/BN-0500", "/controls?page=5")
	for _, p := range paths {
		start := time.Now()
		status, body, _ := e.page(&s, "GET", p, nil)
		took := time.Since(start)
		if status != 200 {
			t.Errorf("%s: %d", p, status)
			continue
		}
		if len(body) > 250*1024 {
			t.Errorf("%s weighs %d KB with 1,000 controls, over 250 KB", p, len(body)/1024)
		}
		// Generous for a shared two-core machine; a page that walks every
		// control per row takes seconds.
		if took > 2*time.Second {
			t.Errorf("%s took %v with 1,000 controls", p, took)
		}
		t.Logf("%-24s %4d KB %v", p, len(body)/1024, took.Round(time.Millisecond))
	}
}
