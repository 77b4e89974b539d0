package host

import (
	"context"
	"os"
	"path"
	"strings"
)

var cisModules = []string{"cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "squashfs", "udf",
	"usb-storage", "dccp", "sctp", "rds", "tipc", "firewire-core", "bluetooth"}

// modprobeDirs are kmod's configuration directories in order of
// precedence: a file name in an earlier one hides the same name in later
// ones, and the files apply sorted by name.
var modprobeDirs = []string{"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"}

// modName normalizes a module name as kmod does ("_" and "-" are the same),
// keeping "-" as the collector's spelling.
func modName(n string) string { return strings.ReplaceAll(n, "_", "-") }

// kernelModules reads what the kernel release ships under
// /lib/modules/RELEASE: the loadable modules from modules.dep and the
// built-in ones from modules.builtin. ok is false when modules.dep cannot
// be read (then nothing is known).
func kernelModules(h *Host, release string) (loadable, builtin map[string]bool, ok bool) {
	dir := path.Join("/lib/modules", release)
	data, err := h.ReadFile(path.Join(dir, "modules.dep"))
	if err != nil || release == "" {
		return nil, nil, false
	}
	loadable, builtin = map[string]bool{}, map[string]bool{}
	for _, l := range lines(data, "") {
		file, _, _ := strings.Cut(l, ":")
		loadable[moduleFileName(file)] = true
	}
	if b, err := h.ReadFile(path.Join(dir, "modules.builtin")); err == nil {
		for _, l := range lines(b, "") {
			builtin[moduleFileName(l)] = true
		}
	}
	return loadable, builtin, true
}

// moduleFileName is the module name of "kernel/fs/cramfs/cramfs.ko.zst".
func moduleFileName(p string) string {
	n := path.Base(strings.TrimSpace(p))
	if i := strings.Index(n, ".ko"); i >= 0 {
		n = n[:i]
	}
	return modName(n)
}

func collectModules(_ context.Context, h *Host) (map[string]any, error) {
	mods := map[string]map[string]any{}
	get := func(n string) map[string]any {
		n = modName(n)
		m, ok := mods[n]
		if !ok {
			m = map[string]any{"id": n, "disabled": false, "blacklisted": false, "loaded": false,
				"builtin": nil, "available": nil}
			mods[n] = m
		}
		return m
	}
	for _, n := range cisModules {
		get(n)
	}
	files, errs := overlayDirs(h, modprobeDirs, ".conf")
	for _, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			errs = append(errs, readErr(f, err))
			continue
		}
		for _, l := range lines(data, "#") {
			w := strings.Fields(l)
			switch {
			case len(w) >= 3 && w[0] == "install":
				cmd := strings.Join(w[2:], " ")
				if strings.HasSuffix(w[2], "/false") || strings.HasSuffix(w[2], "/true") || cmd == "/bin/false" {
					get(w[1])["disabled"] = true
				}
			case len(w) >= 2 && w[0] == "blacklist":
				get(w[1])["blacklisted"] = true
			}
		}
	}
	if h.live {
		data, err := os.ReadFile("/proc/modules")
		if err != nil && !isNotExist(err) {
			errs = append(errs, readErr("/proc/modules", err))
		}
		for _, l := range lines(data, "") {
			get(strings.Fields(l)[0])["loaded"] = true
		}
		release := ""
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			release = strings.TrimSpace(string(b))
		}
		if loadable, builtin, ok := kernelModules(h, release); ok {
			for n, m := range mods {
				m["builtin"] = builtin[n]
				m["available"] = builtin[n] || loadable[n]
				// A module built into the kernel is always there: an
				// install line in modprobe.d cannot disable it.
				if builtin[n] {
					m["disabled"], m["loaded"] = false, true
				}
			}
		}
	}
	out := map[string]any{}
	for n, m := range mods {
		if len(errs) > 0 {
			// An unreadable modprobe.d file may disable or enable anything.
			m["error"] = strings.Join(errs, "; ")
		}
		out[n] = m
	}
	return map[string]any{"modules": out}, nil
}
