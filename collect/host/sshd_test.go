package host

import (
	"context"
	"strings"
	"testing"
)

func TestSSHDConfig(t *testing.T) {
	const bin = "usr/sbin/sshd"
	tests := []struct {
		name  string
		files root
		want  map[string]string // option => value; "" checks absence
		err   string            // substring of error, if one is expected
	}{
		{
			// bufio.Scanner's line limit once ended the reading here,
			// hiding the setting after the long line.
			name:  "a setting after a 5 MB line is read",
			files: root{bin: "", "etc/ssh/sshd_config": "# " + strings.Repeat("x", 5<<20) + "\r\nPermitRootLogin yes\r\n"},
			want:  map[string]string{"permitrootlogin": "yes"},
		},
		{
			name:  "first value wins",
			files: root{bin: "", "etc/ssh/sshd_config": "PermitRootLogin no\nPermitRootLogin yes\n"},
			want:  map[string]string{"permitrootlogin": "no"},
		},
		{
			name: "an Include before a setting wins over it",
			files: root{bin: "", "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nMaxAuthTries 4\n",
				"etc/ssh/sshd_config.d/10-local.conf": "MaxAuthTries 10\n"},
			want: map[string]string{"maxauthtries": "10"},
		},
		{
			name: "relative Include is under /etc/ssh, files in sorted order",
			files: root{bin: "", "etc/ssh/sshd_config": "Include sshd_config.d/*.conf\n",
				"etc/ssh/sshd_config.d/20-b.conf": "X11Forwarding yes\n",
				"etc/ssh/sshd_config.d/10-a.conf": "X11Forwarding no\n",
				"etc/ssh/sshd_config.d/notes.txt": "X11Forwarding yes\n"},
			want: map[string]string{"x11forwarding": "no"},
		},
		{
			name: "a setting before the Include wins over the drop-in",
			files: root{bin: "", "etc/ssh/sshd_config": "MaxAuthTries 3\nInclude /etc/ssh/sshd_config.d/*.conf\n",
				"etc/ssh/sshd_config.d/10-local.conf": "MaxAuthTries 10\n"},
			want: map[string]string{"maxauthtries": "3"},
		},
		{
			name:  "a Match block ends the global section",
			files: root{bin: "", "etc/ssh/sshd_config": "PasswordAuthentication no\nMatch User bob\n  PermitRootLogin yes\n  PasswordAuthentication yes\nMatch all\nX11Forwarding yes\n"},
			want:  map[string]string{"passwordauthentication": "no", "permitrootlogin": "prohibit-password", "x11forwarding": "no"},
		},
		{
			name: "a Match in an included file ends only that file",
			files: root{bin: "", "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n",
				"etc/ssh/sshd_config.d/50-match.conf": "LogLevel verbose\nMatch Address 10.0.0.0/8\nPermitRootLogin yes\n"},
			want: map[string]string{"permitrootlogin": "no", "loglevel": "VERBOSE"},
		},
		{
			name: "an Include inside a Match block is conditional and skipped",
			files: root{bin: "", "etc/ssh/sshd_config": "Match User x\nInclude /etc/ssh/extra.conf\n",
				"etc/ssh/extra.conf": "PermitRootLogin yes\n"},
			want: map[string]string{"permitrootlogin": "prohibit-password"},
		},
		{
			name:  "multi-valued options accumulate, joined by spaces",
			files: root{bin: "", "etc/ssh/sshd_config": "AllowUsers alice\nAllowUsers Bob \t carol\nPort 22\nPort 2222\n"},
			want:  map[string]string{"allowusers": "alice Bob carol", "port": "22 2222"},
		},
		{
			name: "normalization: keywords lower-case, loglevel upper-case, paths keep case",
			files: root{bin: "", "etc/ssh/sshd_config": "permitrootlogin Without-Password\nPasswordAuthentication YES\n" +
				"LOGLEVEL info\nBanner /etc/Issue.NET\nCiphers AES256-GCM@openssh.com\nmaxauthtries=5\nClientAliveInterval = 300\n"},
			want: map[string]string{"permitrootlogin": "prohibit-password", "passwordauthentication": "yes",
				"loglevel": "INFO", "banner": "/etc/Issue.NET", "ciphers": "aes256-gcm@openssh.com",
				"maxauthtries": "5", "clientaliveinterval": "300"},
		},
		{
			name:  "OpenSSH defaults fill options not set",
			files: root{bin: "", "etc/ssh/sshd_config": "# nothing\n"},
			want:  map[string]string{"permitrootlogin": "prohibit-password", "maxauthtries": "6", "loglevel": "INFO", "banner": "none"},
		},
		{
			name:  "sshd installed without a configuration is an error",
			files: root{bin: ""},
			err:   "does not exist",
		},
		{
			name:  "an Include loop is an error",
			files: root{bin: "", "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"},
			err:   "nested too deeply",
		},
		{
			name:  "an Include of a missing directory is nothing",
			files: root{bin: "", "etc/ssh/sshd_config": "Include /etc/ssh/nowhere.d/*.conf\nPermitRootLogin no\n"},
			want:  map[string]string{"permitrootlogin": "no"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := run(t, collectSSHD, tc.files)
			res := out["sshd"].(map[string]any)
			if res["present"] != true {
				t.Fatalf("present = %v, want true", res["present"])
			}
			if tc.err != "" {
				if !strings.Contains(str(res["error"]), tc.err) {
					t.Fatalf("error = %q, want it to contain %q", res["error"], tc.err)
				}
				return
			}
			if res["error"] != nil {
				t.Fatalf("unexpected error %v", res["error"])
			}
			if res["source"] != "config" {
				t.Errorf("source = %v, want config", res["source"])
			}
			for k, want := range tc.want {
				if got := str(res[k]); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestSSHDNotInstalled(t *testing.T) {
	out := run(t, collectSSHD, root{"etc/hostname": "x\n"})
	res := out["sshd"].(map[string]any)
	if res["present"] != false || res["error"] != nil || res["permitrootlogin"] != nil {
		t.Fatalf("got %v, want present false and no options", res)
	}
}

func TestSSHDUnreadableInclude(t *testing.T) {
	if asNobody(t) {
		return
	}
	h, dir := newRoot(t, root{"usr/sbin/sshd": "", "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n",
		"etc/ssh/sshd_config.d/10-x.conf": "PermitRootLogin yes\n"})
	unreadable(t, dir, "etc/ssh/sshd_config.d")
	out, _ := collectSSHD(context.Background(), h)
	res := out["sshd"].(map[string]any)
	if res["present"] != true || !strings.Contains(str(res["error"]), "permission denied") {
		t.Fatalf("got %v, want present and a permission error", res)
	}
}

func TestSSHDAlgorithmModifiers(t *testing.T) {
	for _, c := range []struct{ def, v, want string }{
		{"a,b,c", "+d,e", "a,b,c,d,e"},
		{"a,b,c", "^d", "d,a,b,c"},
		{"aes128-cbc,aes256-ctr,hmac", "-*cbc", "aes256-ctr,hmac"},
		{"a,b", "+a", "a,b"},
	} {
		if got := applyAlgoList(c.def, c.v); got != c.want {
			t.Errorf("applyAlgoList(%q, %q) = %q, want %q", c.def, c.v, got, c.want)
		}
	}
}
