package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSysctlPersisted(t *testing.T) {
	type want struct {
		value any // string or nil
		file  string
		glob  string
	}
	tests := []struct {
		name  string
		files root
		want  map[string]want
	}{
		{
			name: "files apply in name order across directories; /etc/sysctl.conf last",
			files: root{
				"usr/lib/sysctl.d/50-default.conf": "kernel.sysrq = 16\nnet.ipv4.ip_forward = 1\n",
				"etc/sysctl.d/10-early.conf":       "kernel.sysrq = 0\nnet.ipv4.ip_forward = 0\nfs.suid_dumpable = 0\n",
				"etc/sysctl.d/99-late.conf":        "net.ipv4.ip_forward = 0\n",
				"etc/sysctl.conf":                  "fs.suid_dumpable = 2\n",
			},
			want: map[string]want{
				"kernel.sysrq":          {"16", "/usr/lib/sysctl.d/50-default.conf", ""},
				"net.ipv4.ip_forward":   {"0", "/etc/sysctl.d/99-late.conf", ""},
				"fs.suid_dumpable":      {"2", "/etc/sysctl.conf", ""},
				"kernel.dmesg_restrict": {nil, "", ""},
			},
		},
		{
			name: "a name in /etc/sysctl.d hides the same name in /run and /usr/lib",
			files: root{
				"usr/lib/sysctl.d/50-x.conf": "kernel.sysrq = 1\nkernel.kptr_restrict = 0\n",
				"run/sysctl.d/50-x.conf":     "kernel.sysrq = 2\n",
				"etc/sysctl.d/50-x.conf":     "kernel.sysrq = 0\n",
			},
			want: map[string]want{
				"kernel.sysrq":         {"0", "/etc/sysctl.d/50-x.conf", ""},
				"kernel.kptr_restrict": {nil, "", ""},
			},
		},
		{
			name: "a link to /dev/null masks a vendor file",
			files: root{
				"usr/lib/sysctl.d/50-x.conf": "kernel.sysrq = 1\n",
				"etc/sysctl.d/50-x.conf":     "->/dev/null",
			},
			want: map[string]want{"kernel.sysrq": {nil, "", ""}},
		},
		{
			name: "syntax: - prefix, slash keys, whole-line comments only, whitespace",
			files: root{
				"etc/sysctl.d/60-x.conf": "# comment\n; comment too\n-kernel.yama.ptrace_scope = 1\n" +
					"net/ipv4/tcp_syncookies=1\nkernel.randomize_va_space = 2 # not a comment\n" +
					"kernel.core_pattern =   |/bin/false   x  \nnot an assignment\n" +
					"net/ipv4/conf/eth0.100/rp_filter = 1\n",
			},
			want: map[string]want{
				"kernel.yama.ptrace_scope":         {"1", "/etc/sysctl.d/60-x.conf", ""},
				"net.ipv4.tcp_syncookies":          {"1", "/etc/sysctl.d/60-x.conf", ""},
				"kernel.randomize_va_space":        {"2 # not a comment", "/etc/sysctl.d/60-x.conf", ""},
				"kernel.core_pattern":              {"|/bin/false x", "/etc/sysctl.d/60-x.conf", ""},
				"net.ipv4.conf.eth0/100.rp_filter": {"1", "/etc/sysctl.d/60-x.conf", ""},
			},
		},
		{
			name: "a glob sets the all and default keys no line names",
			files: root{
				"usr/lib/sysctl.d/50-default.conf": "net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.accept_redirects\n",
				"etc/sysctl.d/10-explicit.conf":    "net.ipv4.conf.default.rp_filter = 1\n",
				"etc/sysctl.d/60-glob.conf":        "net.ipv4.conf.*.accept_redirects = 1\n",
			},
			want: map[string]want{
				// The explicit line wins although its file comes first.
				"net.ipv4.conf.default.rp_filter": {"1", "/etc/sysctl.d/10-explicit.conf", ""},
				"net.ipv4.conf.all.rp_filter":     {"2", "/usr/lib/sysctl.d/50-default.conf", "net.ipv4.conf.*.rp_filter"},
				// "-key" without a value excludes the key from globs.
				"net.ipv4.conf.all.accept_redirects":     {nil, "", ""},
				"net.ipv4.conf.default.accept_redirects": {"1", "/etc/sysctl.d/60-glob.conf", "net.ipv4.conf.*.accept_redirects"},
				// A glob does not cross a separator.
				"net.ipv6.conf.all.accept_redirects": {nil, "", ""},
			},
		},
		{
			name: "of two globs the later one wins",
			files: root{
				"etc/sysctl.d/10-a.conf": "net.ipv4.conf.*.log_martians = 0\n",
				"etc/sysctl.d/20-b.conf": "net.ipv4.conf.*.log_martians = 1\n",
			},
			want: map[string]want{"net.ipv4.conf.all.log_martians": {"1", "/etc/sysctl.d/20-b.conf", "net.ipv4.conf.*.log_martians"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := run(t, collectSysctl, tc.files)
			for k, w := range tc.want {
				r, ok := m(t, out, "persisted", k).(map[string]any)
				if !ok {
					t.Fatalf("persisted has no %s: %v", k, out["persisted"])
				}
				if r["error"] != nil {
					t.Fatalf("%s: unexpected error %v", k, r["error"])
				}
				if r["value"] != w.value || str(r["file"]) != w.file || str(r["glob"]) != w.glob {
					t.Errorf("%s = %v, want value %v file %q glob %q", k, r, w.value, w.file, w.glob)
				}
			}
			for k := range m(t, out, "persisted").(map[string]any) {
				if isGlob(k) {
					t.Errorf("persisted holds the glob %s as a key", k)
				}
			}
		})
	}
}

func TestSysctlRuntimeOffline(t *testing.T) {
	out := run(t, collectSysctl, root{"etc/sysctl.conf": "kernel.sysrq = 0\n"})
	for _, k := range sysctlKeys {
		r := m(t, out, "runtime", k).(map[string]any)
		if r["na_kind"] != "offline" || str(r["na"]) == "" || r["value"] != nil {
			t.Fatalf("runtime %s offline = %v, want na with na_kind offline", k, r)
		}
	}
}

func TestSysctlRuntimeLive(t *testing.T) {
	proc := t.TempDir()
	dir := filepath.Join(proc, "sys")
	os.MkdirAll(filepath.Join(dir, "net/ipv4/conf/eth0.100"), 0o755)
	os.WriteFile(filepath.Join(dir, "net/ipv4/conf/eth0.100/rp_filter"), []byte("1\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "kernel"), 0o755)
	os.WriteFile(filepath.Join(dir, "kernel/core_pattern"), []byte("core\t%p\n"), 0o644)
	live := &Host{root: "/", live: true, proc: proc}
	for _, tc := range []struct {
		key, value, naKind string
	}{
		{"net.ipv4.conf.eth0/100.rp_filter", "1", ""},
		{"kernel.core_pattern", "core %p", ""},
		{"kernel.no_such_thing", "", "absent"},
	} {
		r := runtimeSysctl(live, tc.key)
		if str(r["value"]) != tc.value || str(r["na_kind"]) != tc.naKind {
			t.Errorf("%s = %v, want value %q na_kind %q", tc.key, r, tc.value, tc.naKind)
		}
	}
}

func TestSysctlUnreadable(t *testing.T) {
	for _, p := range []string{"etc/sysctl.d/60-x.conf", "etc/sysctl.d"} {
		t.Run(p, func(t *testing.T) {
			if asNobody(t) {
				return
			}
			h, dir := newRoot(t, root{"etc/sysctl.d/60-x.conf": "kernel.sysrq = 0\n"})
			unreadable(t, dir, p)
			out, _ := collectSysctl(context.Background(), h)
			for k, r := range out["persisted"].(map[string]any) {
				if !strings.Contains(str(m(t, r, "error")), "permission denied") {
					t.Errorf("persisted %s = %v, want an error", k, r)
				}
			}
		})
	}
}

func TestSysctlKey(t *testing.T) {
	for in, want := range map[string]string{
		"net.ipv4.ip_forward":              "net.ipv4.ip_forward",
		"net/ipv4/ip_forward":              "net.ipv4.ip_forward",
		"/net/ipv4/ip_forward":             "net.ipv4.ip_forward",
		"net/ipv4/conf/eth0.100/rp_filter": "net.ipv4.conf.eth0/100.rp_filter",
		"net.ipv4.conf.eth0/100.rp_filter": "net.ipv4.conf.eth0/100.rp_filter",
		" kernel.sysrq ":                   "kernel.sysrq",
	} {
		if got := sysctlKey(in); got != want {
			t.Errorf("sysctlKey(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sysctlPath("net.ipv4.conf.eth0/100.rp_filter"); got != "/proc/sys/net/ipv4/conf/eth0.100/rp_filter" {
		t.Errorf("sysctlPath = %q", got)
	}
}
