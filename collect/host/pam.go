package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

var pamAlways = []string{"common-auth", "common-password", "common-account", "common-session",
	"system-auth", "password-auth", "su", "sshd", "login"}

func collectPAM(_ context.Context, h *Host) (map[string]any, error) {
	services := map[string]any{}
	names := append([]string{}, pamAlways...)
	if es, err := h.ReadDir("/etc/pam.d"); err == nil {
		for _, e := range es {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	for _, n := range names {
		if _, done := services[n]; done {
			continue
		}
		res := map[string]any{"id": n, "exists": false}
		entries, err := pamEntries(h, n, 0)
		var inc *includeError
		switch {
		case err == nil:
			res["exists"] = true
		case errors.As(err, &inc):
			res["exists"], res["error"] = true, inc.Error()
		case os.IsNotExist(err):
		default:
			res["error"] = readErr(path.Join("/etc/pam.d", n), err)
		}
		if entries == nil {
			entries = []any{}
		}
		res["entries"] = entries
		services[n] = res
	}
	// pam_pwquality reads pwquality.conf for what its line does not say
	// (retry, minlen...): the same file host.config reads, merged the same
	// way, so a PAM check can judge both together.
	out := map[string]any{"services": services}
	for _, cf := range confFiles {
		if cf.path == "/etc/security/pwquality.conf" {
			out["pwquality"] = readConf(h, cf)
		}
	}
	return out, nil
}

// pamEntries reads a service file and expands @include, include and
// substack in place, as libpam does: @include takes every entry of the
// included file, include and substack only those of the line's type. A
// line ending in a backslash continues on the next one.
func pamEntries(h *Host, name string, depth int) ([]any, error) {
	if depth > 8 {
		return nil, errors.New("includes nested too deeply (an include loop?)")
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/etc/pam.d/") {
		return nil, errors.New("not in /etc/pam.d, where libpam looks")
	}
	data, err := h.ReadFile(path.Join("/etc/pam.d", path.Base(name)))
	if err != nil {
		return nil, err
	}
	var out []any
	for _, l := range logicalLines(data, "#") {
		f := strings.Fields(l)
		if f[0] == "@include" && len(f) > 1 {
			sub, err := pamEntries(h, f[1], depth+1)
			if err != nil {
				// A stack we cannot read is not an empty stack.
				return out, &includeError{name, f[1], err}
			}
			out = append(out, sub...)
			continue
		}
		// "-type" only silences a missing module; types are case-blind.
		typ := strings.ToLower(strings.TrimPrefix(f[0], "-"))
		if len(f) < 2 {
			continue
		}
		// The control may be a bracketed list with spaces.
		control := f[1]
		rest := f[2:]
		if strings.HasPrefix(control, "[") && !strings.HasSuffix(control, "]") {
			for len(rest) > 0 {
				control += " " + rest[0]
				rest = rest[1:]
				if strings.HasSuffix(control, "]") {
					break
				}
			}
		}
		if control == "include" || control == "substack" {
			if len(rest) > 0 {
				sub, err := pamEntries(h, rest[0], depth+1)
				if err != nil {
					return out, &includeError{name, rest[0], err}
				}
				for _, s := range sub {
					if s.(map[string]any)["type"] == typ {
						out = append(out, s)
					}
				}
			}
			continue
		}
		if len(rest) == 0 {
			continue
		}
		out = append(out, map[string]any{"type": typ, "control": control, "module": path.Base(rest[0]), "args": toAny(rest[1:])})
	}
	return out, nil
}

// includeError is a service file whose include could not be read.
type includeError struct {
	service, include string
	err              error
}

func (e *includeError) Error() string {
	var inner *includeError
	if errors.As(e.err, &inner) {
		return inner.Error()
	}
	p := e.include
	if !strings.HasPrefix(p, "/") {
		p = path.Join("/etc/pam.d", p)
	}
	return fmt.Sprintf("/etc/pam.d/%s includes %s, which cannot be read: %s", e.service, e.include, readErr(p, e.err))
}
