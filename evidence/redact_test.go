package evidence

import (
	"strings"
	"testing"
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
