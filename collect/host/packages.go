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

func collectPackages(ctx context.Context, h *Host) (map[string]any, error) {
	out := map[string]any{"manager": "", "installed": map[string]any{}}
	var pkgs map[string]string
	var err error
	switch {
	case h.Exists("/var/lib/dpkg/status"):
		out["manager"] = "dpkg"
		pkgs, err = dpkgInstalled(h)
	case h.Exists("/var/lib/rpm"):
		out["manager"] = "rpm"
		pkgs, err = rpmInstalled(ctx, h)
	default:
		out["error"] = "no package database found (/var/lib/dpkg/status or /var/lib/rpm)"
		return out, nil
	}
	if err != nil {
		out["manager"], out["error"] = "", "package database unreadable: "+err.Error()
		return out, nil
	}
	inst := make(map[string]any, len(pkgs))
	for n, v := range pkgs {
		inst[n] = map[string]any{"id": n, "version": v}
	}
	out["installed"] = inst
	return out, nil
}
