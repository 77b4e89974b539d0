package host

import (
	"context"
	"os"
	"path"
	"sort"
	"strings"
)

// sysctlKeys are the hardening parameters Vigil's checks read; both maps
// of the collector's input always hold them, so a check never silently
// finds nothing.
var sysctlKeys = []string{
	"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
	"net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects",
	"net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.default.accept_source_route",
	"net.ipv6.conf.all.accept_source_route", "net.ipv6.conf.default.accept_source_route",
	"net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
	"net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.default.accept_redirects",
	"net.ipv4.conf.all.secure_redirects", "net.ipv4.conf.default.secure_redirects",
	"net.ipv4.conf.all.log_martians", "net.ipv4.conf.default.log_martians",
	"net.ipv4.icmp_echo_ignore_broadcasts", "net.ipv4.icmp_ignore_bogus_error_responses",
	"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter",
	"net.ipv4.tcp_syncookies", "net.ipv6.conf.all.accept_ra", "net.ipv6.conf.default.accept_ra",
	"kernel.randomize_va_space", "kernel.yama.ptrace_scope", "fs.suid_dumpable",
	"kernel.dmesg_restrict", "kernel.kptr_restrict", "fs.protected_hardlinks",
	"fs.protected_symlinks", "fs.protected_fifos", "fs.protected_regular",
	"kernel.unprivileged_bpf_disabled", "net.core.bpf_jit_harden", "kernel.perf_event_paranoid",
	"dev.tty.ldisc_autoload", "kernel.kexec_load_disabled", "kernel.sysrq",
	"kernel.core_pattern", "kernel.core_uses_pid",
}

// sysctlDirs in systemd-sysctl's order of precedence: a file name in an
// earlier directory hides the same name in later ones; files apply in
// lexical order of name, and /etc/sysctl.conf last (as sysctl --system
// reads it; Debian also links it as /etc/sysctl.d/99-sysctl.conf).
var sysctlDirs = []string{"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}

// sysctlKey normalizes a sysctl.d key to the dotted form: when the first
// separator is "/", the "/" are separators and a "." is part of a name (an
// interface "eth0.100"), which the dotted form writes as "/" — the swap
// sysctl(8) and systemd-sysctl both make.
func sysctlKey(k string) string {
	k = strings.TrimSpace(k)
	if i := strings.IndexAny(k, "./"); i >= 0 && k[i] == '/' {
		k = strings.Map(func(r rune) rune {
			switch r {
			case '/':
				return '.'
			case '.':
				return '/'
			}
			return r
		}, strings.TrimPrefix(k, "/"))
	}
	return k
}

// sysctlPath is the /proc/sys path of a dotted key.
func sysctlPath(k string) string {
	return "/proc/sys/" + strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, k)
}

// sysctlAssign is one assignment read from a sysctl file.
type sysctlAssign struct {
	key, file string
	value     *string // nil: a "-key" line without "=", which only excludes key from globs
}

// readSysctlFiles reads the assignments of files in order, the way
// systemd-sysctl does: whole-line comments start with "#" or ";", a
// leading "-" on the key (ignore failures) is dropped, and a later
// assignment to a key replaces an earlier one and moves it to the end.
// It returns the assignments in their final order.
func readSysctlFiles(h *Host, files []string) ([]sysctlAssign, []string) {
	type placed struct {
		a   sysctlAssign
		seq int
	}
	byKey := map[string]placed{}
	seq := 0
	var errs []string
	for _, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			if !isNotExist(err) {
				errs = append(errs, readErr(f, err))
			}
			continue
		}
		for _, l := range lines(data, "") {
			if strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") {
				continue
			}
			a := sysctlAssign{file: f}
			if k, v, ok := strings.Cut(l, "="); ok {
				v = strings.Join(strings.Fields(v), " ")
				a.key, a.value = sysctlKey(strings.TrimPrefix(strings.TrimSpace(k), "-")), &v
			} else if strings.HasPrefix(l, "-") {
				a.key = sysctlKey(l[1:])
			} else {
				continue // not an assignment; systemd-sysctl ignores it too
			}
			if a.key == "" {
				continue
			}
			if old, ok := byKey[a.key]; ok && (old.a.value == nil) == (a.value == nil) &&
				(a.value == nil || *old.a.value == *a.value) {
				continue // the same assignment again keeps its place
			}
			seq++
			byKey[a.key] = placed{a, seq}
		}
	}
	all := make([]placed, 0, len(byKey))
	for _, p := range byKey {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	order := make([]sysctlAssign, len(all))
	for i, p := range all {
		order[i] = p.a
	}
	return order, errs
}

