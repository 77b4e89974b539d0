package server

import "testing"

func TestHasEscapedNUL(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"a":"\u0000"}`:         true,
		`{"a":"\U0000"}`:         true,
		`{"a":"\\u0000"}`:        false, // a backslash, then the text u0000: a file name can hold it
		`{"a":"\\\u0000"}`:       true,
		`{"a":"/tmp/x\\u0000y"}`: false,
		`{"a":"u0000"}`:          false,
	} {
		if got := hasEscapedNUL([]byte(raw)); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
}
