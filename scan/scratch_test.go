package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/scan"
)

// file is one file of a scratch root.
type file struct {
	body string
	mode os.FileMode
}

// hardened is a Debian 12 host laid out under a directory, configured the
// way the baseline wants. Each plant below breaks one thing.
func hardened() map[string]file {
	f := func(body string) file { return file{body, 0o644} }
	sysctl := ""
	for _, kv := range []string{
		"net.ipv4.ip_forward = 0", "net.ipv6.conf.all.forwarding = 0",
		"net.ipv4.conf.all.send_redirects = 0", "net.ipv4.conf.default.send_redirects = 0",
		"net.ipv4.conf.all.accept_source_route = 0", "net.ipv4.conf.default.accept_source_route = 0",
		"net.ipv6.conf.all.accept_source_route = 0", "net.ipv6.conf.default.accept_source_route = 0",
		"net.ipv4.conf.all.accept_redirects = 0", "net.ipv4.conf.default.accept_redirects = 0",
		"net.ipv6.conf.all.accept_redirects = 0", "net.ipv6.conf.default.accept_redirects = 0",
		"net.ipv4.conf.all.secure_redirects = 0", "net.ipv4.conf.default.secure_redirects = 0",
		"net.ipv4.conf.all.log_martians = 1", "net.ipv4.conf.default.log_martians = 1",
		"net.ipv4.icmp_echo_ignore_broadcasts = 1", "net.ipv4.icmp_ignore_bogus_error_responses = 1",
		"net.ipv4.conf.all.rp_filter = 1", "net.ipv4.conf.default.rp_filter = 1",
		"net.ipv4.tcp_syncookies = 1", "net.ipv6.conf.all.accept_ra = 0", "net.ipv6.conf.default.accept_ra = 0",
		"kernel.randomize_va_space = 2", "kernel.yama.ptrace_scope = 1", "fs.suid_dumpable = 0",
		"kernel.dmesg_restrict = 1", "kernel.kptr_restrict = 1", "fs.protected_hardlinks = 1",
		"fs.protected_symlinks = 1", "fs.protected_fifos = 1", "fs.protected_regular = 2",
		"kernel.unprivileged_bpf_disabled = 1", "net.core.bpf_jit_harden = 2", "kernel.perf_event_paranoid = 2",
		"dev.tty.ldisc_autoload = 0", "kernel.kexec_load_disabled = 1", "kernel.sysrq = 0",
	} {
		sysctl += kv + "\n"
	}
	modprobe := ""
	for _, m := range []string{"cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "squashfs", "udf", "usb-storage",
		"dccp", "sctp", "rds", "tipc", "firewire-core", "bluetooth"} {
		modprobe += "install " + m + " /bin/false\nblacklist " + m + "\n"
	}
	return map[string]file{
		"etc/os-release":                 f("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"),
		"etc/hostname":                   f("scratch\n"),
		"lib/systemd/systemd":            {"", 0o755},
		"etc/passwd":                     f("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"),
		"etc/passwd-":                    f("root:x:0:0:root:/root:/bin/bash\n"),
		"etc/group":                      f("root:x:0:\ndaemon:x:1:\nshadow:x:42:\nsudo:x:27:alice\nalice:x:1000:\n"),
		"etc/group-":                     f("root:x:0:\n"),
		"etc/shadow":                     {"root:!:19700:1:365:7:30::\ndaemon:*:19700:1:365:7:30::\nalice:$y$j9T$abc$def:19700:1:365:7:30::\n", 0o640},
		"etc/shadow-":                    {"root:!:19700::::::\n", 0o640},
		"etc/gshadow":                    {"root:*::\nshadow:*::\n", 0o640},
		"etc/gshadow-":                   {"root:*::\n", 0o640},
		"etc/sysctl.d/60-hardening.conf": f(sysctl),
		"etc/modprobe.d/cis.conf":        f(modprobe),
		"etc/fstab": f("/dev/sda1 / ext4 defaults 0 1\n" +
			"tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0\n" +
			"tmpfs /dev/shm tmpfs defaults,nodev,nosuid,noexec 0 0\n" +
			"/dev/sda2 /var ext4 defaults 0 2\n/dev/sda3 /var/tmp ext4 defaults,nodev,nosuid,noexec 0 2\n" +
			"/dev/sda4 /var/log ext4 defaults 0 2\n/dev/sda5 /var/log/audit ext4 defaults 0 2\n" +
			"/dev/sda6 /home ext4 defaults,nodev,nosuid 0 2\n"),
		"etc/crontab":             {"", 0o600},
		"var/lib/dpkg/status":     f("Package: sudo\nStatus: install ok installed\nVersion: 1.9.13p3-1+deb12u1\n\nPackage: auditd\nStatus: install ok installed\nVersion: 1:3.0.9-1\n\nPackage: nftables\nStatus: install ok installed\nVersion: 1.0.6-2+deb12u2\n\n"),
		"etc/cron.d/.placeholder": {"", 0o600},
		"usr/sbin/sshd":           {"", 0o755},
		"etc/ssh/sshd_config": {"Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nMaxAuthTries 4\nPermitEmptyPasswords no\n" +
			"X11Forwarding no\nLogLevel VERBOSE\nLoginGraceTime 60\nClientAliveInterval 300\nClientAliveCountMax 3\n" +
			"UsePAM yes\nAllowTcpForwarding no\nDisableForwarding yes\nMaxStartups 10:30:60\nMaxSessions 10\nBanner /etc/issue.net\n" +
			"IgnoreRhosts yes\nHostbasedAuthentication no\nPermitUserEnvironment no\nAllowGroups sshusers\n" +
			"Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr\nMACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com\n" +
			"KexAlgorithms curve25519-sha256,diffie-hellman-group16-sha512\nPasswordAuthentication no\nGSSAPIAuthentication no\n", 0o600},
		"etc/login.defs":      f("PASS_MAX_DAYS 365\nPASS_MIN_DAYS 1\nPASS_WARN_AGE 7\nENCRYPT_METHOD YESCRYPT\nUMASK 027\nUID_MIN 1000\nLOGIN_RETRIES 3\n"),
		"etc/default/useradd": f("INACTIVE=30\n"),
		"etc/pam.d/common-password": f("password requisite pam_pwquality.so retry=3\npassword required pam_pwhistory.so remember=24 use_authtok\n" +
			"password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\npassword requisite pam_deny.so\npassword required pam_permit.so\n"),
		"etc/pam.d/common-auth": f("auth required pam_faillock.so preauth\nauth [success=1 default=ignore] pam_unix.so\nauth [default=die] pam_faillock.so authfail\n" +
			"auth requisite pam_deny.so\nauth required pam_permit.so\nauth sufficient pam_faillock.so authsucc\n"),
		"etc/pam.d/su":                f("auth required pam_wheel.so use_uid group=sugroup\n@include common-auth\n"),
		"etc/security/pwquality.conf": f("minlen = 14\nminclass = 4\nmaxrepeat = 3\ndictcheck = 1\nenforcing = 1\nenforce_for_root\n"),
		"etc/security/faillock.conf":  f("deny = 5\nunlock_time = 900\n"),
		"etc/security/pwhistory.conf": f("remember = 24\n"),
		"etc/sudoers":                 {"Defaults use_pty\nDefaults logfile=\"/var/log/sudo.log\"\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n", 0o440},
		"etc/issue":                   f("Authorized uses only. All activity may be monitored and reported.\n"),
		"etc/issue.net":               f("Authorized uses only. All activity may be monitored and reported.\n"),
		"etc/motd":                    f("Authorized uses only.\n"),
		// Homes: root's and alice's, closed to others, their dot files
		// theirs (a key "PATH/" is a directory; files under home/alice
		// belong to alice unless the key ends in "@UID").
		"root/":               {"", 0o700},
		"root/.bashrc":        f("# ~/.bashrc\n"),
		"home/alice/":         {"", 0o750},
		"home/alice/.profile": f("# ~/.profile\n"),
		"home/alice/.ssh/":    {"", 0o700},
		// Shell startup: root's PATH of root-owned system directories, a
		// umask of 027 for logins.
		"etc/profile": f("if [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n" +
			"else\n  PATH=\"/usr/local/bin:/usr/bin:/bin\"\nfi\nexport PATH\nfor i in /etc/profile.d/*.sh; do . \"$i\"; done\n"),
		"etc/profile.d/umask.sh": f("umask 027\n"),
		"etc/bash.bashrc":        f("[ -z \"$PS1\" ] && return\n"),
		"usr/local/sbin/":        {"", 0o755},
		"usr/local/bin/":         {"", 0o755},
		"usr/bin/":               {"", 0o755},
		"sbin/":                  {"", 0o755},
		"bin/":                   {"", 0o755},
	}
}

