package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

func collectCrypt(_ context.Context, h *Host) (map[string]any, error) {
	vols := []any{}
	if data, err := h.ReadFile("/etc/crypttab"); err == nil {
		for _, l := range lines(data, "#") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				vols = append(vols, map[string]any{"id": f[0], "device": f[1], "source": "crypttab"})
			}
		}
	}
	out := map[string]any{"volumes": vols, "root_encrypted": nil}
	if !h.live {
		return out, nil
	}
	crypt := map[string]bool{} // dm-N names that are dm-crypt targets
	ms, _ := filepath.Glob("/sys/block/dm-*/dm/uuid")
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err == nil && strings.HasPrefix(string(b), "CRYPT-") {
			dm := filepath.Base(filepath.Dir(filepath.Dir(m)))
			crypt[dm] = true
			name, _ := os.ReadFile(filepath.Join("/sys/block", dm, "dm/name"))
			vols = append(vols, map[string]any{"id": strings.TrimSpace(string(name)), "device": "/dev/" + dm, "source": "dm"})
		}
	}
	out["volumes"] = vols
	// The root filesystem's block device, and whether a dm-crypt target
	// sits anywhere beneath it (LVM on LUKS counts).
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return out, nil
	}
	for _, l := range lines(data, "") {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "/" {
			continue
		}
		if !strings.HasPrefix(f[0], "/dev/") {
			return out, nil // overlay, tmpfs...: cannot be told here
		}
		dev, err := filepath.EvalSymlinks(f[0])
		if err != nil {
			return out, nil
		}
		out["root_encrypted"] = underCrypt(filepath.Base(dev), crypt, 0)
	}
	return out, nil
}

func underCrypt(dev string, crypt map[string]bool, depth int) bool {
	if crypt[dev] {
		return true
	}
	if depth > 8 {
		return false
	}
	slaves, _ := os.ReadDir(filepath.Join("/sys/class/block", dev, "slaves"))
	for _, s := range slaves {
		if underCrypt(s.Name(), crypt, depth+1) {
			return true
		}
	}
	return false
}
