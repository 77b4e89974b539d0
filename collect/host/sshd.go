package host

import (
	"context"
	"os/exec"
	"path"
	"strings"
	"time"
)

// sshdDefaults are OpenSSH's (9.x) built-in values for the options checks
// read, used when sshd -T cannot run and a file does not set an option.
var sshdDefaults = map[string]string{
	"permitrootlogin": "prohibit-password", "passwordauthentication": "yes",
	"permitemptypasswords": "no", "hostbasedauthentication": "no", "ignorerhosts": "yes",
	"x11forwarding": "no", "maxauthtries": "6", "loglevel": "INFO", "logingracetime": "120",
	"clientaliveinterval": "0", "clientalivecountmax": "3",
	"ciphers":               "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	"macs":                  "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
	"kexalgorithms":         "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
	"permituserenvironment": "no", "usepam": "no", "allowtcpforwarding": "yes",
	"disableforwarding": "no", "maxstartups": "10:30:100", "maxsessions": "10", "banner": "none",
	"gssapiauthentication": "no", "pubkeyauthentication": "yes", "strictmodes": "yes",
	"kerberosauthentication": "no", "allowagentforwarding": "yes", "permittunnel": "no",
	"compression": "yes", "printmotd": "yes", "tcpkeepalive": "yes", "usedns": "no",
	"kbdinteractiveauthentication": "yes", "challengeresponseauthentication": "yes",
	"syslogfacility": "AUTH", "port": "22", "x11uselocalhost": "yes", "permitopen": "any",
}

// sshdKeepCase are options whose values are names or paths, not keywords.
var sshdKeepCase = map[string]bool{
	"banner": true, "authorizedkeysfile": true, "hostkey": true, "pidfile": true,
	"allowusers": true, "denyusers": true, "allowgroups": true, "denygroups": true,
	"subsystem": true, "chrootdirectory": true, "forcecommand": true,
	"authorizedprincipalsfile": true, "trustedusercakeys": true, "revokedkeys": true,
	"authorizedkeyscommand": true, "authorizedkeyscommanduser": true,
	"authorizedprincipalscommand": true, "authorizedprincipalscommanduser": true,
	"hostcertificate": true, "hostkeyagent": true, "xauthlocation": true, "modulifile": true,
	"securitykeyprovider": true, "acceptenv": true, "setenv": true, "versionaddendum": true,
	"sshdsessionpath": true, "sshdauthpath": true,
}

// sshdMulti are options sshd accumulates instead of taking the first value.
var sshdMulti = map[string]bool{
	"allowusers": true, "denyusers": true, "allowgroups": true, "denygroups": true,
	"hostkey": true, "listenaddress": true, "port": true, "acceptenv": true, "subsystem": true,
}

// normSSHD normalizes a value as sshd -T prints it: whitespace runs are
// one space, keywords lower-case, log levels upper-case, names and paths
// as written.
func normSSHD(k, v string) string {
	v = strings.Join(strings.Fields(v), " ")
	switch {
	case k == "permitrootlogin" && strings.EqualFold(v, "without-password"):
		// The old spelling of prohibit-password, which sshd -T may print.
		return "prohibit-password"
	case k == "loglevel" || k == "syslogfacility":
		return strings.ToUpper(v)
	case sshdKeepCase[k]:
		return v
	}
	return strings.ToLower(v)
}

