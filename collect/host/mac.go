package host

import (
	"context"
	"os"
	"strings"
)

func collectMAC(_ context.Context, h *Host) (map[string]any, error) {
	aa := map[string]any{"id": "apparmor", "installed": h.Exists("/etc/apparmor.d") || h.Exists("/sbin/apparmor_parser") || h.Exists("/usr/sbin/apparmor_parser"),
		"enabled": nil, "profiles_enforce": -1, "profiles_complain": -1}
	se := map[string]any{"id": "selinux", "installed": h.Exists("/etc/selinux/config"), "mode": "", "mode_source": "", "type": ""}
	runtimeKnown := false
	if h.live {
		if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil {
			aa["enabled"] = strings.TrimSpace(string(b)) == "Y"
		} else if os.IsNotExist(err) {
			aa["enabled"] = false
		}
		if b, err := os.ReadFile("/sys/kernel/security/apparmor/profiles"); err == nil {
			enforce, complain := 0, 0
			for _, l := range lines(b, "") {
				switch {
				case strings.HasSuffix(l, "(enforce)"):
					enforce++
				case strings.HasSuffix(l, "(complain)"):
					complain++
				}
			}
			aa["profiles_enforce"], aa["profiles_complain"] = enforce, complain
		}
		// With selinuxfs mounted, the kernel's mode is the truth; if it
		// cannot be read, the mode is unknown ("") rather than the
		// configured one, which may not be in effect.
		if _, err := os.Stat("/sys/fs/selinux"); err == nil {
			runtimeKnown = true
			if b, err := os.ReadFile("/sys/fs/selinux/enforce"); err == nil {
				se["mode"] = map[bool]string{true: "enforcing", false: "permissive"}[strings.TrimSpace(string(b)) == "1"]
				se["mode_source"] = "runtime"
			}
		} else if os.IsNotExist(err) {
			// No selinuxfs on the running system: SELinux is not active
			// (booted with selinux=0, or never enabled), whatever the
			// configuration file says.
			runtimeKnown = true
			se["mode"], se["mode_source"] = "disabled", "runtime"
		}
	}
	if b, err := h.ReadFile("/etc/selinux/config"); err == nil {
		for _, l := range lines(b, "#") {
			k, v := splitKV(l)
			switch k {
			case "SELINUX":
				if !runtimeKnown {
					se["mode"], se["mode_source"] = strings.ToLower(v), "config"
				}
			case "SELINUXTYPE":
				se["type"] = v
			}
		}
	}
	return map[string]any{"apparmor": aa, "selinux": se}, nil
}
