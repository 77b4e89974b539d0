package host

import (
	"context"
	"path"
	"strings"
	"unicode"
)

// confFile is one configuration file host.config reads, with the drop-in
// directories merged after it (in order, later values winning).
type confFile struct {
	path    string
	dropins []string // directories; files ending in suffix, each sorted by name
	suffix  string
	mode    int  // how values are read
	systemd bool // a systemd daemon's file: main file and drop-ins as systemd finds them
	join    bool // a line ending in a backslash continues on the next one
	// mainLast reads the drop-ins before the main file, so the main file
	// wins (libpwquality reads pwquality.conf.d first, then pwquality.conf).
	mainLast bool
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
	{path: "/etc/security/pwquality.conf", dropins: []string{"/etc/security/pwquality.conf.d"}, suffix: ".conf", mainLast: true},
	{path: "/etc/security/faillock.conf"},
	{path: "/etc/security/pwhistory.conf"},
	{path: "/etc/security/limits.conf", dropins: []string{"/etc/security/limits.d"}, suffix: ".conf", mode: linesMode},
	{path: "/etc/systemd/journald.conf", systemd: true},
	{path: "/etc/systemd/coredump.conf", systemd: true},
	{path: "/etc/systemd/timesyncd.conf", systemd: true},
	{path: "/etc/chrony/chrony.conf", dropins: []string{"/etc/chrony/conf.d", "/etc/chrony/sources.d"}, suffix: ""},
	{path: "/etc/chrony.conf", dropins: []string{"/etc/chrony.d"}, suffix: ".conf"},
	{path: "/etc/ntp.conf"},
	{path: "/etc/ntpsec/ntp.conf"},
	{path: "/etc/audit/auditd.conf"},
	{path: "/etc/audit/audit.rules", mode: linesMode},
	{path: "/etc/rsyslog.conf", dropins: []string{"/etc/rsyslog.d"}, suffix: ".conf", mode: linesMode, join: true},
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

// systemdConfDirs are where systemd looks for a daemon's main file and its
// NAME.d drop-in directories, in order of precedence.
var systemdConfDirs = []string{"/etc/systemd", "/run/systemd", "/usr/local/lib/systemd", "/usr/lib/systemd", "/lib/systemd"}

// systemdDaemonInstalled reports whether the daemon a systemd
// configuration file governs (journald.conf: systemd-journald) is on the
// host: its program or its unit file exists. Whether systemd runs as init
// is another matter: an image, a container or an offline root may carry
// journald and its configuration without systemd's own binary, and the
// configuration then still decides what journald does wherever it runs.
func systemdDaemonInstalled(h *Host, conf string) bool {
	d := "systemd-" + strings.TrimSuffix(path.Base(conf), ".conf")
	progs := []string{"/lib/systemd/" + d, "/usr/lib/systemd/" + d}
	if d == "systemd-journald" {
		// journald comes with systemd itself (one package); coredump and
		// timesyncd are packages of their own.
		progs = append(progs, "/lib/systemd/systemd", "/usr/lib/systemd/systemd")
	}
	for _, p := range progs {
		if h.Exists(p) {
			return true
		}
	}
	for _, u := range unitDirs {
		if h.Exists(path.Join(u, d+".service")) || h.Exists(path.Join(u, d+".socket")) {
			return true
		}
	}
	return false
}

func collectConfig(_ context.Context, h *Host) (map[string]any, error) {
	files := map[string]any{}
	for _, cf := range confFiles {
		files[cf.path] = readConf(h, cf)
	}
	return map[string]any{"files": files}, nil
}

// logicalLines is lines() for formats where a line ending in a backslash
// continues on the next one (rsyslog, PAM): comments are stripped from
// each physical line first, and the pieces are joined with one space.
func logicalLines(data []byte, marker string) []string {
	var out []string
	pending := ""
	for _, l := range strings.Split(string(data), "\n") {
		if marker != "" {
			if i := strings.Index(l, marker); i >= 0 {
				l = l[:i]
			}
		}
		l = strings.TrimSpace(l)
		if strings.HasSuffix(l, "\\") {
			if piece := strings.TrimSpace(strings.TrimSuffix(l, "\\")); piece != "" {
				pending = strings.TrimSpace(pending + " " + piece)
			}
			continue
		}
		if pending != "" {
			l = strings.TrimSpace(pending + " " + l)
			pending = ""
		}
		if l != "" {
			out = append(out, l)
		}
	}
	if pending != "" {
		out = append(out, pending)
	}
	return out
}

// aptFragment reports whether APT reads a file of apt.conf.d: names of
// letters, digits, "_", "-" and "." only, with no extension or ".conf"
// (so "x.dpkg-old", "x.bak", "x.ucf-dist" and "x~" are ignored).
func aptFragment(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:] == "conf"
	}
	return true
}

