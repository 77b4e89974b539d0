package host

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"
)

func collectUpdates(ctx context.Context, h *Host) (map[string]any, error) {
	apt := map[string]any{"id": "apt", "present": h.Exists("/etc/apt"), "unattended_installed": false,
		"periodic_update": "", "unattended_upgrade": "", "security_source": false, "insecure": []any{}}
	dnf := map[string]any{"id": "dnf", "present": h.Exists("/etc/dnf") || h.Exists("/etc/yum.conf"),
		"automatic_installed": h.Exists("/etc/dnf/automatic.conf"), "apply_updates": "", "upgrade_type": "", "gpgcheck": false}
	pending := map[string]any{"id": "pending", "known": false, "count": 0, "packages": []any{}}
	out := map[string]any{"apt": apt, "dnf": dnf, "pending_security": pending}

	if apt["present"] == true {
		conf := readConf(h, confFile{path: "/etc/apt/apt.conf.d", mode: aptMode})
		values := conf["values"].(map[string]any)
		apt["periodic_update"] = strOr(values["apt::periodic::update-package-lists"])
		apt["unattended_upgrade"] = strOr(values["apt::periodic::unattended-upgrade"])
		var insecure []any
		for k, v := range values {
			if (strings.Contains(k, "allowinsecurerepositories") || strings.Contains(k, "allowunauthenticated") ||
				strings.Contains(k, "allowdowngradetoinsecurerepositories")) && strings.EqualFold(strOr(v), "true") {
				insecure = append(insecure, k+" = true")
			}
		}
		sources := []string{"/etc/apt/sources.list"}
		sources = append(sources, h.DropIns("/etc/apt/sources.list.d", ".list")...)
		sources = append(sources, h.DropIns("/etc/apt/sources.list.d", ".sources")...)
		for _, s := range sources {
			data, err := h.ReadFile(s)
			if err != nil {
				continue
			}
			for _, l := range lines(data, "#") {
				if strings.Contains(l, "security") {
					apt["security_source"] = true
				}
				low := strings.ToLower(l)
				if strings.Contains(low, "trusted=yes") || strings.Contains(low, "allow-insecure=yes") ||
					strings.HasPrefix(low, "trusted: yes") {
					insecure = append(insecure, s+": "+l)
				}
			}
		}
		apt["insecure"] = nonNil(insecure)
		if inst, err := dpkgInstalled(h); err == nil {
			_, apt["unattended_installed"] = inst["unattended-upgrades"]
			pendingSecurity(h, inst, pending)
		} else {
			pending["error"] = "dpkg status unreadable: " + err.Error()
		}
	} else {
		pending["error"] = "pending security updates are computed from APT's package lists; this host has no APT"
	}
	if dnf["present"] == true {
		if data, err := h.ReadFile("/etc/dnf/automatic.conf"); err == nil {
			for _, l := range lines(data, "#") {
				k, v := splitKV(l)
				switch strings.ToLower(k) {
				case "apply_updates":
					dnf["apply_updates"] = strings.ToLower(v)
				case "upgrade_type":
					dnf["upgrade_type"] = strings.ToLower(v)
				}
			}
		}
		// gpgcheck of the [main] section of the first of dnf.conf and
		// yum.conf that exists (a repository's own gpgcheck overrides it for
		// that repository and is not read here).
		for _, f := range []string{"/etc/dnf/dnf.conf", "/etc/yum.conf"} {
			data, err := h.ReadFile(f)
			if err != nil {
				if !isNotExist(err) {
					dnf["gpgcheck"], dnf["gpgcheck_error"] = nil, readErr(f, err)
					break
				}
				continue
			}
			dnf["gpgcheck"] = mainGPGCheck(data)
			break
		}
	}
	return out, nil
}

// mainGPGCheck reads gpgcheck from the [main] section of a dnf/yum
// configuration (lines before any section count as main too); unset is
// false, dnf's default.
func mainGPGCheck(data []byte) bool {
	on, section := false, "main"
	for _, l := range lines(data, "#") {
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			section = strings.ToLower(strings.TrimSpace(l[1 : len(l)-1]))
			continue
		}
		if k, v := splitKV(l); section == "main" && strings.ToLower(k) == "gpgcheck" {
			v = strings.ToLower(v)
			on = v == "1" || v == "true" || v == "yes" || v == "on"
		}
	}
	return on
}

