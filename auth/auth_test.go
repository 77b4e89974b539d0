package auth

import (
	"strings"
	"testing"
	"time"
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

func TestTOTP(t *testing.T) {
	e, err := NewTOTP("Vigil (Acme)", "me@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.HasPrefix(e.QRPNG, "data:image/png;base64,") {
		t.Fatalf("enrolment %+v", e)
	}
	now := time.Unix(1_800_000_000, 0)
	code, _ := TOTPCode(e.Secret, now)
	step, ok := CheckTOTP(e.Secret, code, now)
	if !ok || step != now.Unix()/30 {
		t.Fatalf("current code: %v step %d", ok, step)
	}
	if _, ok := CheckTOTP(e.Secret, code, now.Add(31*time.Second)); !ok {
		t.Fatal("code from the previous step refused (clock drift)")
	}
	if _, ok := CheckTOTP(e.Secret, code, now.Add(2*time.Minute)); ok {
		t.Fatal("code from two minutes ago accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := CheckTOTP(e.Secret, bad, now); ok {
			t.Fatalf("code %q accepted", bad)
		}
	}
	codes, hashes, err := NewRecoveryCodes(10)
	if err != nil || len(codes) != 10 || len(hashes) != 10 {
		t.Fatal(err)
	}
	if HashRecoveryCode(strings.ToLower(strings.ReplaceAll(codes[0], "-", " "))) != hashes[0] {
		t.Fatal("recovery code normalization")
	}
}
