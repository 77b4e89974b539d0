package host

import (
	"context"
	"errors"
	"os"
	"path"
	"slices"
	"strings"
)

func collectBoot(_ context.Context, h *Host) (map[string]any, error) {
	g := map[string]any{"id": "grub", "exists": false, "file": "", "password": false, "superusers": false, "cmdline": []any{}}
	out := map[string]any{"grub": g, "kernel_cmdline": []any{}}
	var params []string
	// /etc/default/grub is what grub.cfg is built from; both count, since
	// grub.cfg may be stale until update-grub runs.
	if data, err := h.ReadFile("/etc/default/grub"); err == nil {
		for _, l := range lines(data, "#") {
			k, v := splitKV(l)
			if k == "GRUB_CMDLINE_LINUX" || k == "GRUB_CMDLINE_LINUX_DEFAULT" {
				params = append(params, strings.Fields(strings.Trim(v, `"'`))...)
			}
		}
	}
	for _, f := range grubConfigs(h) {
		data, err := h.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			g["exists"], g["file"], g["error"] = true, f, readErr(f, err)
			break
		}
		g["exists"], g["file"] = true, f
		var entries [][]string
		bls := false
		for _, l := range lines(data, "#") {
			w := strings.Fields(l)
			switch {
			case w[0] == "blscfg":
				bls = true
			case strings.HasPrefix(l, "set superusers=") && strings.Trim(strings.TrimPrefix(l, "set superusers="), `"'`) != "":
				g["superusers"] = true
			case (w[0] == "password_pbkdf2" || w[0] == "password") && len(w) >= 3 && !strings.HasPrefix(w[2], "$"):
				// RHEL's generated grub.cfg always has
				// "password_pbkdf2 root ${GRUB2_PASSWORD}", set only when
				// user.cfg exists: a variable is not a password.
				g["password"] = true
			case w[0] == "linux" || w[0] == "linuxefi" || w[0] == "linux16":
				if len(w) > 2 {
					entries = append(entries, w[2:])
				} else {
					entries = append(entries, nil)
				}
			}
		}
		// RHEL 8 and later, Fedora: grub.cfg only says "blscfg", and the
		// menu entries are the Boot Loader Specification files, whose
		// options line (with $kernelopts from grubenv on RHEL 8) is what
		// boots. Judging /etc/default/grub instead would pass a parameter
		// that grubby removed from every entry.
		if bls && len(entries) == 0 {
			var err error
			if entries, err = blsEntries(h); err != nil {
				g["error"] = err.Error()
			}
		}
		// What boots is grub.cfg: a parameter counts only when every menu
		// entry has it (CIS asks for all of them).
		if len(entries) > 0 {
			params = entries[0]
			for _, e := range entries[1:] {
				params = slices.DeleteFunc(slices.Clone(params), func(p string) bool { return !slices.Contains(e, p) })
			}
		}
		break
	}
	// RHEL keeps the password in user.cfg (grub2-setpassword), beside
	// grub.cfg (in the EFI directory on RHEL 8 with UEFI).
	userCfg := []string{"/boot/grub2/user.cfg"}
	if f := g["file"].(string); f != "" {
		userCfg = dedupe(append(userCfg, path.Join(path.Dir(f), "user.cfg")))
	}
	for _, uc := range userCfg {
		if data, err := h.ReadFile(uc); err == nil && strings.Contains(string(data), "GRUB2_PASSWORD=") {
			g["password"], g["superusers"] = true, true
		}
	}
	g["cmdline"] = toAny(dedupe(params))
	if h.live {
		if data, err := os.ReadFile("/proc/cmdline"); err == nil {
			out["kernel_cmdline"] = toAny(strings.Fields(string(data)))
		}
	}
	return out, nil
}

// grubConfigs are the places grub.cfg is looked for, in order: the BIOS and
// current places, then the EFI system partition, where RHEL 8 (and its
// rebuilds) keep the real file on UEFI machines
// (/boot/efi/EFI/redhat/grub.cfg). Elsewhere the EFI directory holds a
// stub that loads /boot/grub*/grub.cfg, found first. Without these, a GRUB
// host would read as one without a bootloader and its checks as not
// applicable.
func grubConfigs(h *Host) []string {
	out := []string{"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"}
	es, _ := h.ReadDir("/boot/efi/EFI")
	for _, e := range es {
		if e.IsDir() && e.Name() != "BOOT" {
			out = append(out, path.Join("/boot/efi/EFI", e.Name(), "grub.cfg"))
		}
	}
	return out
}

// blsEntries reads the options of every Boot Loader Specification entry
// (/boot/loader/entries/*.conf), expanding $kernelopts from grubenv.
func blsEntries(h *Host) ([][]string, error) {
	files, err := h.dropInsErr("/boot/loader/entries", ".conf")
	if err != nil {
		return nil, errors.New(readErr("/boot/loader/entries", err))
	}
	kernelopts := ""
	for _, env := range []string{"/boot/grub2/grubenv", "/boot/grub/grubenv"} {
		if data, err := h.ReadFile(env); err == nil {
			for _, l := range lines(data, "#") {
				if v, ok := strings.CutPrefix(l, "kernelopts="); ok {
					kernelopts = v
				}
			}
			break
		}
	}
	var entries [][]string
	for _, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			return nil, errors.New(readErr(f, err))
		}
		var opts []string
		for _, l := range lines(data, "#") {
			if v, ok := strings.CutPrefix(l, "options"); ok && (v == "" || v[0] == ' ' || v[0] == '\t') {
				for _, w := range strings.Fields(v) {
					if w == "$kernelopts" || w == "${kernelopts}" {
						opts = append(opts, strings.Fields(kernelopts)...)
					} else {
						opts = append(opts, w)
					}
				}
			}
		}
		entries = append(entries, opts)
	}
	return entries, nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