func writeRoot(t *testing.T, dir string, files map[string]file) {
	t.Helper()
	// Directories first, so that their modes hold whatever is put in them.
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		di, dj := strings.HasSuffix(paths[i], "/"), strings.HasSuffix(paths[j], "/")
		return di && !dj || di == dj && paths[i] < paths[j]
	})
	for _, p := range paths {
		f := files[p]
		owner := -1
		if i := strings.LastIndexByte(p, '@'); i > 0 {
			owner, _ = strconv.Atoi(p[i+1:])
			p = p[:i]
		} else if strings.HasPrefix(p, "home/alice/") {
			owner = 1000 // alice's, as a home's files are
		}
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, f.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(full, f.mode)
			if owner >= 0 {
				os.Lchown(full, owner, owner) // only root can: see needsRoot
			}
			continue
		}
		// A body "->TARGET" is a symlink (rc links, OpenRC runlevels).
		if target, ok := strings.CutPrefix(f.body, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, f.mode); err != nil {
			t.Fatal(err)
		}
		if owner >= 0 {
			os.Lchown(full, owner, owner)
		}
	}
	for _, d := range []string{"etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly", "etc/cron.d"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
		os.Chmod(filepath.Join(dir, d), 0o700)
	}
	for _, d := range []string{"tmp", "var/tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o777)
		os.Chmod(filepath.Join(dir, d), os.ModeSticky|0o777)
	}
}

