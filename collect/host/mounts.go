package host

import (
	"context"
	"os"
	"strings"
)

// parseMounts reads /etc/fstab or /proc/self/mounts: comment lines start
// with "#", fields are octal-escaped (\040 is a space), swap and "none"
// mount points are left out, and a later line for a mount point replaces
// an earlier one (the later mount hides the earlier).
func parseMounts(data []byte) map[string]any {
	out := map[string]any{}
	for _, l := range lines(data, "") {
		f := strings.Fields(l)
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
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
	out := map[string]any{"mounts": map[string]any{}, "fstab": map[string]any{}, "runtime": h.live, "fstab_exists": false}
	if h.live {
		// On the running system the mount table is the truth: when it
		// cannot be read, mounts stays empty (checks then give an error)
		// rather than falling back to /etc/fstab.
		if data, err := os.ReadFile(h.procPath("self/mounts")); err == nil {
			out["mounts"] = parseMounts(data)
		} else {
			out["mounts_error"] = readErr(h.procPath("self/mounts"), err)
		}
	}
	if data, err := h.ReadFile("/etc/fstab"); err == nil {
		out["fstab"], out["fstab_exists"] = parseMounts(data), true
	} else if !isNotExist(err) {
		out["fstab_exists"], out["fstab_error"] = true, readErr("/etc/fstab", err)
	}
	return out, nil
}
