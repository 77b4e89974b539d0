package service

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactValue(t *testing.T) {
	in := map[string]any{"error": "401 for token tok_123", "n": 3, "list": []any{"a tok_123", map[string]any{"x": "tok_123"}},
		"names": []string{"tok_123"}, "rows": []map[string]any{{"y": "b tok_123"}}, "nested": map[string]any{"z": []any{"ok"}}}
	out := redactValue(in, "tok_123")
	b, _ := json.Marshal(out)
	if strings.Contains(string(b), "tok_123") || !strings.Contains(string(b), `"n":3`) || !strings.Contains(string(b), "[redacted]") {
		t.Fatalf("redacted input: %s", b)
	}
	// No secret (a local repository): nothing is touched.
	if b, _ := json.Marshal(redactValue(map[string]any{"a": "tok", "b": []any{"x"}}, "")); string(b) != `{"a":"tok","b":["x"]}` {
		t.Fatalf("without a secret: %s", b)
	}
}