// verdicts scans dir and returns each check's worst verdict.
func verdicts(t *testing.T, reg *check.Registry, dir string) (map[string]check.Verdict, map[string]string) {
	t.Helper()
	h, err := host.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := scan.Run(context.Background(), scan.Options{Checks: reg, Collectors: collect.NewRegistry(host.Collectors(h)...), Host: h.Info()})
	rank := map[check.Verdict]int{check.Pass: 0, check.NotApplicable: 1, check.Skip: 1, check.Error: 2, check.Fail: 3}
	out, why := map[string]check.Verdict{}, map[string]string{}
	for _, f := range rep.Findings {
		if old, ok := out[f.CheckID]; !ok || rank[f.Verdict] > rank[old] {
			out[f.CheckID], why[f.CheckID] = f.Verdict, f.Resource+": "+f.Reason
		}
	}
	return out, why
}

// resourceVerdicts scans dir and returns each "CHECK|RESOURCE" verdict.
func resourceVerdicts(t *testing.T, reg *check.Registry, dir string) map[string]check.Verdict {
	t.Helper()
	h, err := host.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := scan.Run(context.Background(), scan.Options{Checks: reg, Collectors: collect.NewRegistry(host.Collectors(h)...), Host: h.Info()})
	out := map[string]check.Verdict{}
	for _, f := range rep.Findings {
		out[f.CheckID+"|"+f.Resource] = f.Verdict
	}
	return out
}

// plant is one misconfiguration and the check that must find it.
type plant struct {
	name  string
	check string
	apply func(files map[string]file)
}

