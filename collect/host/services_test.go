package host

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// dpkgStatus is a dpkg status file listing pkgs as installed.
func dpkgStatus(pkgs ...string) string {
	s := ""
	for _, p := range pkgs {
		s += "Package: " + p + "\nStatus: install ok installed\nVersion: 1.0-1\n\n"
	}
	return s
}

func script(t *testing.T, out map[string]any, name string) map[string]any {
	t.Helper()
	s, ok := m(t, out, "scripts", name).(map[string]any)
	if !ok {
		t.Fatalf("no script %s in %v", name, out["scripts"])
	}
	return s
}

// Debian without systemd (sysvinit-core): insserv's S links in /etc/rc?.d
// name ../init.d/NAME. The unit file and its wants link that the package
// also installs start nothing there.
func TestServicesSysV(t *testing.T) {
	out := run(t, collectServices, root{
		"etc/init.d/slapd":                 "#!/bin/sh\n",
		"etc/init.d/ssh":                   "#!/bin/sh\n",
		"etc/init.d/README":                "",
		"etc/rc2.d/S01slapd":               "->../init.d/slapd",
		"etc/rc3.d/S01slapd":               "->../init.d/slapd",
		"etc/rc1.d/K01slapd":               "->../init.d/slapd",
		"etc/rc1.d/K01ssh":                 "->../init.d/ssh",
		"etc/rc2.d/S01gone":                "->../init.d/gone", // no script: starts nothing
		"etc/rcS.d/S01procps":              "->../init.d/procps",
		"lib/systemd/system/slapd.service": "[Service]\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/multi-user.target.wants/slapd.service": "->/lib/systemd/system/slapd.service",
		"var/lib/dpkg/status": dpkgStatus("slapd", "openssh-server"),
	})
	if out["systemd"] != false || out["init_error"] != "" {
		t.Fatalf("systemd %v init_error %q", out["systemd"], out["init_error"])
	}
	slapd := script(t, out, "slapd")
	if slapd["enabled"] != true || slapd["superseded"] != false || slapd["file"] != "/etc/init.d/slapd" ||
		!reflect.DeepEqual(slapd["links"], []any{"/etc/rc2.d/S01slapd", "/etc/rc3.d/S01slapd"}) {
		t.Errorf("slapd %v, want enabled through rc2.d and rc3.d, not superseded", slapd)
	}
	if ssh := script(t, out, "ssh"); ssh["enabled"] != false {
		t.Errorf("ssh %v: only K links, want not enabled", ssh)
	}
	if _, ok := m(t, out, "scripts").(map[string]any)["gone"]; ok {
		t.Errorf("a start link to a missing script is listed")
	}
	if m(t, out, "packages", "slapd") != "1.0-1" || out["packages_error"] != nil {
		t.Errorf("packages %v error %v", out["packages"], out["packages_error"])
	}
	if out["processes_known"] != false || len(out["processes"].([]any)) != 0 {
		t.Errorf("offline processes %v known %v, want none and unknown", out["processes"], out["processes_known"])
	}
}

// Alpine's OpenRC: /etc/runlevels/LEVEL/NAME links to /etc/init.d/NAME (an
// absolute link, which an offline root cannot follow: the name is enough).
func TestServicesOpenRC(t *testing.T) {
	out := run(t, collectServices, root{
		"etc/init.d/sshd":                  "#!/sbin/openrc-run\n",
		"etc/init.d/chronyd":               "#!/sbin/openrc-run\n",
		"etc/init.d/killprocs":             "#!/sbin/openrc-run\n",
		"etc/runlevels/default/sshd":       "->/etc/init.d/sshd",
		"etc/runlevels/shutdown/killprocs": "->/etc/init.d/killprocs",
		"etc/runlevels/boot/":              "",
	})
	if s := script(t, out, "sshd"); s["enabled"] != true || !reflect.DeepEqual(s["runlevels"], []any{"default"}) {
		t.Errorf("sshd %v, want enabled in default", s)
	}
	if s := script(t, out, "killprocs"); s["enabled"] != false {
		t.Errorf("killprocs %v: only in shutdown, want not enabled", s)
	}
	if s := script(t, out, "chronyd"); s["enabled"] != false {
		t.Errorf("chronyd %v: in no runlevel, want not enabled", s)
	}
	if out["packages_error"] == nil {
		t.Errorf("no package database, want packages_error")
	}
}

