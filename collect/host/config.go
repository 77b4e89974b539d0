package host

import (
	"context"
	"os"
	"path"
	"strings"
	"unicode"
)

// confFile is one configuration file host.config reads, with the drop-in
// directories merged after it (in order, later values winning).
type confFile struct {
	path    string
	dropins []string // directories; files ending in suffix
	suffix  string
	mode    int // how values are read
}

const (
	kvMode    = iota // "key value", "key=value", "key = value"; [sections] flattened
	linesMode        // lines only
	rawMode          // every line as it is (banners)
	sudoMode         // lines; "#include" lines are directives, not comments
	aptMode          // APT's nested "A::B "v";" syntax
)

var confFiles = []confFile{
	{path: "/etc/login.defs"},
	{path: "/etc/default/useradd"},
	{path: "/etc/security/pwquality.conf", dropins: []string{"/etc/security/pwquality.conf.d"}, suffix: ".conf"},
	{path: "/etc/security/faillock.conf"},
	{path: "/etc/security/pwhistory.conf"},
	{path: "/etc/security/limits.conf", dropins: []string{"/etc/security/limits.d"}, suffix: ".conf", mode: linesMode},
	{path: "/etc/systemd/journald.conf", dropins: []string{"/usr/lib/systemd/journald.conf.d", "/etc/systemd/journald.conf.d"}, suffix: ".conf"},
	{path: "/etc/systemd/coredump.conf", dropins: []string{"/usr/lib/systemd/coredump.conf.d", "/etc/systemd/coredump.conf.d"}, suffix: ".conf"},
	{path: "/etc/systemd/timesyncd.conf", dropins: []string{"/usr/lib/systemd/timesyncd.conf.d", "/etc/systemd/timesyncd.conf.d"}, suffix: ".conf"},
	{path: "/etc/chrony/chrony.conf", dropins: []string{"/etc/chrony/conf.d", "/etc/chrony/sources.d"}, suffix: ""},
	{path: "/etc/chrony.conf", dropins: []string{"/etc/chrony.d"}, suffix: ".conf"},
	{path: "/etc/ntp.conf"},
	{path: "/etc/audit/auditd.conf"},
	{path: "/etc/audit/audit.rules", mode: linesMode},
	{path: "/etc/rsyslog.conf", dropins: []string{"/etc/rsyslog.d"}, suffix: ".conf", mode: linesMode},
	{path: "/etc/default/grub", dropins: []string{"/etc/default/grub.d"}, suffix: ".cfg"},
	{path: "/etc/apt/apt.conf.d", mode: aptMode},
	{path: "/etc/dnf/automatic.conf"},
	{path: "/etc/sudoers", dropins: []string{"/etc/sudoers.d"}, mode: sudoMode},
	{path: "/etc/ufw/ufw.conf"},
	{path: "/etc/default/ufw"},
	{path: "/etc/issue", mode: rawMode},
	{path: "/etc/issue.net", mode: rawMode},
	{path: "/etc/motd", mode: rawMode},
	{path: "/etc/selinux/config"},
}

func collectConfig(_ context.Context, h *Host) (map[string]any, error) {
	files := map[string]any{}
	for _, cf := range confFiles {
		files[cf.path] = readConf(h, cf)
	}
	return map[string]any{"files": files}, nil
}

func readConf(h *Host, cf confFile) map[string]any {
	res := map[string]any{"id": cf.path, "exists": false}
	values := map[string]any{}
	var ls []any
	add := func(p string, data []byte) {
		switch cf.mode {
		case rawMode:
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				ls = append(ls, l)
			}
		case sudoMode:
			for _, l := range lines(data, "") {
				if strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#include") {
					continue
				}
				ls = append(ls, l)
			}
		case aptMode:
			for k, v := range parseAPT(string(data)) {
				values[k] = v
			}
		default:
			for _, l := range lines(data, "#") {
				ls = append(ls, l)
				if cf.mode == kvMode && !strings.HasPrefix(l, "[") && !strings.HasPrefix(l, ";") {
					k, v := splitKV(l)
					values[strings.ToLower(k)] = v
				}
			}
		}
	}
	var errs []string
	read := func(p string) bool {
		data, err := h.ReadFile(p)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, readErr(p, err))
			}
			return false
		}
		add(p, data)
		return true
	}
	if cf.mode == aptMode {
		// A directory of fragments.
		if es, err := h.ReadDir(cf.path); err == nil {
			res["exists"] = true
			for _, e := range es {
				if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
					read(path.Join(cf.path, e.Name()))
				}
			}
		} else if !os.IsNotExist(err) {
			errs = append(errs, readErr(cf.path, err))
		}
		read("/etc/apt/apt.conf")
	} else if cf.path == "/etc/audit/audit.rules" && len(h.DropIns("/etc/audit/rules.d", ".rules")) > 0 {
		// augenrules builds audit.rules from rules.d: those are the source.
		for _, f := range h.DropIns("/etc/audit/rules.d", ".rules") {
			if read(f) {
				res["exists"] = true
			}
		}
	} else {
		res["exists"] = read(cf.path)
		for _, d := range cf.dropins {
			for _, f := range h.DropIns(d, cf.suffix) {
				base := path.Base(f)
				// sudo skips names with a dot or ending in "~".
				if cf.mode == sudoMode && (strings.Contains(base, ".") || strings.HasSuffix(base, "~")) {
					continue
				}
				read(f)
			}
		}
	}
	if len(errs) > 0 {
		res["error"] = strings.Join(errs, "; ")
	}
	if ls == nil {
		ls = []any{}
	}
	res["values"], res["lines"] = values, ls
	return res
}

// parseAPT reads APT's configuration syntax: `A::B::C "value";` and nested
// `A { B "v"; };` scopes, with //, /* */ and # comments. List values
// (`A { "x"; "y"; };`) are joined with spaces.
func parseAPT(s string) map[string]string {
	out := map[string]string{}
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case strings.HasPrefix(s[i:], "//") || c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 4
			}
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				j = len(s) - i - 1
			}
			toks = append(toks, "\x00"+s[i+1:i+1+j])
			i += j + 2
		case c == '{' || c == '}' || c == ';':
			toks = append(toks, string(c))
			i++
		case unicode.IsSpace(rune(c)):
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n{};\"", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	var scope []string
	var key string
	for _, t := range toks {
		switch {
		case t == "{":
			scope = append(scope, key)
			key = ""
		case t == "}":
			if len(scope) > 0 {
				scope = scope[:len(scope)-1]
			}
		case t == ";":
			key = ""
		case strings.HasPrefix(t, "\x00"):
			v := t[1:]
			full := strings.ToLower(strings.Join(append(append([]string{}, scope...), key), "::"))
			if key == "" {
				full = strings.ToLower(strings.Join(scope, "::"))
				if old, ok := out[full]; ok && old != "" {
					v = old + " " + v
				}
			}
			out[strings.Trim(full, ":")] = v
		default:
			key = t
		}
	}
	return out
}
