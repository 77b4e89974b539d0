package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBox(t *testing.T) {
	dir := t.TempDir()
	b, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, KeyFile))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	sealed, err := b.Seal("JBSWY3DPEHPK3PXP", "totp:1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(sealed, "totp:1"); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, "totp:2"); err != ErrOpen {
		t.Fatalf("value moved to another row opened: %v", err)
	}
	again, _ := Load(dir, "")
	if got, _ := again.Open(sealed, "totp:1"); got != "JBSWY3DPEHPK3PXP" {
		t.Fatal("key not reused from the file")
	}
	other, _ := Load(t.TempDir(), "")
	if _, err := other.Open(sealed, "totp:1"); err != ErrOpen {
		t.Fatal("opened under another key")
	}
	if _, err := Load(dir, "not base64!"); err == nil {
		t.Fatal("bad VIGIL_SECRET_KEY accepted")
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("short"), 0o600)
	if _, err := Load(dir, ""); err == nil {
		t.Fatal("damaged key file accepted")
	}
}

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	b1, _ := Load(dir, "")
	old, _ := b1.Seal("seed", "totp:1")
	b2, err := Rotate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b2.KeyID() == b1.KeyID() {
		t.Fatal("rotation kept the sealing key")
	}
	if got, err := b2.Open(old, "totp:1"); err != nil || got != "seed" {
		t.Fatalf("old value after rotation: %q %v", got, err)
	}
	fresh, _ := b2.Reseal(old, "totp:1")
	if !strings.Contains(fresh, b2.KeyID()) {
		t.Fatalf("resealed value %q not under the new key", fresh)
	}
	if err := DropOld(dir); err != nil {
		t.Fatal(err)
	}
	b3, _ := Load(dir, "")
	if _, err := b3.Open(old, "totp:1"); err != ErrOpen {
		t.Fatal("a value sealed with a dropped key still opens")
	}
	if got, _ := b3.Open(fresh, "totp:1"); got != "seed" {
		t.Fatal("resealed value does not open after dropping old keys")
	}
	two, err := Load(dir, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,"+strings.Repeat("B", 43)+"=")
	if err != nil || len(two.keys) != 2 {
		t.Fatalf("two keys from the environment: %v", err)
	}
}
