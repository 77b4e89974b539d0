package host

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"syscall"
)

var sensitiveFiles = []string{
	"/etc/passwd", "/etc/passwd-", "/etc/shadow", "/etc/shadow-", "/etc/group", "/etc/group-",
	"/etc/gshadow", "/etc/gshadow-", "/etc/ssh/sshd_config", "/etc/crontab", "/etc/cron.hourly",
	"/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly", "/etc/cron.d", "/etc/cron.allow",
	"/etc/cron.deny", "/etc/at.allow", "/etc/at.deny", "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg",
	"/boot/grub2/user.cfg", "/etc/issue", "/etc/issue.net", "/etc/motd", "/etc/security/opasswd",
	"/etc/sudoers", "/etc/audit/auditd.conf", "/etc/audit/rules.d", "/var/log", "/etc/hosts.allow",
	"/etc/hosts.deny", "/etc/default/grub", "/etc/login.defs", "/etc/security/pwquality.conf",
	"/etc/shells", "/etc/ssh/sshd_config.d",
}

// maxLogFiles bounds the /var/log listing; past it, logs_complete is
// false. A variable so that tests can lower it.
const maxLogFiles = 5000

// ids maps user and group ids of the host (not of the scanning machine)
// to names.
type ids struct{ users, groups map[int]string }

func hostIDs(h *Host) ids {
	id, _, _ := hostIDsErr(h)
	return id
}

// hostIDsErr is hostIDs with why a table is empty: "" when /etc/passwd
// (/etc/group) gave at least one entry.
func hostIDsErr(h *Host) (id ids, usersErr, groupsErr string) {
	read := func(p string) (map[int]string, string) {
		m := map[int]string{}
		data, err := h.ReadFile(p)
		if err != nil {
			return m, readErr(p, err)
		}
		for _, l := range lines(data, "") {
			f := strings.Split(l, ":")
			if len(f) >= 3 {
				if n, err := strconv.Atoi(f[2]); err == nil {
					if _, dup := m[n]; !dup {
						m[n] = f[0]
					}
				}
			}
		}
		if len(m) == 0 {
			return m, p + " has no entries"
		}
		return m, ""
	}
	id.users, usersErr = read("/etc/passwd")
	id.groups, groupsErr = read("/etc/group")
	return id, usersErr, groupsErr
}

// fileResource describes p for checks (following a final symlink, as
// permission checks mean the file the name reaches).
func fileResource(h *Host, p string, id ids) map[string]any {
	res := map[string]any{"id": p, "exists": false}
	fi, err := h.Stat(p)
	if err != nil {
		if !isNotExist(err) {
			res["error"] = readErr(p, err)
		}
		return res
	}
	statInto(res, fi, id)
	return res
}

func statInto(res map[string]any, fi fs.FileInfo, id ids) {
	res["exists"] = true
	switch {
	case fi.Mode().IsRegular():
		res["type"] = "file"
	case fi.IsDir():
		res["type"] = "dir"
	case fi.Mode()&fs.ModeSymlink != 0:
		res["type"] = "symlink"
	default:
		res["type"] = "other"
	}
	mode := unixMode(fi)
	res["mode"] = mode
	res["perm"] = fmt.Sprintf("%04o", mode)
	res["size"] = int(fi.Size())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		res["uid"], res["gid"] = int(st.Uid), int(st.Gid)
		res["owner"], res["group"] = id.users[int(st.Uid)], id.groups[int(st.Gid)]
	}
}

// isNotExist: the path or one of its parents is missing (false for nil).
func isNotExist(err error) bool {
	return err != nil && (errorsIs(err, fs.ErrNotExist) || strings.Contains(err.Error(), "not a directory"))
}

func collectFiles(_ context.Context, h *Host) (map[string]any, error) {
	id := hostIDs(h)
	files := map[string]any{}
	for _, p := range sensitiveFiles {
		files[p] = fileResource(h, p, id)
	}
	var keys []any
	if es, err := h.ReadDir("/etc/ssh"); err == nil {
		for _, e := range es {
			n := e.Name()
			if !strings.HasPrefix(n, "ssh_host_") {
				continue
			}
			kind := ""
			switch {
			case strings.HasSuffix(n, "_key"):
				kind = "private"
			case strings.HasSuffix(n, "_key.pub"):
				kind = "public"
			default:
				continue
			}
			r := fileResource(h, path.Join("/etc/ssh", n), id)
			r["kind"] = kind
			keys = append(keys, r)
		}
	}
	limit := maxLogFiles
	if h.maxLogs > 0 {
		limit = h.maxLogs
	}
	logs, complete := listLogs(h, "/var/log", limit, id)
	return map[string]any{"files": files, "ssh_keys": nonNil(keys), "logs": nonNil(logs), "logs_complete": complete}, nil
}

// listLogs lists the regular files under dir (not following symlinks) as
// file resources, at most max entries; an unreadable directory is an entry
// with an error. complete is false when entries were left out.
func listLogs(h *Host, dir string, max int, id ids) (logs []any, complete bool) {
	complete = true
	add := func(r map[string]any) bool {
		if len(logs) >= max {
			complete = false
			return false
		}
		logs = append(logs, r)
		return true
	}
	var walk func(dir string) bool
	walk = func(dir string) bool {
		es, err := h.ReadDir(dir)
		if err != nil {
			return add(map[string]any{"id": dir, "exists": true, "error": readErr(dir, err)})
		}
		for _, e := range es {
			p := path.Join(dir, e.Name())
			if e.IsDir() {
				if !walk(p) {
					return false
				}
				continue
			}
			if !e.Type().IsRegular() {
				continue
			}
			r := map[string]any{"id": p}
			if fi, err := e.Info(); err == nil {
				statInto(r, fi, id)
			} else if isNotExist(err) {
				continue // removed while we listed (log rotation)
			} else {
				r["exists"], r["error"] = true, readErr(p, err)
			}
			if !add(r) {
				return false
			}
		}
		return true
	}
	if fi, err := h.Stat(dir); err == nil && fi.IsDir() {
		walk(dir)
	} else if err != nil && !isNotExist(err) {
		add(map[string]any{"id": dir, "exists": true, "error": readErr(dir, err)})
	}
	return logs, complete
}

func nonNil(xs []any) []any {
	if xs == nil {
		return []any{}
	}
	return xs
}

// unixMode is a file's permission bits with setuid, setgid and sticky in
// their Unix places (Go keeps them apart from Perm).
func unixMode(fi fs.FileInfo) int {
	mode := int(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