func plants() []plant {
	set := func(p, body string, mode os.FileMode) func(map[string]file) {
		return func(fs map[string]file) { fs[p] = file{body, mode} }
	}
	edit := func(p, old, new string) func(map[string]file) {
		return func(fs map[string]file) {
			f := fs[p]
			if !strings.Contains(f.body, old) {
				panic(p + " has no " + old)
			}
			f.body = strings.Replace(f.body, old, new, 1)
			fs[p] = f
		}
	}
	chmod := func(p string, mode os.FileMode) func(map[string]file) {
		return func(fs map[string]file) { f := fs[p]; f.mode = mode; fs[p] = f }
	}
	return []plant{
		{"IP forwarding persisted on", "linux.sysctl.ip-forward.persisted", edit("etc/sysctl.d/60-hardening.conf", "net.ipv4.ip_forward = 0", "net.ipv4.ip_forward = 1")},
		{"ASLR off in a later file", "linux.sysctl.randomize-va-space.persisted", set("etc/sysctl.d/99-late.conf", "kernel.randomize_va_space = 0\n", 0o644)},
		{"redirects accepted", "linux.sysctl.accept-redirects-all.persisted", edit("etc/sysctl.d/60-hardening.conf", "net.ipv4.conf.all.accept_redirects = 0", "net.ipv4.conf.all.accept_redirects = 1")},
		{"syncookies off", "linux.sysctl.tcp-syncookies.persisted", edit("etc/sysctl.d/60-hardening.conf", "net.ipv4.tcp_syncookies = 1", "net.ipv4.tcp_syncookies = 0")},
		{"suid core dumps", "linux.sysctl.suid-dumpable.persisted", edit("etc/sysctl.d/60-hardening.conf", "fs.suid_dumpable = 0", "fs.suid_dumpable = 2")},
		{"cramfs loadable", "linux.modules.cramfs", edit("etc/modprobe.d/cis.conf", "install cramfs /bin/false\n", "")},
		{"usb-storage loadable", "linux.modules.usb-storage", edit("etc/modprobe.d/cis.conf", "install usb-storage /bin/false\n", "")},
		{"/tmp without noexec", "linux.mounts.tmp-noexec", edit("etc/fstab", "defaults,nodev,nosuid,noexec 0 0\ntmpfs /dev/shm", "defaults,nodev,nosuid 0 0\ntmpfs /dev/shm")},
		{"/dev/shm without nosuid", "linux.mounts.dev-shm-nosuid", edit("etc/fstab", "tmpfs /dev/shm tmpfs defaults,nodev,nosuid,noexec", "tmpfs /dev/shm tmpfs defaults,nodev,noexec")},
		{"/tmp not separate", "linux.mounts.tmp-separate", edit("etc/fstab", "tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0\n", "")},
		{"shadow readable by all", "linux.files.shadow", chmod("etc/shadow", 0o644)},
		{"passwd writable by group", "linux.files.passwd", chmod("etc/passwd", 0o664)},
		{"crontab readable by others", "linux.files.crontab", chmod("etc/crontab", 0o644)},
		{"world-writable file", "linux.walk.world-writable-files", set("etc/planted-ww.conf", "x\n", 0o666)},
		{"issue reveals the OS", "linux.banner.issue", set("etc/issue", "Debian GNU/Linux 12 \\n \\l\n", 0o644)},
		{"telnet server installed", "linux.packages.telnet-server", edit("var/lib/dpkg/status", "Package: sudo\n", "Package: telnetd\nStatus: install ok installed\nVersion: 0.17\n\nPackage: sudo\n")},
		{"root may sign in over SSH", "linux.sshd.permit-root-login", edit("etc/ssh/sshd_config", "PermitRootLogin no", "PermitRootLogin yes")},
		{"an sshd drop-in weakens MaxAuthTries first", "linux.sshd.max-auth-tries", set("etc/ssh/sshd_config.d/10-local.conf", "MaxAuthTries 10\n", 0o600)},
		{"weak SSH cipher", "linux.sshd.weak-ciphers", edit("etc/ssh/sshd_config", "aes256-ctr", "aes256-ctr,3des-cbc")},
		{"user with an empty password", "linux.accounts.empty-password", edit("etc/shadow", "alice:$y$j9T$abc$def", "alice:")},
		{"second UID 0 account", "linux.accounts.uid0-root-only", edit("etc/passwd", "alice:x:1000:", "toor:x:0:0::/root:/bin/bash\nalice:x:1000:")},
		{"passwords never expire", "linux.logindefs.pass-max-days", edit("etc/login.defs", "PASS_MAX_DAYS 365", "PASS_MAX_DAYS 99999")},
		{"pam_unix allows empty passwords", "linux.pam.unix-no-nullok", edit("etc/pam.d/common-auth", "pam_unix.so\n", "pam_unix.so nullok\n")},
		{"short passwords allowed", "linux.pam.pwquality-minlen", edit("etc/security/pwquality.conf", "minlen = 14", "minlen = 8")},
		{"sudo without a password", "linux.sudo.nopasswd", set("etc/sudoers.d/ops", "%ops ALL=(ALL) NOPASSWD: ALL\n", 0o440)},
		{"weak key exchange appended to the defaults", "linux.sshd.weak-kex", edit("etc/ssh/sshd_config", "KexAlgorithms curve25519-sha256,diffie-hellman-group16-sha512\n", "KexAlgorithms +diffie-hellman-group1-sha1\n")},
		{"a strong drop-in under a weak pwquality.conf (the main file wins)", "linux.pam.pwquality-minlen", func(fs map[string]file) {
			fs["etc/security/pwquality.conf.d/50-strong.conf"] = file{"minlen = 16\n", 0o644}
			f := fs["etc/security/pwquality.conf"]
			f.body = strings.Replace(f.body, "minlen = 14", "minlen = 8", 1)
			fs["etc/security/pwquality.conf"] = f
		}},
		// CIS Level 1 items OpenSCAP judges (issue 10, item 13).
		{"home: alice's home readable by all (0755)", "linux.homes.permissions", set("home/alice/", "", 0o755)},
		{"home: alice's home owned by root", "linux.homes.permissions", set("home/alice/@0", "", 0o750)},
		{"a user whose home does not exist", "linux.homes.exist", edit("etc/passwd", "alice:x:1000:", "carol:x:1002:1002::/home/carol:/bin/bash\nalice:x:1000:")},
		{"home: a root-owned .bashrc in alice's home", "linux.homes.dotfiles", set("home/alice/.bashrc@0", "", 0o644)},
		{"home: a group-writable .profile", "linux.homes.dotfiles", set("home/alice/.profile", "", 0o664)},
		{"home: a .netrc in alice's home (hers, 0600)", "linux.homes.netrc", set("home/alice/.netrc", "machine ftp.example login alice password s3cret\n", 0o600)},
		{"home: a .rhosts in alice's home", "linux.homes.rhosts", set("home/alice/.rhosts", "+ +\n", 0o600)},
		{"/etc/hosts.equiv", "linux.homes.rhosts", set("etc/hosts.equiv", "+\n", 0o644)},
		{"root: a world-writable directory in root's PATH", "linux.shell.root-path", func(fs map[string]file) {
			fs["etc/environment"] = file{"PATH=\"/opt/tools/bin:$PATH\"\n", 0o644}
			fs["opt/tools/bin/"] = file{"", 0o777}
		}},
		{"root: '.' in root's PATH", "linux.shell.root-path", set("root/.bashrc", "export PATH=$PATH:.\n", 0o644)},
		{"root: a missing directory in sudo's secure_path", "linux.shell.root-path", edit("etc/sudoers", "Defaults use_pty\n", "Defaults use_pty\nDefaults secure_path=\"/usr/sbin:/usr/bin:/home/alice/bin\"\n")},
		{"umask 022 in /etc/profile", "linux.shell.umask", edit("etc/profile", "export PATH\n", "export PATH\numask 022\n")},
		{"no umask for logins (only in bash.bashrc)", "linux.shell.umask", func(fs map[string]file) {
			delete(fs, "etc/profile.d/umask.sh")
			fs["etc/bash.bashrc"] = file{"umask 027\n", 0o644}
		}},
		{"pam_pwquality allows 5 tries", "linux.pam.pwquality-retry", edit("etc/pam.d/common-password", "retry=3", "retry=5")},
		{"pwquality.conf allows 10 tries", "linux.pam.pwquality-retry", func(fs map[string]file) {
			f := fs["etc/pam.d/common-password"]
			f.body = strings.Replace(f.body, " retry=3", "", 1)
			fs["etc/pam.d/common-password"] = f
			f = fs["etc/security/pwquality.conf"]
			f.body += "retry = 10\n"
			fs["etc/security/pwquality.conf"] = f
		}},
		{"no firewall package", "linux.packages.firewall", edit("var/lib/dpkg/status", "Package: nftables\n", "Package: nftables-doc\n")},
	}
}

