package host

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// Bounds of host.homes: the reads are one stat of each interactive user's
// home and one listing of it (no walk into the home), so a scan stays fast
// on hosts with many users or large homes.
const (
	maxHomes    = 2000
	maxDotFiles = 1000
)

// interactive reports whether an account is a person's (or root's): a login
// shell, and root or a UID from UID_MIN up (not nobody, 65534). System
// accounts (daemon's home /usr/sbin, www-data's /var/www) are not people's
// homes and are left out, as CIS and OpenSCAP do.
func interactive(u map[string]any, uidMin int) bool {
	uid, _ := u["uid"].(int)
	return u["login_shell"] == true && (uid == 0 || uid >= uidMin) && uid != 65534
}

// collectHomes describes the interactive users' home directories and the
// dot files directly in them.
func collectHomes(ctx context.Context, h *Host) (map[string]any, error) {
	acc, _ := collectAccounts(ctx, h)
	out := map[string]any{"homes": []any{}, "complete": true}
	if e, ok := acc["passwd_error"]; ok {
		out["error"] = e
		return out, nil
	}
	id := hostIDs(h)
	uidMin, _ := acc["uid_min"].(int)
	var homes []any
	for _, x := range acc["users"].([]any) {
		u := x.(map[string]any)
		if u["malformed"] == true || !interactive(u, uidMin) {
			continue
		}
		if len(homes) == maxHomes {
			out["complete"] = false
			out["error"] = "more than 2000 interactive users: the homes past the first 2000 were not read"
			break
		}
		homes = append(homes, homeResource(h, u, id))
	}
	if homes != nil {
		out["homes"] = homes
	}
	var equiv []any
	for _, p := range []string{"/etc/hosts.equiv", "/etc/shosts.equiv"} {
		r := map[string]any{"id": p, "exists": false}
		if _, err := h.Lstat(p); err == nil {
			r["exists"] = true
		} else if !isNotExist(err) {
			r["error"] = readErr(p, err)
		}
		equiv = append(equiv, r)
	}
	out["equiv"] = equiv
	return out, nil
}

func statInfo(fi fs.FileInfo, r map[string]any, id ids) {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		r["type"] = "link"
	case fi.IsDir():
		r["type"] = "dir"
	case fi.Mode().IsRegular():
		r["type"] = "file"
	default:
		r["type"] = "other"
	}
	mode := unixMode(fi)
	r["mode"], r["perm"] = mode, fmt.Sprintf("%04o", mode)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		r["uid"], r["gid"] = int(st.Uid), int(st.Gid)
		r["owner"], r["group"] = id.users[int(st.Uid)], id.groups[int(st.Gid)]
	}
}

// homeResource stats a user's home (following a link: /home/alice may
// lead to /srv/home/alice) and lists the dot files directly in it, without
// following links (a link's own mode means nothing, and its target may be
// anywhere).
func homeResource(h *Host, u map[string]any, id ids) map[string]any {
	home, _ := u["home"].(string)
	r := map[string]any{"id": u["name"], "user": u["name"], "uid": u["uid"], "gid": u["gid"], "home": home,
		"exists": false, "dotfiles": []any{}, "dotfiles_complete": true}
	if !strings.HasPrefix(home, "/") {
		r["error"] = "home directory " + home + " is not an absolute path"
		return r
	}
	fi, err := h.Stat(home)
	if err != nil {
		if !isNotExist(err) {
			r["error"] = readErr(home, err)
		}
		return r
	}
	r["exists"] = true
	hs := map[string]any{}
	statInfo(fi, hs, id)
	r["type"], r["mode"], r["perm"], r["owner_uid"], r["owner"], r["group_gid"], r["group"] =
		hs["type"], hs["mode"], hs["perm"], hs["uid"], hs["owner"], hs["gid"], hs["group"]
	if !fi.IsDir() {
		return r
	}
	es, err := h.ReadDir(home)
	if err != nil {
		r["dotfiles_error"] = readErr(home, err)
		return r
	}
	var dots []any
	for _, e := range es {
		n := e.Name()
		if !strings.HasPrefix(n, ".") || n == "." || n == ".." {
			continue
		}
		if len(dots) == maxDotFiles {
			r["dotfiles_complete"] = false
			r["dotfiles_error"] = home + " has more than 1000 dot files: the rest were not read"
			break
		}
		p := path.Join(home, n)
		d := map[string]any{"id": p, "name": n}
		if fi, err := h.Lstat(p); err != nil {
			d["error"] = readErr(p, err)
		} else {
			statInfo(fi, d, id)
		}
		dots = append(dots, d)
	}
	if dots != nil {
		r["dotfiles"] = dots
	}
	return r
}