func readConf(h *Host, cf confFile) map[string]any {
	res := map[string]any{"id": cf.path, "exists": false}
	values := map[string]any{}
	apt := map[string]string{}
	ls := []any{}
	var sources []string
	add := func(data []byte) {
		switch cf.mode {
		case rawMode:
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				ls = append(ls, strings.TrimSuffix(l, "\r"))
			}
		case sudoMode:
			for _, l := range lines(data, "") {
				if strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#include") {
					continue
				}
				ls = append(ls, l)
			}
		case aptMode:
			parseAPT(string(data), apt)
		default:
			ll := lines(data, "#")
			if cf.join {
				ll = logicalLines(data, "#")
			}
			for _, l := range ll {
				if strings.HasPrefix(l, ";") {
					continue // a comment in INI files
				}
				ls = append(ls, l)
				if cf.mode == kvMode && !strings.HasPrefix(l, "[") {
					// A bare flag ("enforce_for_root") has the value "".
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
			if !isNotExist(err) {
				errs = append(errs, readErr(p, err))
			}
			return false
		}
		sources = append(sources, p)
		add(data)
		return true
	}
	dropins := func(dirs []string, suffix string) {
		for _, d := range dirs {
			found, err := h.dropInsErr(d, suffix)
			if err != nil {
				errs = append(errs, readErr(d, err))
			}
			for _, f := range found {
				base := path.Base(f)
				// sudo skips names with a dot or ending in "~".
				if cf.mode == sudoMode && (strings.Contains(base, ".") || strings.HasSuffix(base, "~")) {
					continue
				}
				read(f)
			}
		}
	}
	switch {
	case cf.mode == aptMode:
		// A directory of fragments, then apt.conf, as APT reads them.
		if es, err := h.ReadDir(cf.path); err == nil {
			res["exists"] = true
			for _, e := range es {
				if !e.IsDir() && aptFragment(e.Name()) {
					read(path.Join(cf.path, e.Name()))
				}
			}
		} else if !isNotExist(err) {
			errs = append(errs, readErr(cf.path, err))
		}
		read("/etc/apt/apt.conf")
	case cf.path == "/etc/audit/audit.rules" && len(h.DropIns("/etc/audit/rules.d", ".rules")) > 0:
		// augenrules builds audit.rules from rules.d: those are the source.
		dropins([]string{"/etc/audit/rules.d"}, ".rules")
	case cf.systemd:
		// The first main file found, then the drop-ins of every directory
		// sorted by name together (a name in /etc hides it in /usr/lib).
		// A main file linked to /dev/null is found, and empty.
		name := path.Base(cf.path)
		for _, d := range systemdConfDirs {
			if p := path.Join(d, name); h.masked(p) || read(p) {
				break
			}
		}
		dirs := make([]string, len(systemdConfDirs))
		for i, d := range systemdConfDirs {
			dirs[i] = path.Join(d, name+".d")
		}
		found, derrs := overlayDirs(h, dirs, ".conf")
		errs = append(errs, derrs...)
		for _, f := range found {
			read(f)
		}
	case cf.mainLast:
		dropins(cf.dropins, cf.suffix)
		read(cf.path)
	default:
		read(cf.path)
		dropins(cf.dropins, cf.suffix)
	}
	for k, v := range apt {
		values[k] = v
	}
	if len(errs) > 0 {
		res["error"] = strings.Join(errs, "; ")
	}
	if len(sources) > 0 {
		res["exists"] = true
	}
	if cf.systemd {
		res["installed"] = res["exists"] == true || systemdDaemonInstalled(h, cf.path)
	}
	res["values"], res["lines"], res["sources"] = values, ls, toAny(sources)
	return res
}

// parseAPT reads APT's configuration syntax: `A::B::C "value";` and nested
// `A { B "v"; };` scopes, with //, /* */ and # comments (so the #clear and
// #include directives are ignored). Keys are lower-cased and joined with
// "::". A scalar's last value wins; list items (`A { "x"; "y"; };`)
// accumulate across calls, joined with spaces, as APT appends lists from
// later fragments. Values may be unquoted (`A::B true;`).
func parseAPT(s string, out map[string]string) {
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
	name := func(parts ...string) string {
		var ps []string
		for _, p := range parts {
			if p = strings.Trim(p, ":"); p != "" {
				ps = append(ps, p)
			}
		}
		return strings.ToLower(strings.Join(ps, "::"))
	}
	assign := func(v string) {
		if key == "" {
			// A list item: append to the enclosing scope's value.
			full := name(scope...)
			if old := out[full]; old != "" {
				v = old + " " + v
			}
			out[full] = v
			return
		}
		out[name(append(append([]string{}, scope...), key)...)] = v
	}
	for _, t := range toks {
		switch {
		case t == "{":
			scope = append(scope, key)
			key = ""
		case t == "}":
			if len(scope) > 0 {
				scope = scope[:len(scope)-1]
			}
			key = ""
		case t == ";":
			key = ""
		case strings.HasPrefix(t, "\x00"):
			assign(t[1:])
		case key != "":
			assign(t) // an unquoted value
		default:
			key = t
		}
	}
}
