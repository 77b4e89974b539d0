package auth

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	p := Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	h, err := HashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := HashPassword("correct horse battery", p)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterx", false}, {"", false}} {
		ok, err := VerifyPassword(tc.pw, h)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=0,t=1,p=1$AA$AA", "plaintext"} {
		if ok, err := VerifyPassword("x", bad); ok || err == nil {
			t.Errorf("VerifyPassword on %q = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestSecret(t *testing.T) {
	s, h, err := NewSecret(TokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "vgl_") || len(s) != 4+43 || HashSecret(s) != h || strings.Contains(h, s) {
		t.Fatalf("secret %q hash %q", s, h)
	}
	s2, _, _ := NewSecret(TokenPrefix)
	if s == s2 {
		t.Fatal("two secrets are equal")
	}
}
