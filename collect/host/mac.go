package host

import (
	"context"
	"os"
	"strings"
)

func collectMAC(_ context.Context, h *Host) (map[string]any, error) {
	aa := map[string]any{"id": "apparmor", "installed": h.Exists("/etc/apparmor.d") || h.Exists("/sbin/apparmor_parser") || h.Exists("/usr/sbin/apparmor_parser"),
		"enabled": nil, "profiles_enforce": -1, "profiles_complain": -1}
	se := map[string]any{"id": "selinux", "installed": h.Exists("/etc/selinux/config"), "mode": "", "type": ""}
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
		if b, err := os.ReadFile("/sys/fs/selinux/enforce"); err == nil {
			se["mode"] = map[bool]string{true: "enforcing", false: "permissive"}[strings.TrimSpace(string(b)) == "1"]
		}
	}
	if b, err := h.ReadFile("/etc/selinux/config"); err == nil {
		for _, l := range lines(b, "#") {
			k, v := splitKV(l)
			switch k {
			case "SELINUX":
				if se["mode"] == "" {
					se["mode"] = strings.ToLower(v)
				}
			case "SELINUXTYPE":
				se["type"] = v
			}
		}
	}
	return map[string]any{"apparmor": aa, "selinux": se}, nil
}
