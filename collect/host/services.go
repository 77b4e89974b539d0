package host

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system"}

func collectServices(ctx context.Context, h *Host) (map[string]any, error) {
	var out map[string]any
	// On the running system with systemd, systemctl is the authority: it
	// knows presets, generators, aliases and runtime enablement, and which
	// units are running now, which unit files alone cannot tell.
	if h.live && h.Info()["systemd"] == true {
		if o, err := systemctlUnits(ctx); err == nil {
			out = o
		}
	}
	var initErrs []string
	if out == nil {
		out = unitFiles(h, &initErrs)
	}
	// systemd is one init system of several: a host without it (SysV init,
	// OpenRC, many containers and older images) starts daemons from init
	// scripts, and a systemd host starts an init script that has no native
	// unit too (systemd-sysv-generator). Services are judged from every
	// init system's records, the packages and the running processes.
	units, _ := out["units"].(map[string]any)
	out["scripts"] = initScripts(h, units, out["systemd"] == true, &initErrs)
	out["init_error"] = strings.Join(initErrs, "; ")
	procs, known, perr := processes(h)
	out["processes"], out["processes_known"] = procs, known
	if perr != "" {
		out["processes_error"] = perr
	}
	_, pkgs, pkgErr := h.packages(ctx)
	inst := make(map[string]any, len(pkgs))
	for n, v := range pkgs {
		inst[n] = v
	}
	out["packages"] = inst
	if pkgErr != "" {
		out["packages_error"] = pkgErr
	}
	return out, nil
}

