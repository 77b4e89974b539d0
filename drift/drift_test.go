package drift

import (
	"path/filepath"
	"testing"
	"time"
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
	ev := Diff(base, cur)
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
	for _, e := range Diff(base, later) {
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
	if len(Diff(back, s)) != 0 {
		t.Fatalf("a saved baseline differs from itself: %v", Diff(back, s))
	}
}