func strOr(v any) string {
	s, _ := v.(string)
	return s
}

// MaxListAge is how old APT's package lists may be for pending security
// updates to be judged from them.
var MaxListAge = 7 * 24 * time.Hour

// pendingSecurity compares installed versions with the newest versions in
// the security archive's package lists that APT last downloaded.
func pendingSecurity(h *Host, inst map[string]string, pending map[string]any) {
	es, err := h.ReadDir("/var/lib/apt/lists")
	if err != nil {
		pending["error"] = readErr("/var/lib/apt/lists", err)
		return
	}
	newest := map[string]string{}
	found := false
	for _, e := range es {
		n := e.Name()
		if !strings.Contains(n, "security") || !strings.HasSuffix(n, "_Packages") {
			continue
		}
		data, err := h.ReadFile(path.Join("/var/lib/apt/lists", n))
		if err != nil {
			pending["error"] = readErr(n, err)
			return
		}
		found = true
		// Lists APT has not refreshed for a week say nothing about today's
		// security updates: zero pending from them would be a false pass.
		if fi, err := h.Stat(path.Join("/var/lib/apt/lists", n)); err == nil && time.Since(fi.ModTime()) > MaxListAge {
			pending["error"] = fmt.Sprintf("APT's security lists are %d days old (%s); run apt-get update (or enable APT::Periodic::Update-Package-Lists) so pending updates can be told",
				int(time.Since(fi.ModTime()).Hours()/24), n)
			return
		}
		var name string
		for l := range rawLines(data) {
			switch {
			case strings.HasPrefix(l, "Package: "):
				name = strings.TrimSpace(l[9:])
			case strings.HasPrefix(l, "Version: ") && name != "":
				v := strings.TrimSpace(l[9:])
				if _, ok := inst[name]; ok && (newest[name] == "" || CompareDebVersions(v, newest[name]) > 0) {
					newest[name] = v
				}
			}
		}
	}
	if !found {
		pending["error"] = "no security archive lists in /var/lib/apt/lists (run apt-get update, and make sure a security source is configured)"
		return
	}
	var pkgs []string
	for n, v := range newest {
		if CompareDebVersions(inst[n], v) < 0 {
			pkgs = append(pkgs, n+" "+inst[n]+" -> "+v)
		}
	}
	sort.Strings(pkgs)
	pending["known"], pending["count"], pending["packages"] = true, len(pkgs), toAny(pkgs)
}

// CompareDebVersions orders Debian package versions as dpkg does
// ([epoch:]upstream[-revision]; "~" sorts before everything, letters
// before other characters).
func CompareDebVersions(a, b string) int {
	ea, ua, ra := splitDebVersion(a)
	eb, ub, rb := splitDebVersion(b)
	if ea != eb {
		if ea < eb {
			return -1
		}
		return 1
	}
	if c := compareDebPart(ua, ub); c != 0 {
		return c
	}
	return compareDebPart(ra, rb)
}

func splitDebVersion(v string) (int, string, string) {
	epoch := 0
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch = atoiOr(v[:i], 0)
		v = v[i+1:]
	}
	rev := ""
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v, rev = v[:i], v[i+1:]
	}
	return epoch, v, rev
}

func debOrder(c byte) int {
	switch {
	case c == '~':
		return -1
	case unicode.IsLetter(rune(c)):
		return int(c)
	case c == 0:
		return 0
	}
	return int(c) + 256
}

func compareDebPart(a, b string) int {
	for a != "" || b != "" {
		// Non-digit prefix.
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			var ca, cb byte
			if a != "" && !isDigit(a[0]) {
				ca = a[0]
			}
			if b != "" && !isDigit(b[0]) {
				cb = b[0]
			}
			if oa, ob := debOrder(ca), debOrder(cb); oa != ob {
				if oa < ob {
					return -1
				}
				return 1
			}
			if ca != 0 {
				a = a[1:]
			}
			if cb != 0 {
				b = b[1:]
			}
		}
		// Numeric part.
		var na, nb int
		for a != "" && isDigit(a[0]) {
			na = na*10 + int(a[0]-'0')
			a = a[1:]
		}
		for b != "" && isDigit(b[0]) {
			nb = nb*10 + int(b[0]-'0')
			b = b[1:]
		}
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
