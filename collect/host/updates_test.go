package host

import (
	"reflect"
	"testing"
)

func TestCompareDebVersions(t *testing.T) {
	// Each version is lower than the next.
	ascending := [][]string{
		{"1.0~rc1", "1.0", "1.0-1", "1:0.9"},
		{"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0+b1", "1.0.1"},
		{"2.4-1", "2.30-1"},
		{"1.0-1~bpo1", "1.0-1", "1.0-1+b1", "1.0-2"},
		{"1.9.13p3-1+deb12u1", "1.9.13p3-1+deb12u2", "1.9.14-1"},
		{"1:3.0.9-1", "2:1.0"},
		// The revision is after the last hyphen: "1.0-2-3" is upstream "1.0-2".
		{"0.9", "1.0-3", "1.0-2-3", "1.0-2-4"},
	}
	for _, seq := range ascending {
		for i := 0; i < len(seq); i++ {
			for j := 0; j < len(seq); j++ {
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got := CompareDebVersions(seq[i], seq[j]); got != want {
					t.Errorf("CompareDebVersions(%q, %q) = %d, want %d", seq[i], seq[j], got, want)
				}
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "0:1.0"}, {"1.01", "1.1"}, {"1.0", "1.0-0"}, {"1.0-1", "0:1.0-1"}} {
		if got := CompareDebVersions(eq[0], eq[1]); got != 0 {
			t.Errorf("CompareDebVersions(%q, %q) = %d, want 0", eq[0], eq[1], got)
		}
	}
}

func TestDpkgInstalled(t *testing.T) {
	status := "Package: sudo\nStatus: install ok installed\nPriority: optional\nVersion: 1.9.13p3-1+deb12u1\n" +
		"Description: Provide limited super user privileges\n Package: not-a-package\n .\n Version: 9\n\n" +
		"Package: telnet\nStatus: deinstall ok config-files\nVersion: 0.17-44\n\n" +
		"Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n\n" +
		"Package: held\nStatus: hold ok installed\nVersion: 2:1.0\n\n\n" +
		"Package: last\nVersion: 3.0\nStatus: install ok installed" // no final newline
	h, _ := newRoot(t, root{"var/lib/dpkg/status": status})
	got, err := dpkgInstalled(h)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"sudo": "1.9.13p3-1+deb12u1", "held": "2:1.0", "last": "3.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	h, _ = newRoot(t, root{"etc/hostname": "x\n"})
	if _, err := dpkgInstalled(h); err == nil {
		t.Error("a missing status file gave no error")
	}
}

func TestMainGPGCheck(t *testing.T) {
	for conf, want := range map[string]bool{
		"[main]\ngpgcheck=1\n":                              true,
		"[main]\ngpgcheck = True\n":                         true,
		"[main]\ngpgcheck=0\n[repo]\ngpgcheck=1\n":          false,
		"[main]\ninstallonly_limit=3\n[epel]\ngpgcheck=1\n": false,
		"gpgcheck=1\n[main]\nbest=True\n":                   true,
		"[main]\n#gpgcheck=0\ngpgcheck=1 # on\n":            true,
		"":                                                  false,
	} {
		if got := mainGPGCheck([]byte(conf)); got != want {
			t.Errorf("mainGPGCheck(%q) = %v, want %v", conf, got, want)
		}
	}
}

func TestUpdates(t *testing.T) {
	out := run(t, collectUpdates, root{
		"etc/apt/sources.list":               "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n",
		"etc/apt/sources.list.d/x.list":      "deb [trusted=yes] http://example.invalid/ ./\n",
		"etc/apt/apt.conf.d/20auto-upgrades": `APT::Periodic::Update-Package-Lists "1";`,
		"var/lib/dpkg/status":                "Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u1\n\nPackage: unattended-upgrades\nStatus: install ok installed\nVersion: 2.9.1\n",
		"var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages": "Package: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: openssl\nVersion: 3.0.9-1\n\nPackage: curl\nVersion: 9.9\n",
		"etc/dnf/dnf.conf": "[main]\ngpgcheck=1\n",
	})
	apt := out["apt"].(map[string]any)
	if apt["periodic_update"] != "1" || apt["unattended_upgrade"] != "" || apt["unattended_installed"] != true || apt["security_source"] != true {
		t.Errorf("apt = %v", apt)
	}
	if ins := apt["insecure"].([]any); len(ins) != 1 {
		t.Errorf("insecure = %v, want the trusted=yes source", ins)
	}
	p := out["pending_security"].(map[string]any)
	if p["known"] != true || p["count"] != 1 || !reflect.DeepEqual(p["packages"], []any{"openssl 3.0.11-1~deb12u1 -> 3.0.11-1~deb12u2"}) {
		t.Errorf("pending = %v", p)
	}
	dnf := out["dnf"].(map[string]any)
	if dnf["present"] != true || dnf["gpgcheck"] != true || dnf["apply_updates"] != "" {
		t.Errorf("dnf = %v", dnf)
	}
}
