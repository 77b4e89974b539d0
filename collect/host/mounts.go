package host

import (
	"context"
	"os"
	"strings"
)

func parseMounts(data []byte) map[string]any {
	out := map[string]any{}
	for _, l := range lines(data, "#") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		mp := unescapeMount(f[1])
		if f[2] == "swap" || mp == "none" {
			continue
		}
		out[mp] = map[string]any{"id": mp, "device": unescapeMount(f[0]), "fstype": f[2], "options": toAny(strings.Split(f[3], ","))}
	}
	return out
}

func collectMounts(_ context.Context, h *Host) (map[string]any, error) {
	out := map[string]any{"mounts": map[string]any{}, "fstab": map[string]any{}, "runtime": false}
	if h.live {
		if data, err := os.ReadFile("/proc/self/mounts"); err == nil {
			out["mounts"], out["runtime"] = parseMounts(data), true
		}
	}
	if data, err := h.ReadFile("/etc/fstab"); err == nil {
		out["fstab"] = parseMounts(data)
	} else if !os.IsNotExist(err) {
		out["fstab_error"] = readErr("/etc/fstab", err)
	}
	return out, nil
}