func isGlob(k string) bool { return strings.ContainsAny(k, "*?[") }

func collectSysctl(_ context.Context, h *Host) (map[string]any, error) {
	runtime := map[string]any{}
	persisted := map[string]any{}
	for _, k := range sysctlKeys {
		persisted[k] = map[string]any{"id": k, "value": nil}
	}
	// Persisted configuration.
	files, errs := overlayDirs(h, sysctlDirs, ".conf")
	files = append(files, "/etc/sysctl.conf")
	order, ferrs := readSysctlFiles(h, files)
	errs = append(errs, ferrs...)
	explicit := map[string]bool{}
	var globs []sysctlAssign
	globList := []any{}
	for _, a := range order {
		switch {
		case isGlob(a.key):
			if a.value != nil {
				globs = append(globs, a)
				globList = append(globList, map[string]any{"id": a.key, "value": *a.value, "file": a.file})
			}
		case a.value == nil:
			explicit[a.key] = true // excluded from globs, set by nobody
			if _, ok := persisted[a.key]; !ok {
				persisted[a.key] = map[string]any{"id": a.key, "value": nil}
			}
		default:
			explicit[a.key] = true
			persisted[a.key] = map[string]any{"id": a.key, "value": *a.value, "file": a.file}
		}
	}
	// A glob sets every key it matches that no line names explicitly (in
	// any file, before or after it); of several globs, the last applied
	// wins. Here the keys are the ones Vigil knows; at boot, they are
	// whatever /proc/sys has (net.ipv4.conf.*.x reaches "all", "default"
	// and each interface present then).
	for _, g := range globs {
		pat := strings.ReplaceAll(sysctlPath(g.key), "/proc/sys/", "")
		for k := range persisted {
			if explicit[k] {
				continue
			}
			if ok, _ := path.Match(pat, strings.TrimPrefix(sysctlPath(k), "/proc/sys/")); ok {
				persisted[k] = map[string]any{"id": k, "value": *g.value, "file": g.file, "glob": g.key}
			}
		}
	}
	if len(errs) > 0 {
		// A file we could not read may set any key: no persisted value can
		// be trusted, so every one becomes an error.
		for k := range persisted {
			persisted[k] = map[string]any{"id": k, "error": "sysctl configuration unreadable: " + strings.Join(errs, "; ")}
		}
	}
	// Runtime values, only on the live system.
	for _, k := range sysctlKeys {
		runtime[k] = runtimeSysctl(h, k)
	}
	if h.live {
		for k := range persisted {
			if _, ok := runtime[k]; !ok {
				runtime[k] = runtimeSysctl(h, k)
			}
		}
	}
	return map[string]any{"runtime": runtime, "persisted": persisted, "globs": globList}, nil
}

func runtimeSysctl(h *Host, k string) map[string]any {
	if !h.live {
		return map[string]any{"id": k, "na_kind": "offline", "na": "runtime values are read only when scanning the running system"}
	}
	p := h.procPath("sys", strings.TrimPrefix(sysctlPath(k), "/proc/sys/"))
	b, err := os.ReadFile(p)
	switch {
	case isNotExist(err):
		return map[string]any{"id": k, "na_kind": "absent", "na": "the running kernel has no parameter " + k}
	case err != nil:
		return map[string]any{"id": k, "error": readErr(p, err)}
	}
	return map[string]any{"id": k, "value": strings.Join(strings.Fields(string(b)), " ")}
}