// On a systemd host a native unit supersedes the init script of the same
// name; a script without one is turned into a unit by the SysV generator
// and its rc links enable it.
func TestServicesSystemdSupersedes(t *testing.T) {
	out := run(t, collectServices, root{
		"lib/systemd/systemd":              "",
		"lib/systemd/system/ssh.service":   "[Service]\n[Install]\nWantedBy=multi-user.target\n",
		"etc/init.d/ssh":                   "#!/bin/sh\n",
		"etc/rc2.d/S01ssh":                 "->../init.d/ssh",
		"etc/init.d/slapd":                 "#!/bin/sh\n",
		"etc/rc2.d/S01slapd":               "->../init.d/slapd",
		"run/systemd/generator.late/x.txt": "",
	})
	if s := script(t, out, "ssh"); s["superseded"] != true {
		t.Errorf("ssh %v, want superseded by ssh.service", s)
	}
	if s := script(t, out, "slapd"); s["superseded"] != false || s["enabled"] != true {
		t.Errorf("slapd %v, want enabled and not superseded (no native unit)", s)
	}
}

// Red Hat: /etc/init.d and /etc/rc3.d are links into /etc/rc.d; each start
// link is recorded once.
func TestServicesRedHatLayout(t *testing.T) {
	out := run(t, collectServices, root{
		"etc/rc.d/init.d/snmpd":   "#!/bin/sh\n",
		"etc/rc.d/rc3.d/S50snmpd": "->../init.d/snmpd",
		"etc/init.d":              "->rc.d/init.d",
		"etc/rc3.d":               "->rc.d/rc3.d",
	})
	s := script(t, out, "snmpd")
	if s["enabled"] != true || len(s["links"].([]any)) != 1 {
		t.Errorf("snmpd %v, want enabled with one link", s)
	}
}

// An init directory that exists and cannot be read leaves every service
// unknown: init_error, not "nothing enabled". (A link loop stands for an
// unreadable directory, which root would read.)
func TestServicesUnreadable(t *testing.T) {
	out := run(t, collectServices, root{
		"etc/init.d/slapd": "#!/bin/sh\n",
		"etc/rc2.d":        "->rc2.d",
	})
	if out["init_error"] == "" {
		t.Errorf("init_error empty with /etc/rc2.d unreadable")
	}
	out = run(t, collectServices, root{
		"etc/init.d/sshd":       "#!/bin/sh\n",
		"etc/runlevels/default": "->default",
	})
	if out["init_error"] == "" {
		t.Errorf("init_error empty with /etc/runlevels/default unreadable")
	}
}

func TestProcesses(t *testing.T) {
	dir := t.TempDir()
	for pid, stat := range map[string]string{
		"1":    "1 (init) S 0 1 1 0 -1",
		"2":    "2 (kthreadd) S 0 0 0 0 -1",
		"3":    "3 (nfsd) S 2 0 0 0 -1", // a kernel thread
		"42":   "42 (slapd) S 1 42 42 0 -1",
		"43":   "43 (slapd) S 1 43 43 0 -1",
		"50":   "50 (apache2) S 1 50 50 0 -1",
		"51":   "51 (apache2) S 50 50 50 0 -1", // a worker
		"60":   "60 (bash) S 59 60 60 0 -1",    // a shell
		"70":   "70 (runsv) S 1 70 70 0 -1",
		"71":   "71 (my (odd) d) S 70 71 71 0 -1", // under runit's supervisor
		"self": "99 (vigil) R 60 99 99 0 -1",
	} {
		os.MkdirAll(filepath.Join(dir, pid), 0o755)
		os.WriteFile(filepath.Join(dir, pid, "stat"), []byte(stat+"\n"), 0o644)
	}
	names, known, errMsg := processes(&Host{root: "/", live: true, proc: dir})
	want := []any{"apache2", "init", "kthreadd", "my (odd) d", "runsv", "slapd"}
	if !known || errMsg != "" || !reflect.DeepEqual(names, want) {
		t.Errorf("processes %v known %v error %q, want %v", names, known, errMsg, want)
	}
	if _, known, errMsg := processes(&Host{root: "/", live: true, proc: filepath.Join(dir, "missing")}); known || errMsg == "" {
		t.Errorf("unreadable /proc: known %v error %q, want unknown with an error", known, errMsg)
	}
}

// The configuration of a systemd daemon is judged when the daemon is
// installed, whether or not systemd's own binary is in the root.
func TestConfigDaemonInstalled(t *testing.T) {
	out := run(t, collectConfig, root{
		"etc/systemd/journald.conf":    "[Journal]\nStorage=volatile\n",
		"lib/systemd/systemd-coredump": "",
	})
	for p, want := range map[string]bool{"/etc/systemd/journald.conf": true, "/etc/systemd/coredump.conf": true, "/etc/systemd/timesyncd.conf": false} {
		if got := m(t, out, "files", p, "installed"); got != want {
			t.Errorf("%s installed %v, want %v", p, got, want)
		}
	}
	if m(t, out, "files", "/etc/systemd/coredump.conf", "exists") != false {
		t.Errorf("coredump.conf exists, want false (only the program is there)")
	}
}
