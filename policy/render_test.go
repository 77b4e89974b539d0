package policy

import (
	"strings"
	"testing"
)

// Markdown that tries to run something renders inert; ordinary policy
// Markdown renders as expected.
func TestRenderInert(t *testing.T) {
	for _, bad := range []string{
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"[click](javascript:alert(1))",
		"[click](JaVaScRiPt:alert(1))",
		"[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<div onclick=\"alert(1)\">x</div>",
		"<svg><script>alert(1)</script></svg>",
		"<style>body{display:none}</style>",
		"![x](javascript:alert(1))",
		"<object data=\"x.swf\"></object>",
		"<form action=\"https://evil.example\"><input name=p></form>",
	} {
		out := strings.ToLower(string(Render(bad)))
		for _, sign := range []string{"<script", "onerror", "onclick", "<iframe", "javascript:", "data:text", "<style", "<object", "<form", "<svg"} {
			if strings.Contains(out, sign) {
				t.Errorf("%q rendered as %q (contains %s)", bad, out, sign)
			}
		}
	}
	out := string(Render("# Access\n\n1. MFA **must** be on.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://example.com)\n"))
	for _, want := range []string{"<h1", "<ol>", "<strong>must</strong>", "<table>", `href="https://example.com"`, `rel="nofollow"`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered %q lacks %q", out, want)
		}
	}
}

// Every template renders, filled, with no placeholder left.
func TestTemplatesRender(t *testing.T) {
	lib, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range lib {
		body, err := tp.Fill(Vars{Organization: "Acme", Owner: "Ann", Approver: "Bob", ReviewCycle: "annual", EffectiveDate: "2027-01-01", Systems: "api"})
		if err != nil {
			t.Fatalf("%s: %v", tp.ID, err)
		}
		if out := string(Render(body)); !strings.Contains(out, "<h") || strings.Contains(out, "{{") {
			t.Errorf("%s rendered badly", tp.ID)
		}
	}
}