func collectSSHD(ctx context.Context, h *Host) (map[string]any, error) {
	res := map[string]any{"id": "sshd"}
	out := map[string]any{"sshd": res}
	installed := h.Exists("/usr/sbin/sshd") || h.Exists("/etc/ssh/sshd_config")
	res["present"] = installed
	if !installed {
		return out, nil
	}
	if h.live {
		if bin, err := exec.LookPath("sshd"); err == nil || h.Exists("/usr/sbin/sshd") {
			if bin == "" {
				bin = "/usr/sbin/sshd"
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			b, err := exec.CommandContext(cctx, bin, "-T").Output()
			cancel()
			if err == nil {
				opts := map[string]string{}
				for _, l := range lines(b, "") {
					k, v, _ := strings.Cut(l, " ")
					k = strings.ToLower(k)
					if old, ok := opts[k]; ok {
						opts[k] = old + " " + v
					} else {
						opts[k] = v
					}
				}
				for k, v := range opts {
					res[k] = normSSHD(k, v)
				}
				res["source"] = "sshd -T"
				return out, nil
			}
		}
	}
	opts := map[string]string{}
	var files []string
	if err := readSSHDConfig(h, "/etc/ssh/sshd_config", opts, &files, 0); err != "" {
		res["error"] = err
		return out, nil
	}
	for k, v := range sshdDefaults {
		if _, set := opts[k]; !set && v != "" {
			opts[k] = v
		}
	}
	// "+list" appends to the default, "-list" removes (with wildcards),
	// "^list" puts first: the effective list is what checks must see.
	for _, k := range []string{"ciphers", "macs", "kexalgorithms"} {
		if v, ok := opts[k]; ok && v != "" && strings.ContainsAny(v[:1], "+-^") {
			opts[k] = applyAlgoList(sshdDefaults[k], v)
		}
	}
	for k, v := range opts {
		res[k] = normSSHD(k, v)
	}
	res["source"] = "config"
	res["files"] = toAny(files)
	return out, nil
}

// readSSHDConfig follows sshd's rules: the first value of an option wins
// (options in sshdMulti accumulate), Include expands globs relative to
// /etc/ssh in sorted order, and a Match block ends the global section of
// its file (its settings apply only to some connections): the rest of that
// file is skipped, and the file that included it goes on, as sshd restores
// the Match state after an Include.
func readSSHDConfig(h *Host, p string, opts map[string]string, files *[]string, depth int) string {
	if depth > 8 {
		return p + ": Include nested too deeply"
	}
	data, err := h.ReadFile(p)
	if err != nil {
		return readErr(p, err)
	}
	*files = append(*files, p)
	for _, l := range lines(data, "#") {
		k, v := splitKV(l)
		k = strings.ToLower(k)
		switch k {
		case "match":
			return ""
		case "include":
			for _, pat := range strings.Fields(v) {
				if !strings.HasPrefix(pat, "/") {
					pat = "/etc/ssh/" + pat
				}
				dir, glob := path.Split(pat)
				es, err := h.ReadDir(dir)
				if err != nil && !isNotExist(err) {
					// sshd would read what is there; we cannot tell what it is.
					return p + ": Include " + pat + ": " + readErr(dir, err)
				}
				for _, e := range es {
					if ok, _ := path.Match(glob, e.Name()); ok {
						if msg := readSSHDConfig(h, path.Join(dir, e.Name()), opts, files, depth+1); msg != "" {
							return msg
						}
					}
				}
			}
			continue
		}
		if sshdMulti[k] {
			if old, ok := opts[k]; ok {
				opts[k] = old + " " + v
				continue
			}
		}
		if _, set := opts[k]; !set {
			opts[k] = v
		}
	}
	return ""
}

// splitKV splits "key value", "key=value" and "key = value".
func splitKV(l string) (string, string) {
	i := strings.IndexAny(l, " \t=")
	if i < 0 {
		return l, ""
	}
	k, v := l[:i], strings.TrimSpace(l[i:])
	v = strings.TrimSpace(strings.TrimPrefix(v, "="))
	return k, strings.Trim(v, `"`)
}

func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// applyAlgoList applies sshd's list modifiers to the default list.
func applyAlgoList(def, v string) string {
	split := func(x string) []string {
		var out []string
		for _, a := range strings.Split(x, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
		return out
	}
	base, mod := split(def), split(v[1:])
	var out []string
	switch v[0] {
	case '+':
		out = append(base, mod...)
	case '^':
		out = append(mod, base...)
	case '-':
		for _, a := range base {
			drop := false
			for _, pat := range mod {
				if ok, _ := path.Match(pat, a); ok {
					drop = true
				}
			}
			if !drop {
				out = append(out, a)
			}
		}
	}
	seen := map[string]bool{}
	var uniq []string
	for _, a := range out {
		if !seen[a] {
			seen[a] = true
			uniq = append(uniq, a)
		}
	}
	return strings.Join(uniq, ",")
}
