package host

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// noLoginShells cannot give an interactive session. An empty shell field
// is not one of them: login, su and sshd then run /bin/sh (passwd(5)).
var noLoginShells = map[string]bool{
	"/usr/sbin/nologin": true, "/sbin/nologin": true, "/bin/false": true, "/usr/bin/false": true,
	"/bin/sync": true, "/sbin/shutdown": true, "/sbin/halt": true, "/usr/sbin/shutdown": true,
	"/usr/sbin/halt": true, "/bin/nologin": true,
}

func collectAccounts(_ context.Context, h *Host) (map[string]any, error) {
	out := map[string]any{"users": []any{}, "groups": []any{}}
	defs := map[string]string{}
	if data, err := h.ReadFile("/etc/login.defs"); err == nil {
		for _, l := range lines(data, "#") {
			k, v := splitKV(l)
			defs[strings.ToUpper(k)] = v
		}
	}
	out["uid_min"] = atoiOr(defs["UID_MIN"], 1000)
	out["sys_uid_max"] = atoiOr(defs["SYS_UID_MAX"], atoiOr(defs["UID_MIN"], 1000)-1)

	shadow := map[string][]string{}
	shadowErr := ""
	if data, err := h.ReadFile("/etc/shadow"); err != nil {
		shadowErr = readErr("/etc/shadow", err)
		out["shadow_error"] = shadowErr
	} else {
		for _, l := range lines(data, "") {
			f := strings.Split(l, ":")
			if _, dup := shadow[f[0]]; len(f) >= 2 && !dup {
				shadow[f[0]] = f // the first entry wins, as getspnam finds it
			}
		}
	}
	data, err := h.ReadFile("/etc/passwd")
	if err != nil {
		out["passwd_error"] = readErr("/etc/passwd", err)
		return out, nil
	}
	var users []any
	for n, l := range lines(data, "") {
		f := strings.Split(l, ":")
		var uid, gid int
		var uerr, gerr error
		if len(f) >= 7 {
			uid, uerr = strconv.Atoi(f[2])
			gid, gerr = strconv.Atoi(f[3])
		}
		if len(f) < 7 || uerr != nil || gerr != nil || f[0] == "" ||
			strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			// A malformed or NIS "+"/"-" line: keep it visible to the
			// checks, which cannot judge it (a bad UID must not read as 0).
			id := f[0]
			if id == "" {
				id = fmt.Sprintf("/etc/passwd entry %d", n+1)
			}
			users = append(users, map[string]any{"id": id, "name": f[0], "malformed": true,
				"error": fmt.Sprintf("/etc/passwd entry %d (%q) is not a valid user entry (NIS \"+\"/\"-\" lines included)", n+1, f[0])})
			continue
		}
		u := map[string]any{
			"id": f[0], "name": f[0], "uid": uid, "gid": gid, "home": f[5], "shell": f[6],
			"login_shell": !noLoginShells[f[6]], "password": passwdField(f[1]), "malformed": false,
		}
		sh := map[string]any{"present": false, "hash_state": "unknown", "algorithm": "",
			"last_change": nil, "min_days": nil, "max_days": nil, "warn_days": nil, "inactive": nil, "expire": nil}
		if shadowErr != "" {
			u["shadow_error"] = shadowErr
		} else if s, ok := shadow[f[0]]; ok {
			sh["present"] = true
			sh["hash_state"], sh["algorithm"] = hashState(s[1])
			for i, k := range []string{"last_change", "min_days", "max_days", "warn_days", "inactive", "expire"} {
				if len(s) > i+2 && s[i+2] != "" {
					if n, err := strconv.Atoi(s[i+2]); err == nil {
						sh[k] = n
					}
				}
			}
		} else {
			sh["hash_state"] = "missing"
		}
		u["shadow"] = sh
		users = append(users, u)
	}
	out["users"] = users
	if data, err := h.ReadFile("/etc/group"); err != nil {
		out["group_error"] = readErr("/etc/group", err)
	} else {
		var groups []any
		for _, l := range lines(data, "") {
			f := strings.Split(l, ":")
			if len(f) < 4 {
				continue
			}
			gid, _ := strconv.Atoi(f[2])
			var members []any
			for _, m := range strings.Split(f[3], ",") {
				if m = strings.TrimSpace(m); m != "" {
					members = append(members, m)
				}
			}
			if members == nil {
				members = []any{}
			}
			groups = append(groups, map[string]any{"id": f[0], "name": f[0], "gid": gid, "members": members})
		}
		out["groups"] = groups
	}
	return out, nil
}

// hashState classifies a shadow password field.
func hashState(p string) (string, string) {
	switch {
	case p == "":
		return "empty", ""
	case strings.HasPrefix(p, "!") || strings.HasPrefix(p, "*"):
		return "locked", ""
	case strings.HasPrefix(p, "$y$"):
		return "hash", "yescrypt"
	case strings.HasPrefix(p, "$gy$"):
		return "hash", "gost-yescrypt"
	case strings.HasPrefix(p, "$6$"):
		return "hash", "sha512"
	case strings.HasPrefix(p, "$5$"):
		return "hash", "sha256"
	case strings.HasPrefix(p, "$2"):
		return "hash", "bcrypt"
	case strings.HasPrefix(p, "$1$"):
		return "hash", "md5"
	case len(p) == 13:
		return "hash", "des"
	}
	return "hash", "unknown"
}

func atoiOr(s string, d int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return d
}

// passwdField is /etc/passwd's password field as the checks need it: "x"
// (in /etc/shadow), empty, a lock marker, or "<hash>" for a password hash
// kept in /etc/passwd itself, which is never copied into reports or the
// server's stored inputs.
func passwdField(f string) string {
	switch f {
	case "", "x", "*", "!", "!!", "*LK*", "*NP*":
		return f
	}
	return "<hash>"
}