// unitFiles reads systemd's unit files (offline, or when systemctl cannot
// run). A unit directory that exists but cannot be listed is an error: its
// units are unknown, not absent.
func unitFiles(h *Host, errs *[]string) map[string]any {
	units := map[string]any{}
	out := map[string]any{"systemd": h.Info()["systemd"], "units": units}
	files := map[string]string{}
	for _, d := range unitDirs {
		es, err := h.ReadDir(d)
		if err != nil && !isNotExist(err) {
			*errs = append(*errs, readErr(d, err))
		}
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
				ws, err := h.ReadDir(path.Join(d, e.Name()))
				if err != nil && !isNotExist(err) {
					*errs = append(*errs, readErr(path.Join(d, e.Name()), err))
				}
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
	return out
}

// Where init scripts and their start links live: Debian's /etc/init.d and
// /etc/rc?.d, Red Hat's /etc/rc.d (to which /etc/init.d and /etc/rc?.d are
// links there), OpenRC's /etc/runlevels/LEVEL.
var (
	scriptDirs = []string{"/etc/init.d", "/etc/rc.d/init.d"}
	// rcDirs are the runlevels a system boots into (S: every boot on
	// Debian; 2-5: the multi-user levels, Debian's default 2, Red Hat's 3
	// and 5). Levels 0, 1 and 6 halt, reboot or rescue.
	rcDirs = []string{"/etc/rcS.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d",
		"/etc/rc.d/rcS.d", "/etc/rc.d/rc2.d", "/etc/rc.d/rc3.d", "/etc/rc.d/rc4.d", "/etc/rc.d/rc5.d"}
)

// initScripts lists the init scripts with the links that start them. A
// script is enabled when an S link in a boot runlevel (SysV) or an entry
// in an OpenRC runlevel other than shutdown names it. superseded: on a
// systemd host a native unit of the same name wins and systemd ignores the
// script (systemd-sysv-generator makes units only for scripts without one).
func initScripts(h *Host, units map[string]any, systemd bool, errs *[]string) map[string]any {
	scripts := map[string]any{}
	get := func(name string) map[string]any {
		s, _ := scripts[name].(map[string]any)
		return s
	}
	for _, d := range scriptDirs {
		es, err := h.ReadDir(d)
		if err != nil && !isNotExist(err) {
			*errs = append(*errs, readErr(d, err))
		}
		for _, e := range es {
			n := e.Name()
			if e.IsDir() || strings.HasPrefix(n, ".") || scripts[n] != nil {
				continue // (Red Hat's /etc/init.d is a link to /etc/rc.d/init.d)
			}
			superseded := false
			if u, ok := units[n+".service"].(map[string]any); ok && systemd {
				if u["state"] == "generated" {
					// Made from this script by systemd-sysv-generator: the
					// script's links are what enable it (checks read them
					// through the script's name).
					u["script"] = n
				} else {
					superseded = true
				}
			}
			scripts[n] = map[string]any{"id": n, "file": path.Join(d, n), "links": []any{}, "runlevels": []any{},
				"enabled": false, "superseded": superseded}
		}
	}
	seen := map[string]bool{}
	for _, d := range rcDirs {
		es, err := h.ReadDir(d)
		if err != nil && !isNotExist(err) {
			*errs = append(*errs, readErr(d, err))
		}
		for _, e := range es {
			l := e.Name()
			if !strings.HasPrefix(l, "S") || len(l) < 2 {
				continue
			}
			// S01slapd -> ../init.d/slapd: the link's target names the
			// script; a plain file's name after S and the order digits.
			name := strings.TrimLeft(l[1:], "0123456789")
			if t, err := h.Readlink(path.Join(d, l)); err == nil {
				name = path.Base(t)
			}
			s := get(name)
			// Red Hat's /etc/rc3.d is a link to /etc/rc.d/rc3.d: the same
			// start link read twice is recorded once.
			if s == nil || seen[path.Base(d)+"/"+l] {
				continue // a link to no script starts nothing
			}
			seen[path.Base(d)+"/"+l] = true
			s["links"] = append(s["links"].([]any), path.Join(d, l))
			s["enabled"] = true
		}
	}
	levels, err := h.ReadDir("/etc/runlevels")
	if err != nil && !isNotExist(err) {
		*errs = append(*errs, readErr("/etc/runlevels", err))
	}
	for _, lv := range levels {
		// A runlevel is a directory (or a link to one); a file is skipped
		// ("not a directory" reads as absent).
		dir := path.Join("/etc/runlevels", lv.Name())
		es, err := h.ReadDir(dir)
		if err != nil && !isNotExist(err) {
			*errs = append(*errs, readErr(dir, err))
		}
		for _, e := range es {
			s := get(e.Name())
			if s == nil {
				continue
			}
			s["runlevels"] = append(s["runlevels"].([]any), lv.Name())
			s["links"] = append(s["links"].([]any), path.Join(dir, e.Name()))
			if lv.Name() != "shutdown" {
				s["enabled"] = true
			}
		}
	}
	return scripts
}

// supervisors start daemons as their children: runit, s6, supervisord and
// the small inits of containers.
var supervisors = map[string]bool{"runsv": true, "s6-supervise": true, "supervisord": true, "tini": true,
	"dumb-init": true, "catatonit": true, "docker-init": true}

// processes lists the names (comm, at most 15 characters) of the daemons
// running now: a daemon started by hand or by a container's entry point is
// running whatever any init system says. Live only: offline there are no
// processes of this root (known is false).
//
// Only daemons count — PID 1, the children of PID 1 (where a daemon lands
// after it detaches, and where systemd and SysV init start services) and
// the children of a supervisor — not every process: a list of every
// process would change at each scan (workers, shells, kernel threads), and
// the normalized input is sent again whenever it changes.
func processes(h *Host) (names []any, known bool, errMsg string) {
	names = []any{}
	if !h.live {
		return names, false, ""
	}
	procDir := h.procPath()
	es, err := os.ReadDir(procDir)
	if err != nil {
		return names, false, readErr(procDir, err)
	}
	// A container's processes show in the host's /proc too; they belong
	// to another system (their own image is scanned on its own). Only
	// processes in our mount namespace count; when a namespace cannot be
	// read (not root), the process counts.
	self, _ := os.Readlink(path.Join(procDir, "self/ns/mnt"))
	type proc struct {
		comm string
		ppid int
	}
	procs := map[int]proc{}
	for _, e := range es {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink(path.Join(procDir, e.Name(), "ns/mnt")); err == nil && self != "" && ns != self {
			continue
		}
		// stat: "PID (COMM) STATE PPID ...": COMM may hold spaces and
		// parentheses, so it ends at the last ")".
		b, err := os.ReadFile(path.Join(procDir, e.Name(), "stat"))
		if err != nil {
			continue // the process ended while we listed
		}
		st := string(b)
		i, j := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if i < 0 || j < i {
			continue
		}
		f := strings.Fields(st[j+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		procs[pid] = proc{st[i+1 : j], ppid}
	}
	set := map[string]bool{}
	for pid, p := range procs {
		if pid == 1 || p.ppid <= 1 || supervisors[procs[p.ppid].comm] {
			if p.comm != "" {
				set[p.comm] = true
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(set)) {
		names = append(names, n)
	}
	return names, true, ""
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
