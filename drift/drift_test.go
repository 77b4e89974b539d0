package drift

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/fim"
)

func snap(at time.Time, state map[string]map[string]string) *Snapshot {
	return &Snapshot{Taken: at, State: state}
}

func TestDiffAndFirstSeen(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	base := snap(t0, map[string]map[string]string{
		"packages": {"openssh-server": "1:9.2p1-2", "telnetd": "0.17"},
		"sshd":     {"permitrootlogin": "no"},
		"ports":    {"tcp/0.0.0.0:22": "listening"},
	})
	cur := snap(t0.Add(time.Hour), map[string]map[string]string{
		"packages": {"openssh-server": "1:9.2p1-2+deb12u3", "nmap": "7.93"},
		"sshd":     {"permitrootlogin": "yes"},
		// "ports" is missing: its collector failed. Unknown is not "removed".
	})
	ev, err := Diff(base, cur)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Event{}
	for _, e := range ev {
		got[e.Aspect+" "+e.Key] = e
	}
	want := map[string]string{"packages openssh-server": "changed", "packages telnetd": "removed", "packages nmap": "added", "sshd permitrootlogin": "changed"}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", ev, want)
	}
	for k, c := range want {
		if got[k].Change != c || !got[k].FirstSeen.Equal(t0.Add(time.Hour)) {
			t.Errorf("%s: %+v, want %s first seen at the scan", k, got[k], c)
		}
	}
	if e := got["sshd permitrootlogin"]; e.From != "no" || e.To != "yes" {
		t.Errorf("from/to %+v", e)
	}
	// A later scan with the same drift keeps the first-seen time; a drift
	// that was reverted is forgotten.
	later := snap(t0.Add(2*time.Hour), map[string]map[string]string{
		"packages": {"openssh-server": "1:9.2p1-2+deb12u3", "nmap": "7.93", "telnetd": "0.17"},
		"sshd":     {"permitrootlogin": "yes"},
	})
	ev, err = Diff(base, later)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ev {
		if !e.FirstSeen.Equal(t0.Add(time.Hour)) {
			t.Errorf("%s %s first seen %v, want the earlier scan", e.Aspect, e.Key, e.FirstSeen)
		}
		if e.Key == "telnetd" {
			t.Errorf("telnetd is back as in the baseline, yet reported: %+v", e)
		}
	}
}

func TestTakeAndSaveLoad(t *testing.T) {
	inputs := map[string]map[string]any{
		"host.packages": {"installed": map[string]any{"sudo": map[string]any{"id": "sudo", "version": "1.9"}}},
		"host.accounts": {"users": []any{map[string]any{"id": "root", "uid": 0, "gid": 0, "home": "/root", "shell": "/bin/bash"}}, "groups": []any{}},
		"host.sshd":     {"sshd": map[string]any{"id": "sshd", "present": true, "permitrootlogin": "no", "source": "config"}},
		"host.network":  {"listening": []any{map[string]any{"id": "tcp/0.0.0.0:22"}}},
	}
	s := Take(map[string]any{"hostname": "h"}, inputs, nil)
	if s.State["packages"]["sudo"] != "1.9" || s.State["sshd"]["permitrootlogin"] != "no" || s.State["listening"]["tcp/0.0.0.0:22"] == "" ||
		s.State["users"]["root"] != "uid=0 gid=0 home=/root shell=/bin/bash" {
		t.Fatalf("state %v", s.State)
	}
	if _, ok := s.State["sshd"]["source"]; ok {
		t.Fatal("how sshd was read is not state")
	}
	p := filepath.Join(t.TempDir(), "base")
	if err := s.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := Diff(back, s); err != nil || len(ev) != 0 {
		t.Fatalf("a saved baseline differs from itself: %v %v", ev, err)
	}
}

// TestFilesDrift: the file database is saved beside the snapshot, read
// back and compared; a damaged one fails the load (never "no drift"), and
// a snapshot whose file database could not be built is not saved.
func TestFilesDrift(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0"), 0o644)
	h, err := host.New(root)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := fim.Build(h, fim.Options{Paths: []string{"/etc"}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "base")
	if err := Take(nil, nil, files).Save(p); err != nil {
		t.Fatal(err)
	}
	base, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0\ntoor:x:0:0"), 0o644)
	files, _, err = fim.Build(h, fim.Options{Paths: base.Files.Paths, Previous: base.Files})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Diff(base, Take(nil, nil, files))
	if err != nil || len(ev) != 1 || ev[0].Aspect != "files" || ev[0].Key != "/etc/passwd" || ev[0].Change != "changed" ||
		!strings.Contains(ev[0].From, "sha256=") || !strings.Contains(ev[0].To, "size=21") {
		t.Fatalf("events %+v, %v", ev, err)
	}

	data, _ := os.ReadFile(p + ".fim")
	os.WriteFile(p+".fim", data[:len(data)-9], 0o600)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p+".fim") {
		t.Fatalf("a truncated file database: %v", err)
	}
	broken := Take(nil, nil, nil)
	broken.FilesErr = errors.New("no space left on device")
	if err := broken.Save(filepath.Join(t.TempDir(), "b")); err == nil {
		t.Fatal("a baseline without its files was saved")
	}
}
