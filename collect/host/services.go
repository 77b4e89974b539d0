package host

import (
	"context"
	"io/fs"
	"os/exec"
	"path"
	"strings"
	"time"
)

var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system"}

func collectServices(ctx context.Context, h *Host) (map[string]any, error) {
	// On the running system with systemd, systemctl is the authority: it
	// knows presets, generators, aliases and runtime enablement, and which
	// units are running now, which unit files alone cannot tell.
	if h.live && h.Info()["systemd"] == true {
		if out, err := systemctlUnits(ctx); err == nil {
			return out, nil
		}
	}
	units := map[string]any{}
	out := map[string]any{"systemd": h.Info()["systemd"], "units": units}
	files := map[string]string{}
	for _, d := range unitDirs {
		es, _ := h.ReadDir(d)
		for _, e := range es {
			n := e.Name()
			if e.IsDir() || !strings.Contains(n, ".") {
				continue
			}
			if _, seen := files[n]; !seen {
				files[n] = path.Join(d, n)
			}
		}
	}
	// Enablement: links in /etc/systemd/system/*.wants and *.requires.
	enabled := map[string]bool{}
	for _, d := range []string{"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"} {
		es, _ := h.ReadDir(d)
		for _, e := range es {
			if e.IsDir() && (strings.HasSuffix(e.Name(), ".wants") || strings.HasSuffix(e.Name(), ".requires")) {
				// Links in /usr/lib are static dependencies, not admin choices,
				// but they do start the unit.
				ws, _ := h.ReadDir(path.Join(d, e.Name()))
				for _, w := range ws {
					enabled[w.Name()] = true
					if t, err := h.Readlink(path.Join(d, e.Name(), w.Name())); err == nil {
						enabled[path.Base(t)] = true
					}
				}
			}
		}
	}
	for n, f := range files {
		u := map[string]any{"id": n, "file": f}
		fi, err := h.Lstat(f)
		target := ""
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, _ = h.Readlink(f)
		}
		switch {
		case target == "/dev/null":
			u["state"] = "masked"
		case enabled[n]:
			u["state"] = "enabled"
		case target != "" && enabled[path.Base(target)]:
			u["state"] = "enabled" // an alias of an enabled unit
		case strings.HasPrefix(f, "/run/systemd/"):
			u["state"] = "generated"
		default:
			data, _ := h.ReadFile(f)
			if strings.Contains(string(data), "[Install]") {
				u["state"] = "disabled"
			} else {
				u["state"] = "static"
			}
		}
		units[n] = u
	}
	return out, nil
}

// systemctlUnits asks systemd for every unit file's state and every
// loaded unit's activity.
func systemctlUnits(ctx context.Context) (map[string]any, error) {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	files, err := exec.CommandContext(cctx, "systemctl", "list-unit-files", "--no-legend", "--no-pager", "--plain").Output()
	if err != nil {
		return nil, err
	}
	loaded, err := exec.CommandContext(cctx, "systemctl", "list-units", "--all", "--no-legend", "--no-pager", "--plain").Output()
	if err != nil {
		return nil, err
	}
	units := map[string]any{}
	for _, l := range lines(files, "") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			units[f[0]] = map[string]any{"id": f[0], "state": f[1], "active": "inactive", "source": "systemctl"}
		}
	}
	for _, l := range lines(loaded, "") {
		f := strings.Fields(l)
		if len(f) >= 3 {
			if u, ok := units[f[0]].(map[string]any); ok {
				u["active"] = f[2]
			} else if f[1] != "not-found" {
				// Loaded without a unit file of its own (a generated or
				// transient unit): running or not, it is there.
				units[f[0]] = map[string]any{"id": f[0], "state": "transient", "active": f[2], "source": "systemctl"}
			}
		}
	}
	return map[string]any{"systemd": true, "units": units}, nil
}
