package host

import (
	"context"
	"os"
	"path"
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
// lexical order of name, and /etc/sysctl.conf last.
var sysctlDirs = []string{"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}

func collectSysctl(_ context.Context, h *Host) (map[string]any, error) {
	runtime := map[string]any{}
	persisted := map[string]any{}
	for _, k := range sysctlKeys {
		persisted[k] = map[string]any{"id": k, "value": nil}
	}
	// Persisted configuration.
	byName := map[string]string{}
	var names []string
	for _, d := range sysctlDirs {
		for _, f := range h.DropIns(d, ".conf") {
			n := path.Base(f)
			if _, hidden := byName[n]; !hidden {
				byName[n] = f
				names = append(names, n)
			}
		}
	}
	sortStrings(names)
	files := make([]string, 0, len(names)+1)
	for _, n := range names {
		files = append(files, byName[n])
	}
	files = append(files, "/etc/sysctl.conf")
	var errs []string
	for _, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, readErr(f, err))
			}
			continue
		}
		for _, l := range lines(data, "#") {
			if strings.HasPrefix(l, ";") {
				continue
			}
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			k = strings.TrimPrefix(strings.TrimSpace(k), "-")
			k = strings.ReplaceAll(k, "/", ".")
			persisted[k] = map[string]any{"id": k, "value": strings.Join(strings.Fields(v), " "), "file": f}
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
	return map[string]any{"runtime": runtime, "persisted": persisted}, nil
}

func runtimeSysctl(h *Host, k string) map[string]any {
	if !h.live {
		return map[string]any{"id": k, "na": "runtime values are read only when scanning the running system"}
	}
	p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
	b, err := os.ReadFile(p)
	switch {
	case os.IsNotExist(err):
		return map[string]any{"id": k, "na": "the running kernel has no parameter " + k}
	case err != nil:
		return map[string]any{"id": k, "error": readErr(p, err)}
	}
	return map[string]any{"id": k, "value": strings.Join(strings.Fields(string(b)), " ")}
}
