package server_test

import "testing"

// TestCustomControlRules: a control written by hand may not take a library
// control's ID and must pass the catalog's rules (one rule, shared by the
// API and the New control page).
func TestCustomControlRules(t *testing.T) {
	e := newEnv(t, "sqlite")
	b := e.do("admin", "POST", "/api/v1/controls", map[string]any{"id": "ac-01", "title": "Mine", "criteria": []string{"CC6.1"}}, 409, nil)
	if _, _, field := apiError(t, b); field != "id" {
		t.Fatalf("library id: field %q, want id", field)
	}
	b = e.do("admin", "POST", "/api/v1/controls", map[string]any{"id": "XY-01", "title": "Mine", "criteria": []string{"CC99.9"}}, 400, nil)
	if _, _, field := apiError(t, b); field != "criteria" {
		t.Fatalf("unknown criterion: field %q, want criteria", field)
	}
	e.do("admin", "POST", "/api/v1/controls", map[string]any{"id": "XY-01", "title": "Mine", "criteria": []string{"CC6.1"}}, 201, nil)
}
