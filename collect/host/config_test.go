package host

import (
	"reflect"
	"testing"
)

func TestParseAPT(t *testing.T) {
	tests := []struct {
		name string
		in   []string // fragments, in the order APT reads them
		want map[string]string
	}{
		{
			name: "flat options, keys lower-cased",
			in:   []string{`APT::Periodic::Update-Package-Lists "1";` + "\n" + `APT::Periodic::Unattended-Upgrade "1";`},
			want: map[string]string{"apt::periodic::update-package-lists": "1", "apt::periodic::unattended-upgrade": "1"},
		},
		{
			name: "nested scopes",
			in: []string{"APT {\n  Periodic {\n    Update-Package-Lists \"1\";\n    AutocleanInterval \"7\";\n  };\n" +
				"  Get::Assume-Yes \"false\";\n};\nAcquire::http { Proxy \"http://proxy:3128/\"; };\n"},
			want: map[string]string{"apt::periodic::update-package-lists": "1", "apt::periodic::autocleaninterval": "7",
				"apt::get::assume-yes": "false", "acquire::http::proxy": "http://proxy:3128/"},
		},
		{
			name: "comments of every kind; a // inside quotes is data",
			in: []string{"// APT::Periodic::Unattended-Upgrade \"1\";\n# APT::X \"1\";\n/* APT::Y \"1\";\n APT::Z \"1\"; */\n" +
				"#clear APT::Q;\nAcquire::https::Proxy \"https://a//b\"; // trailing\nAPT::Periodic::Unattended-Upgrade \"0\"; # off\n"},
			want: map[string]string{"acquire::https::proxy": "https://a//b", "apt::periodic::unattended-upgrade": "0"},
		},
		{
			name: "a later fragment's scalar wins; list items accumulate",
			in: []string{
				"Unattended-Upgrade::Origins-Pattern { \"origin=Debian,label=Debian-Security\"; };\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
				"Unattended-Upgrade::Origins-Pattern { \"origin=Local\"; };\nAPT::Periodic::Unattended-Upgrade \"0\";\n",
			},
			want: map[string]string{"unattended-upgrade::origins-pattern": "origin=Debian,label=Debian-Security origin=Local",
				"apt::periodic::unattended-upgrade": "0"},
		},
		{
			name: "unquoted values",
			in:   []string{"Acquire::AllowInsecureRepositories true;\nAPT { Get { Assume-Yes yes; }; };\n"},
			want: map[string]string{"acquire::allowinsecurerepositories": "true", "apt::get::assume-yes": "yes"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for _, s := range tc.in {
				parseAPT(s, got)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestAPTFragmentNames(t *testing.T) {
	for name, want := range map[string]bool{
		"20auto-upgrades": true, "50unattended-upgrades": true, "99vigil.conf": true, "01_x.y.conf": true,
		"50unattended-upgrades.dpkg-old": false, "20auto-upgrades.ucf-dist": false, "x.bak": false,
		"x~": false, ".hidden": false, "with space": false, "x.disabled": false,
	} {
		if got := aptFragment(name); got != want {
			t.Errorf("aptFragment(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	files := root{
		"etc/apt/apt.conf.d/20auto-upgrades":             `APT::Periodic::Update-Package-Lists "1"; APT::Periodic::Unattended-Upgrade "1";`,
		"etc/apt/apt.conf.d/20auto-upgrades.dpkg-old":    `APT::Periodic::Unattended-Upgrade "0";`,
		"etc/apt/apt.conf":                               `APT::Periodic::Update-Package-Lists "7";`,
		"etc/security/pwquality.conf":                    "# minlen = 8\nminlen = 14\nenforce_for_root\n",
		"etc/security/pwquality.conf.d/50-local.conf":    "minclass = 4\nminlen = 16\n",
		"etc/rsyslog.conf":                               "*.* action(type=\"omfwd\" \\\n    target=\"logs.example\" port=\"514\") # remote\n$FileCreateMode 0640\n",
		"usr/lib/systemd/journald.conf.d/10-vendor.conf": "[Journal]\nStorage=volatile\nCompress=no\n",
		"usr/lib/systemd/journald.conf.d/30-vendor.conf": "[Journal]\nForwardToSyslog=no\n",
		"etc/systemd/journald.conf":                      "[Journal]\n; Storage=auto\n#Compress=yes\nStorage=auto\n",
		"etc/systemd/journald.conf.d/20-local.conf":      "[Journal]\nStorage=persistent\n",
		"etc/systemd/journald.conf.d/30-vendor.conf":     "[Journal]\nForwardToSyslog=yes\n",
		"usr/lib/systemd/coredump.conf":                  "[Coredump]\nStorage=external\n",
		"etc/systemd/coredump.conf.d/50-x.conf":          "->/dev/null",
		"usr/lib/systemd/coredump.conf.d/50-x.conf":      "[Coredump]\nStorage=none\n",
		"usr/lib/systemd/timesyncd.conf.d/50-ntp.conf":   "[Time]\nNTP=time.example\n",
		"etc/ntpsec/ntp.conf":                            "pool 0.debian.pool.ntp.org iburst\n",
	}
	out := run(t, collectConfig, files)
	conf := func(p string) map[string]any { return m(t, out, "files", p).(map[string]any) }
	for _, cf := range confFiles {
		r := conf(cf.path)
		if r["id"] != cf.path || r["values"] == nil || r["lines"] == nil {
			t.Errorf("%s: %v, want id, values and lines always present", cf.path, r)
		}
	}
	tests := []struct {
		path   string
		exists bool
		values map[string]any // subset
		lines  []any          // exact, when not nil
	}{
		{"/etc/login.defs", false, map[string]any{}, []any{}},
		{"/etc/apt/apt.conf.d", true, map[string]any{"apt::periodic::update-package-lists": "7", "apt::periodic::unattended-upgrade": "1"}, nil},
		// libpwquality reads the drop-ins first and the main file last: the
		// main file's minlen wins.
		{"/etc/security/pwquality.conf", true, map[string]any{"minlen": "14", "minclass": "4", "enforce_for_root": ""},
			[]any{"minclass = 4", "minlen = 16", "minlen = 14", "enforce_for_root"}},
		{"/etc/rsyslog.conf", true, map[string]any{},
			[]any{`*.* action(type="omfwd" target="logs.example" port="514")`, "$FileCreateMode 0640"}},
		// /usr/lib 10, /etc 20, /etc 30 (hiding /usr/lib 30), after the main file.
		{"/etc/systemd/journald.conf", true, map[string]any{"storage": "persistent", "compress": "no", "forwardtosyslog": "yes"}, nil},
		// Main file found in /usr/lib; the drop-in masked in /etc.
		{"/etc/systemd/coredump.conf", true, map[string]any{"storage": "external"}, nil},
		// Only a drop-in: the file "exists" in the sense that configuration was found.
		{"/etc/systemd/timesyncd.conf", true, map[string]any{"ntp": "time.example"}, nil},
		{"/etc/ntpsec/ntp.conf", true, map[string]any{"pool": "0.debian.pool.ntp.org iburst"}, nil},
	}
	for _, tc := range tests {
		r := conf(tc.path)
		if r["exists"] != tc.exists || r["error"] != nil {
			t.Errorf("%s: exists %v error %v, want exists %v", tc.path, r["exists"], r["error"], tc.exists)
		}
		values := r["values"].(map[string]any)
		if len(tc.values) == 0 && len(values) != 0 {
			t.Errorf("%s: values %v, want none", tc.path, values)
		}
		for k, v := range tc.values {
			if values[k] != v {
				t.Errorf("%s: values[%q] = %v, want %v", tc.path, k, values[k], v)
			}
		}
		if tc.lines != nil && !reflect.DeepEqual(r["lines"], tc.lines) {
			t.Errorf("%s: lines %q, want %q", tc.path, r["lines"], tc.lines)
		}
	}
	want := []any{"/etc/systemd/journald.conf", "/usr/lib/systemd/journald.conf.d/10-vendor.conf",
		"/etc/systemd/journald.conf.d/20-local.conf", "/etc/systemd/journald.conf.d/30-vendor.conf"}
	if got := conf("/etc/systemd/journald.conf")["sources"]; !reflect.DeepEqual(got, want) {
		t.Errorf("journald sources %q, want %q", got, want)
	}
}

func TestConfigUnreadable(t *testing.T) {
	if asNobody(t) {
		return
	}
	h, dir := newRoot(t, root{"etc/security/pwquality.conf": "minlen = 14\n", "etc/security/pwquality.conf.d/x.conf": "minlen = 8\n"})
	unreadable(t, dir, "etc/security/pwquality.conf.d")
	r := readConf(h, confFile{path: "/etc/security/pwquality.conf", dropins: []string{"/etc/security/pwquality.conf.d"}, suffix: ".conf"})
	if r["error"] == nil {
		t.Fatalf("an unreadable drop-in directory gave no error: %v", r)
	}
}

func TestLogicalLines(t *testing.T) {
	got := logicalLines([]byte("a \\\n b\\\n  c # x\n\n# only \\\nd\ne \\"), "#")
	want := []string{"a b c", "d", "e"} // a comment ending in a backslash continues nothing
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
