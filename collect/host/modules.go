package host

import (
	"context"
	"os"
	"strings"
)

var cisModules = []string{"cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "squashfs", "udf",
	"usb-storage", "dccp", "sctp", "rds", "tipc", "firewire-core", "bluetooth"}

func collectModules(_ context.Context, h *Host) (map[string]any, error) {
	mods := map[string]map[string]any{}
	get := func(n string) map[string]any {
		n = strings.ReplaceAll(n, "_", "-")
		m, ok := mods[n]
		if !ok {
			m = map[string]any{"id": n, "disabled": false, "blacklisted": false, "loaded": false}
			mods[n] = m
		}
		return m
	}
	for _, n := range cisModules {
		get(n)
	}
	var errs []string
	for _, d := range []string{"/lib/modprobe.d", "/usr/lib/modprobe.d", "/run/modprobe.d", "/etc/modprobe.d"} {
		for _, f := range h.DropIns(d, ".conf") {
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
	}
	if h.live {
		data, err := os.ReadFile("/proc/modules")
		if err != nil && !os.IsNotExist(err) {
			errs = append(errs, readErr("/proc/modules", err))
		}
		for _, l := range lines(data, "") {
			get(strings.Fields(l)[0])["loaded"] = true
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