// needsRoot: plants (and their checks' clean verdicts) that depend on files
// owned by alice or by root, which only root can arrange.
func needsRoot(p plant) bool {
	return strings.HasPrefix(p.name, "home:") || strings.HasPrefix(p.name, "root:")
}

// TestScratchRootFindsEachPlant plants misconfigurations in a hardened
// scratch root one at a time: the target check passes on the clean root
// and fails with the plant, and no other check changes to pass.
func TestScratchRootFindsEachPlant(t *testing.T) {
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	clean := t.TempDir()
	writeRoot(t, clean, hardened())
	base, baseWhy := verdicts(t, reg, clean)
	known := map[string]bool{}
	for _, c := range reg.Checks() {
		known[c.ID] = true
	}
	for _, p := range plants() {
		t.Run(p.name, func(t *testing.T) {
			if needsRoot(p) && os.Geteuid() != 0 {
				t.Skip("needs root to give files to alice and root")
			}
			if !known[p.check] {
				t.Fatalf("no check %s", p.check)
			}
			if base[p.check] != check.Pass {
				t.Fatalf("%s on the hardened root: %s (%s), want pass", p.check, base[p.check], baseWhy[p.check])
			}
			files := hardened()
			p.apply(files)
			dir := t.TempDir()
			writeRoot(t, dir, files)
			got, why := verdicts(t, reg, dir)
			if got[p.check] != check.Fail {
				t.Fatalf("%s with the plant: %s (%s), want fail", p.check, got[p.check], why[p.check])
			}
			t.Logf("%s: %s", p.check, why[p.check])
			for id, v := range got {
				if v == check.Pass && base[id] != check.Pass {
					t.Errorf("%s went from %s to pass when %s was planted", id, base[id], p.name)
				}
			}
		})
	}
}

