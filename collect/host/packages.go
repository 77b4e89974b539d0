package host

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// dpkgInstalled reads the installed packages from dpkg's status file.
func dpkgInstalled(h *Host) (map[string]string, error) {
	data, err := h.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var name, version, status string
	flush := func() {
		if name != "" && strings.HasSuffix(status, " installed") {
			out[name] = version
		}
		name, version, status = "", "", ""
	}
	for l := range rawLines(data) {
		switch {
		case l == "":
			flush()
		case strings.HasPrefix(l, "Package: "):
			name = strings.TrimSpace(l[9:])
		case strings.HasPrefix(l, "Version: "):
			version = strings.TrimSpace(l[9:])
		case strings.HasPrefix(l, "Status: "):
			status = strings.TrimSpace(l[8:])
		}
	}
	flush()
	return out, nil
}

// rpmInstalled asks rpm, which reads the database under the root.
func rpmInstalled(ctx context.Context, h *Host) (map[string]string, error) {
	bin, err := exec.LookPath("rpm")
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := exec.CommandContext(cctx, bin, "--root", h.root, "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\n").Output()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range lines(b, "") {
		if n, v, ok := strings.Cut(l, " "); ok {
			out[n] = v
		}
	}
	return out, nil
}

// packages reads the package database once per Host: host.packages and
// host.services (which counts an installed daemon as present) share it, so
// a scan runs rpm once.
func (h *Host) packages(ctx context.Context) (manager string, pkgs map[string]string, errMsg string) {
	h.pkgOnce.Do(func() {
		var err error
		switch {
		case h.Exists("/var/lib/dpkg/status"):
			h.pkgManager = "dpkg"
			h.pkgs, err = dpkgInstalled(h)
		case h.Exists("/var/lib/rpm"):
			h.pkgManager = "rpm"
			h.pkgs, err = rpmInstalled(ctx, h)
		default:
			h.pkgErr = "no package database found (/var/lib/dpkg/status or /var/lib/rpm)"
			return
		}
		if err != nil {
			h.pkgManager, h.pkgs, h.pkgErr = "", nil, "package database unreadable: "+err.Error()
		}
	})
	return h.pkgManager, h.pkgs, h.pkgErr
}

func collectPackages(ctx context.Context, h *Host) (map[string]any, error) {
	out := map[string]any{"manager": "", "installed": map[string]any{}}
	manager, pkgs, errMsg := h.packages(ctx)
	if errMsg != "" {
		out["error"] = errMsg
		return out, nil
	}
	out["manager"] = manager
	inst := make(map[string]any, len(pkgs))
	for n, v := range pkgs {
		inst[n] = map[string]any{"id": n, "version": v}
	}
	out["installed"] = inst
	return out, nil
}
