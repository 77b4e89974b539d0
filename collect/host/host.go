// Package host holds the Linux host collectors. Every collector reads
// through a Host, which confines reads to a root directory: "/" for the
// running system, or a directory laid out like "/" (a mounted image, a
// container's filesystem, a test's scratch root). Runtime state (/proc,
// /sys, commands such as sshd -T) is read only when the root is "/".
package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/vigil-soc/vigil/collect"
)

// Host reads files under a root.
type Host struct {
	root string
	live bool
	r    *os.Root // nil for the live system

	// proc is where the live system's /proc is read ("" is /proc), and
	// maxLogs bounds the /var/log listing (0 is the default): fields, not
	// package variables, so tests can set them and still run in parallel.
	proc    string
	maxLogs int

	infoOnce sync.Once
	info     map[string]any

	pkgOnce    sync.Once // the package database, read once (packages)
	pkgManager string
	pkgs       map[string]string
	pkgErr     string
}

// New opens root for reading. The live system is root "/".
func New(root string) (*Host, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	h := &Host{root: abs, live: abs == "/"}
	if !h.live {
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, errors.New(abs + " is not a directory")
		}
		// os.Root refuses symlinks that lead outside the root, so an image
		// with a link to /etc/shadow cannot make us read the scanner's own.
		if h.r, err = os.OpenRoot(abs); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Root is the directory the host is read from.
func (h *Host) Root() string { return h.root }

// Live reports whether this is the running system.
func (h *Host) Live() bool { return h.live }

func rel(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// ReadFile reads an absolute host path.
func (h *Host) ReadFile(p string) ([]byte, error) {
	if h.live {
		return os.ReadFile(p)
	}
	if rel(p) == "" {
		return nil, errors.New("is a directory")
	}
	return h.r.ReadFile(rel(p))
}

// Stat follows symlinks (within the root).
func (h *Host) Stat(p string) (fs.FileInfo, error) {
	if h.live {
		return os.Stat(p)
	}
	if rel(p) == "" {
		return h.r.Stat(".")
	}
	return h.r.Stat(rel(p))
}

// Lstat does not follow a final symlink.
func (h *Host) Lstat(p string) (fs.FileInfo, error) {
	if h.live {
		return os.Lstat(p)
	}
	if rel(p) == "" {
		return h.r.Lstat(".")
	}
	return h.r.Lstat(rel(p))
}

// Readlink reads a symlink.
func (h *Host) Readlink(p string) (string, error) {
	if h.live {
		return os.Readlink(p)
	}
	return h.r.Readlink(rel(p))
}

// ReadDir lists a directory, sorted by name.
func (h *Host) ReadDir(p string) ([]fs.DirEntry, error) {
	if h.live {
		return os.ReadDir(p)
	}
	name := rel(p)
	if name == "" {
		name = "."
	}
	f, err := h.r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := f.ReadDir(-1)
	sort.Slice(es, func(i, j int) bool { return es[i].Name() < es[j].Name() })
	return es, err
}

// Exists reports whether p exists (following symlinks).
func (h *Host) Exists(p string) bool {
	_, err := h.Stat(p)
	return err == nil
}

// Real is p as a path on the scanning machine (for logs and messages).
func (h *Host) Real(p string) string {
	if h.live {
		return p
	}
	return filepath.Join(h.root, rel(p))
}

// DropIns lists the files of dir whose names end in suffix, sorted.
func (h *Host) DropIns(dir, suffix string) []string {
	es, err := h.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range es {
		if strings.HasSuffix(e.Name(), suffix) && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out
}

// dropInsErr is DropIns that also says why a directory that exists could
// not be listed (a missing directory is no error).
func (h *Host) dropInsErr(dir, suffix string) ([]string, error) {
	es, err := h.ReadDir(dir)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range es {
		if strings.HasSuffix(e.Name(), suffix) && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// masked reports whether p is a symlink to /dev/null, the way systemd,
// kmod and sysctl mask a configuration file of the same name in a
// lower-precedence directory. (An offline root cannot follow that link:
// it leads out of the root.)
func (h *Host) masked(p string) bool {
	fi, err := h.Lstat(p)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	t, err := h.Readlink(p)
	return err == nil && path.Clean(t) == "/dev/null"
}

// overlayDirs lists the configuration files of dirs the way systemd's
// conf_files_list (and kmod and sysctl --system) does: dirs are in order of
// precedence, a file name in an earlier directory hides the same name in
// later ones, a name masked by a link to /dev/null is dropped, and the
// result is sorted by file name regardless of directory. errs says which
// existing directories could not be listed.
func overlayDirs(h *Host, dirs []string, suffix string) (files []string, errs []string) {
	byName := map[string]string{}
	var names []string
	for _, d := range dirs {
		found, err := h.dropInsErr(d, suffix)
		if err != nil {
			errs = append(errs, readErr(d, err))
			continue
		}
		for _, f := range found {
			n := path.Base(f)
			if _, hidden := byName[n]; !hidden {
				byName[n] = f
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if f := byName[n]; !h.masked(f) {
			files = append(files, f)
		}
	}
	return files, errs
}

// readErr says why a file could not be read, in words a report can show.
func readErr(p string, err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return p + ": permission denied (run the scan as root)"
	case errors.Is(err, fs.ErrNotExist):
		return p + ": does not exist"
	}
	return p + ": " + strings.TrimPrefix(err.Error(), "open ")
}

// lines yields the lines of data with comments (from marker) stripped and
// whitespace trimmed, skipping empty ones. Lines of any length are read:
// a line-length limit would end the reading early and hide every setting
// after an over-long line.
func lines(data []byte, marker string) []string {
	var out []string
	for l := range rawLines(data) {
		if marker != "" {
			if i := strings.Index(l, marker); i >= 0 {
				l = l[:i]
			}
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// rawLines yields each line of data without its line ending (\n or \r\n).
func rawLines(data []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		for l := range bytes.Lines(data) {
			s := strings.TrimSuffix(strings.TrimSuffix(string(l), "\n"), "\r")
			if !yield(s) {
				return
			}
		}
	}
}

// Info describes the host: merged into every collector's input as "host".
func (h *Host) Info() map[string]any {
	h.infoOnce.Do(func() {
		osr := map[string]string{}
		for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
			if data, err := h.ReadFile(p); err == nil {
				for _, l := range lines(data, "#") {
					if k, v, ok := strings.Cut(l, "="); ok {
						osr[strings.ToLower(k)] = strings.Trim(v, `"'`)
					}
				}
				break
			}
		}
		family := "other"
		like := " " + osr["id"] + " " + osr["id_like"] + " "
		switch {
		case strings.Contains(like, " debian ") || strings.Contains(like, " ubuntu "):
			family = "debian"
		case strings.Contains(like, " rhel ") || strings.Contains(like, " fedora ") || strings.Contains(like, " centos "):
			family = "rhel"
		case strings.Contains(like, " suse "):
			family = "suse"
		}
		info := map[string]any{
			"os_id": osr["id"], "os_family": family, "version_id": osr["version_id"],
			"pretty_name": osr["pretty_name"], "kernel": "", "hostname": "",
			"systemd": h.hasSystemd(), "live": h.live, "root": h.root, "arch": h.arch(),
		}
		if h.live {
			if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
				info["kernel"] = strings.TrimSpace(string(b))
			}
			info["hostname"], _ = os.Hostname()
		} else if b, err := h.ReadFile("/etc/hostname"); err == nil {
			info["hostname"] = strings.TrimSpace(string(b))
		}
		h.info = info
	})
	return h.info
}

// goArch maps dpkg's architecture names to Go's (GOARCH), so that "arch"
// has one vocabulary on live and offline scans.
var goArch = map[string]string{
	"i386": "386", "armhf": "arm", "armel": "arm", "ppc64el": "ppc64le",
	"mips64el": "mips64le", "mipsel": "mipsle",
}

// arch is the host's CPU architecture in Go's names: the scanner's own
// on the live system, dpkg's native architecture offline, "" when unknown.
func (h *Host) arch() string {
	if h.live {
		return runtime.GOARCH
	}
	data, err := h.ReadFile("/var/lib/dpkg/arch")
	if err != nil {
		return ""
	}
	ls := lines(data, "#")
	if len(ls) == 0 {
		return ""
	}
	a := strings.Fields(ls[0])[0] // the first line is the native one
	if g, ok := goArch[a]; ok {
		return g
	}
	return a
}

// hasSystemd: on the live system, systemd is running (PID 1 manages units,
// shown by /run/systemd/system); offline, the image has systemd installed.
func (h *Host) hasSystemd() bool {
	if h.live {
		_, err := os.Stat("/run/systemd/system")
		return err == nil
	}
	return h.Exists("/lib/systemd/systemd") || h.Exists("/usr/lib/systemd/systemd")
}

// collector adapts a function to collect.Collector and adds the host info.
type collector struct {
	name string
	h    *Host
	fn   func(context.Context, *Host) (map[string]any, error)
}

func (c collector) Name() string { return c.name }

func (c collector) Collect(ctx context.Context) (map[string]any, error) {
	out, err := c.fn(ctx, c.h)
	if err != nil {
		return nil, err
	}
	out["host"] = c.h.Info()
	return out, nil
}

// Collectors returns every host collector reading h.
func Collectors(h *Host) []collect.Collector {
	fns := []struct {
		name string
		fn   func(context.Context, *Host) (map[string]any, error)
	}{
		{"host.sshd", collectSSHD},
		{"host.sysctl", collectSysctl},
		{"host.accounts", collectAccounts},
		{"host.config", collectConfig},
		{"host.pam", collectPAM},
		{"host.files", collectFiles},
		{"host.walk", collectWalk},
		{"host.packages", collectPackages},
		{"host.services", collectServices},
		{"host.mounts", collectMounts},
		{"host.modules", collectModules},
		{"host.boot", collectBoot},
		{"host.network", collectNetwork},
		{"host.mac", collectMAC},
		{"host.crypt", collectCrypt},
		{"host.updates", collectUpdates},
		{"host.homes", collectHomes},
		{"host.shell", collectShell},
		// host.drift compares with a baseline; a scan configured with one
		// (scan.DriftOptions) replaces this run. Without one: nothing to
		// compare, which checks report as not applicable.
		{"host.drift", func(context.Context, *Host) (map[string]any, error) {
			return map[string]any{"configured": false, "events": []any{}}, nil
		}},
	}
	out := make([]collect.Collector, len(fns))
	for i, f := range fns {
		out[i] = collector{f.name, h, f.fn}
	}
	return out
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func fmtSscanf(s, format string, a ...any) (int, error) { return fmt.Sscanf(s, format, a...) }

// Open opens a host file for reading.
func (h *Host) Open(p string) (*os.File, error) {
	if h.live {
		return os.Open(p)
	}
	if rel(p) == "" {
		return h.r.Open(".")
	}
	return h.r.Open(rel(p))
}

// Walk visits every entry under roots with several workers, without
// following symlinks and without entering skip (host paths). visit gets
// the directory, the name and the entry's stat, which it must not keep
// (the worker reuses it); it must be safe for concurrent use. Walk returns
// false when it stopped at limit, with the paths it could not read.
func (h *Host) Walk(roots []string, skip map[string]bool, limit int64, visit func(dir, name string, st *unix.Stat_t)) (bool, []string) {
	return parallelWalk(h, roots, skip, limit, func(e walkEntry) { visit(e.dir, e.Name(), e.st) })
}

// procPath is a path under the live system's /proc.
func (h *Host) procPath(elem ...string) string {
	dir := h.proc
	if dir == "" {
		dir = "/proc"
	}
	return path.Join(append([]string{dir}, elem...)...)
}