// scenario is a change to the hardened root and the verdicts it must give.
type scenario struct {
	name  string
	apply func(files map[string]file)
	want  map[string]check.Verdict
	why   map[string]string // a reason must contain this
}

// TestScratchRootInitSystems judges services on hosts without systemd
// (Debian with sysvinit, Alpine with OpenRC) and systemd daemons' settings
// in roots without systemd's binary: not applicable only when the software
// is absent, never because one init system is. It also holds the
// compliant look-alikes of the plants above, which must not be flagged.
func TestScratchRootInitSystems(t *testing.T) {
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	slapdPkg := func(fs map[string]file) {
		f := fs["var/lib/dpkg/status"]
		f.body += "Package: slapd\nStatus: install ok installed\nVersion: 2.5.13+dfsg-5\n\n"
		fs["var/lib/dpkg/status"] = f
	}
	noSystemd := func(fs map[string]file) { delete(fs, "lib/systemd/systemd") }
	script := file{"#!/bin/sh\n", 0o755}
	link := func(target string) file { return file{"->" + target, 0o777} }
	all := func(fns ...func(map[string]file)) func(map[string]file) {
		return func(fs map[string]file) {
			for _, fn := range fns {
				fn(fs)
			}
		}
	}
	const ldap, journal = "linux.services.ldap-server", "linux.logging.journald-persistent"
	for _, sc := range []scenario{
		{"Debian with sysvinit: slapd started through /etc/rc2.d", all(noSystemd, slapdPkg, func(fs map[string]file) {
			fs["etc/init.d/slapd"] = script
			fs["etc/rc2.d/S01slapd"] = link("../init.d/slapd")
			fs["etc/rc3.d/S01slapd"] = link("../init.d/slapd")
			// Debian's package installs the unit and its wants link too;
			// without systemd they start nothing, and change nothing here.
			fs["lib/systemd/system/slapd.service"] = file{"[Service]\n[Install]\nWantedBy=multi-user.target\n", 0o644}
		}), map[string]check.Verdict{ldap: check.Fail}, map[string]string{ldap: "/etc/rc2.d/S01slapd"}},
		{"Debian with sysvinit: slapd installed, only K links", all(noSystemd, slapdPkg, func(fs map[string]file) {
			fs["etc/init.d/slapd"] = script
			fs["etc/rc1.d/K01slapd"] = link("../init.d/slapd")
		}), map[string]check.Verdict{ldap: check.Pass}, nil},
		{"Alpine with OpenRC: slapd in the default runlevel", all(noSystemd, func(fs map[string]file) {
			fs["etc/init.d/slapd"] = script
			fs["etc/runlevels/default/slapd"] = link("/etc/init.d/slapd")
		}), map[string]check.Verdict{ldap: check.Fail}, map[string]string{ldap: "/etc/runlevels/default/slapd"}},
		{"systemd: slapd's init script (no native unit) linked in rc2.d", all(slapdPkg, func(fs map[string]file) {
			fs["etc/init.d/slapd"] = script
			fs["etc/rc2.d/S01slapd"] = link("../init.d/slapd")
		}), map[string]check.Verdict{ldap: check.Fail}, nil},
		{"no systemd, no slapd: not applicable, saying it is not installed", noSystemd,
			map[string]check.Verdict{ldap: check.NotApplicable}, map[string]string{ldap: "not installed"}},
		{"systemd's binary absent, journald.conf volatile", all(noSystemd, func(fs map[string]file) {
			fs["etc/systemd/journald.conf"] = file{"[Journal]\nStorage=volatile\n", 0o644}
		}), map[string]check.Verdict{journal: check.Fail}, map[string]string{journal: "volatile"}},
		{"systemd's binary absent, journald.conf persistent", all(noSystemd, func(fs map[string]file) {
			fs["etc/systemd/journald.conf"] = file{"[Journal]\nStorage=persistent\n", 0o644}
		}), map[string]check.Verdict{journal: check.Pass}, nil},
		// (The hardened root has no avahi: the service checks are not
		// applicable there, so their plants are here.)
		{"systemd: avahi enabled", func(fs map[string]file) {
			fs["lib/systemd/system/avahi-daemon.service"] = file{"[Unit]\n[Install]\nWantedBy=multi-user.target\n", 0o644}
			fs["etc/systemd/system/multi-user.target.wants/avahi-daemon.service"] = file{"[Unit]\n", 0o644}
		}, map[string]check.Verdict{"linux.services.avahi": check.Fail}, nil},
		{"systemd: avahi installed, disabled", func(fs map[string]file) {
			fs["lib/systemd/system/avahi-daemon.service"] = file{"[Unit]\n[Install]\nWantedBy=multi-user.target\n", 0o644}
		}, map[string]check.Verdict{"linux.services.avahi": check.Pass}, nil},
		{"no journald at all", noSystemd, map[string]check.Verdict{journal: check.NotApplicable}, nil},
		// RHEL 8+: the menu entries are BLS files; /etc/default/grub still
		// says audit=1 but grubby removed it from the rescue entry.
		{"BLS entry without audit=1", func(fs map[string]file) {
			fs["etc/default/grub"] = file{"GRUB_CMDLINE_LINUX=\"audit=1 audit_backlog_limit=8192\"\n", 0o644}
			fs["boot/grub2/grub.cfg"] = file{"insmod blscfg\nblscfg\n", 0o600}
			fs["boot/grub2/grubenv"] = file{"kernelopts=root=/dev/sda1 ro audit=1 audit_backlog_limit=8192\n", 0o600}
			fs["boot/loader/entries/a.conf"] = file{"title a\noptions $kernelopts\n", 0o644}
			fs["boot/loader/entries/b.conf"] = file{"title rescue\noptions root=/dev/sda1 ro audit_backlog_limit=8192\n", 0o644}
		}, map[string]check.Verdict{"linux.boot.audit-enabled": check.Fail, "linux.boot.audit-backlog-limit|grub": check.Pass}, nil},
		{"BLS entries all with audit=1", func(fs map[string]file) {
			fs["etc/default/grub"] = file{"GRUB_CMDLINE_LINUX=\"audit=1 audit_backlog_limit=8192\"\n", 0o644}
			fs["boot/grub2/grub.cfg"] = file{"insmod blscfg\nblscfg\n", 0o600}
			fs["boot/loader/entries/a.conf"] = file{"title a\noptions root=/dev/sda1 ro audit=1 audit_backlog_limit=8192\n", 0o644}
		}, map[string]check.Verdict{"linux.boot.audit-enabled|grub": check.Pass}, nil},
		// systemd-timesyncd installed with no timesyncd.conf runs on its
		// compiled-in servers: judged, not "no configuration file".
		{"timesyncd installed without a configuration", func(fs map[string]file) {
			fs["lib/systemd/systemd-timesyncd"] = file{"", 0o755}
		}, map[string]check.Verdict{"linux.time.sources-configured": check.Fail}, nil},
		{"timesyncd with NTP= set", func(fs map[string]file) {
			fs["lib/systemd/systemd-timesyncd"] = file{"", 0o755}
			fs["etc/systemd/timesyncd.conf"] = file{"[Time]\nNTP=time.example.com\n", 0o644}
		}, map[string]check.Verdict{"linux.time.sources-configured": check.Pass}, nil},
		// Look-alikes of the item 13 plants, which must not be flagged.
		{"home: a system account's home open to all, with a .netrc", func(fs map[string]file) {
			f := fs["etc/passwd"]
			f.body += "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbackup:x:34:34::/var/backups:/bin/sh\n"
			fs["etc/passwd"] = f
			fs["var/www/"] = file{"", 0o755}
			fs["var/www/.netrc"] = file{"machine x\n", 0o644}
			fs["var/backups/.rhosts"] = file{"+\n", 0o644}
		}, map[string]check.Verdict{"linux.homes.permissions": check.Pass, "linux.homes.netrc": check.Pass,
			"linux.homes.rhosts": check.Pass, "linux.homes.dotfiles": check.Pass}, nil},
		{"home: alice's dot files hers, a link to a root-owned file, her private history", func(fs map[string]file) {
			fs["home/alice/.bash_history"] = file{"ls\n", 0o600}
			fs["home/alice/.vimrc"] = file{"->/etc/vim/vimrc", 0o777}
			fs["home/alice/.config/"] = file{"", 0o755}
			fs["home/alice/.config/app/settings@0"] = file{"x\n", 0o666} // deeper than the top: not read
		}, map[string]check.Verdict{"linux.homes.dotfiles": check.Pass}, nil},
		{"umask 077 in bash.bashrc is stricter", func(fs map[string]file) {
			fs["etc/bash.bashrc"] = file{"umask 077\n", 0o644}
		}, map[string]check.Verdict{"linux.shell.umask": check.Pass}, nil},
		{"root: /etc/environment adds root-owned system directories", func(fs map[string]file) {
			fs["etc/environment"] = file{"PATH=\"/usr/local/sbin:/usr/bin:$PATH\"\n", 0o644}
		}, map[string]check.Verdict{"linux.shell.root-path": check.Pass}, nil},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if (strings.HasPrefix(sc.name, "home:") || strings.HasPrefix(sc.name, "root:")) && os.Geteuid() != 0 {
				t.Skip("needs root to give files to alice and root")
			}
			files := hardened()
			sc.apply(files)
			dir := t.TempDir()
			writeRoot(t, dir, files)
			got, why := verdicts(t, reg, dir)
			var byRes map[string]check.Verdict
			for id, want := range sc.want {
				if strings.Contains(id, "|") { // one resource of a check
					if byRes == nil {
						byRes = resourceVerdicts(t, reg, dir)
					}
					if byRes[id] != want {
						t.Errorf("%s: %s, want %s", id, byRes[id], want)
					}
					continue
				}
				if got[id] != want {
					t.Errorf("%s: %s (%s), want %s", id, got[id], why[id], want)
				} else if sub := sc.why[id]; sub != "" && !strings.Contains(why[id], sub) {
					t.Errorf("%s: reason %q does not mention %q", id, why[id], sub)
				}
				t.Logf("%s: %s %s", id, got[id], why[id])
			}
		})
	}
}
