package host

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func collectCrypt(_ context.Context, h *Host) (map[string]any, error) {
	vols := []any{}
	ephemeralName := map[string]bool{} // crypttab targets keyed afresh at each boot
	if data, err := h.ReadFile("/etc/crypttab"); err == nil {
		for _, l := range lines(data, "#") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				// A volume keyed from a random source afresh at every boot
				// (swap, tmp) holds nothing once the machine is off: it does
				// not show that data at rest is encrypted.
				ephemeral := len(f) >= 3 && (f[2] == "/dev/urandom" || f[2] == "/dev/random")
				if len(f) >= 4 {
					for _, o := range strings.Split(f[3], ",") {
						ephemeral = ephemeral || o == "swap" || o == "tmp" || strings.HasPrefix(o, "tmp=")
					}
				}
				vols = append(vols, map[string]any{"id": f[0], "device": f[1], "source": "crypttab", "ephemeral": ephemeral})
				ephemeralName[f[0]] = ephemeral
			}
		}
	}
	out := map[string]any{"volumes": vols, "root_encrypted": nil, "mounts": map[string]any{}}
	if !h.live {
		return out, nil
	}
	swaps, _ := os.ReadFile("/proc/swaps")
	dmVols, crypt := dmCrypt("/sys/block", swaps, ephemeralName, filepath.EvalSymlinks)
	vols = append(vols, dmVols...)
	out["volumes"] = vols
	data, err := os.ReadFile(h.procPath("self/mounts"))
	if err != nil {
		out["mounts_error"] = readErr(h.procPath("self/mounts"), err)
		return out, nil
	}
	mounts := cryptMounts(data, func(dev string) any {
		// The mount's block device, and whether a dm-crypt target sits
		// anywhere beneath it (LVM on LUKS counts).
		real, err := filepath.EvalSymlinks(dev)
		if err != nil {
			return nil // /dev/root and the like: cannot be told
		}
		return underCrypt(filepath.Base(real), crypt, 0)
	})
	out["mounts"] = mounts
	if m, ok := mounts["/"].(map[string]any); ok {
		out["root_encrypted"] = m["encrypted"]
	}
	return out, nil
}

// dmCrypt lists the running dm-crypt targets under sysBlock (/sys/block),
// each ephemeral when it is in use as swap (the /proc/swaps text) or is the
// target of a crypttab line keyed afresh at boot; crypt holds their dm-N
// names.
func dmCrypt(sysBlock string, swapsText []byte, ephemeralName map[string]bool, resolve func(string) (string, error)) (vols []any, crypt map[string]bool) {
	crypt = map[string]bool{}
	swaps := map[string]bool{} // dm-N names in use as swap
	for _, l := range lines(swapsText, "") {
		if dev := strings.Fields(l)[0]; strings.HasPrefix(dev, "/dev/") {
			if real, err := resolve(dev); err == nil {
				swaps[filepath.Base(real)] = true
			}
		}
	}
	ms, _ := filepath.Glob(filepath.Join(sysBlock, "dm-*", "dm", "uuid"))
	sort.Strings(ms)
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err != nil || !strings.HasPrefix(string(b), "CRYPT-") {
			continue
		}
		dm := filepath.Base(filepath.Dir(filepath.Dir(m)))
		crypt[dm] = true
		name, _ := os.ReadFile(filepath.Join(sysBlock, dm, "dm", "name"))
		n := strings.TrimSpace(string(name))
		vols = append(vols, map[string]any{"id": n, "device": "/dev/" + dm, "source": "dm", "ephemeral": swaps[dm] || ephemeralName[n]})
	}
	return vols, crypt
}

// networkFS are the filesystems of skipFS that hold data (kept in mounts).
var networkFS = map[string]bool{"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "sshfs": true, "9p": true, "virtiofs": true}

// cryptMounts lists the mounts of a mount table with whether each is
// encrypted: encrypted(device) for block devices (/dev/...), null for the
// rest (tmpfs, overlay, network filesystems: it cannot be told here).
// Pseudo filesystems (proc, sysfs, cgroup...) are left out.
func cryptMounts(table []byte, encrypted func(dev string) any) map[string]any {
	out := map[string]any{}
	for mp, v := range parseMounts(table) {
		m := v.(map[string]any)
		fstype, _ := m["fstype"].(string)
		if skipFS[fstype] && !networkFS[fstype] {
			continue
		}
		dev, _ := m["device"].(string)
		var enc any
		if strings.HasPrefix(dev, "/dev/") {
			enc = encrypted(dev)
		}
		out[mp] = map[string]any{"id": mp, "device": dev, "fstype": fstype, "encrypted": enc}
	}
	return out
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
