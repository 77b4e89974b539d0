package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFiles(t *testing.T) {
	h, dir := newRoot(t, root{
		"etc/passwd":                        "root:x:0:0::/root:/bin/bash\n",
		"etc/group":                         "root:x:0:\nshadow:x:42:\n",
		"etc/shadow":                        "root:!:1::::::\n",
		"etc/shells":                        "/bin/sh\n",
		"etc/ssh/sshd_config.d/":            "",
		"etc/ssh/ssh_host_ed25519_key":      "k",
		"etc/ssh/ssh_host_ed25519_key.pub":  "k",
		"etc/ssh/ssh_host_ed25519_key-cert": "k",
		"etc/crontab":                       "->../etc/shadow",
		"tmp/":                              "",
		"var/log/syslog":                    "x",
		"var/log/apt/history.log":           "x",
		"var/log/link":                      "->syslog",
		"var/log/journal/":                  "",
	})
	os.Chmod(filepath.Join(dir, "etc/shadow"), 0o640|os.ModeSetuid)
	out, err := collectFiles(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	files := out["files"].(map[string]any)
	for _, p := range sensitiveFiles {
		r, ok := files[p].(map[string]any)
		if !ok || r["id"] != p || r["exists"] == nil {
			t.Errorf("%s: %v, want always present with exists", p, files[p])
		}
	}
	if r := files["/etc/passwd-"].(map[string]any); r["exists"] != false || r["error"] != nil {
		t.Errorf("missing /etc/passwd-: %v", r)
	}
	if r := files["/etc/shells"].(map[string]any); r["exists"] != true || r["type"] != "file" || r["owner"] == nil {
		t.Errorf("/etc/shells: %v", r)
	}
	if r := files["/etc/ssh/sshd_config.d"].(map[string]any); r["exists"] != true || r["type"] != "dir" {
		t.Errorf("/etc/ssh/sshd_config.d: %v", r)
	}
	// stat follows the link: crontab reports shadow's type and mode,
	// setuid bit included.
	if r := files["/etc/crontab"].(map[string]any); r["type"] != "file" || r["mode"] != 0o4640 || r["perm"] != "4640" {
		t.Errorf("/etc/crontab (a link to shadow): %v", r)
	}
	var kinds []string
	for _, k := range out["ssh_keys"].([]any) {
		k := k.(map[string]any)
		kinds = append(kinds, fmt.Sprint(k["id"], "=", k["kind"]))
	}
	if strings.Join(kinds, " ") != "/etc/ssh/ssh_host_ed25519_key=private /etc/ssh/ssh_host_ed25519_key.pub=public" {
		t.Errorf("ssh_keys %v", kinds)
	}
	var logs []string
	for _, l := range out["logs"].([]any) {
		logs = append(logs, str(l.(map[string]any)["id"]))
	}
	if strings.Join(logs, " ") != "/var/log/apt/history.log /var/log/syslog" || out["logs_complete"] != true {
		t.Errorf("logs %v complete %v, want the two regular files (not the link) and complete", logs, out["logs_complete"])
	}
}

func TestFilesStickyBit(t *testing.T) {
	h, dir := newRoot(t, root{"var/log/": ""})
	os.Chmod(filepath.Join(dir, "var/log"), 0o775|os.ModeSticky)
	r := fileResource(h, "/var/log", hostIDs(h))
	if r["mode"] != 0o1775 || r["perm"] != "1775" {
		t.Errorf("got %v, want mode 0o1775", r)
	}
}

func TestLogsLimit(t *testing.T) {
	files := root{}
	for i := range 7 {
		files[fmt.Sprintf("var/log/d%d/f.log", i)] = "x"
	}
	h, _ := newRoot(t, files)
	for _, tc := range []struct {
		max      int
		n        int
		complete bool
	}{{7, 7, true}, {8, 7, true}, {6, 6, false}, {1, 1, false}} {
		logs, complete := listLogs(h, "/var/log", tc.max, ids{})
		if len(logs) != tc.n || complete != tc.complete {
			t.Errorf("max %d: %d logs complete %v; want %d, %v", tc.max, len(logs), complete, tc.n, tc.complete)
		}
	}
	h.maxLogs = 3
	out, _ := collectFiles(context.Background(), h)
	if len(out["logs"].([]any)) != 3 || out["logs_complete"] != false {
		t.Errorf("collectFiles at the limit: %d logs, complete %v", len(out["logs"].([]any)), out["logs_complete"])
	}
}

func TestLogsUnreadableDir(t *testing.T) {
	if asNobody(t) {
		return
	}
	h, dir := newRoot(t, root{"var/log/private/x.log": "x", "var/log/a.log": "x"})
	unreadable(t, dir, "var/log/private")
	logs, complete := listLogs(h, "/var/log", 100, ids{})
	if len(logs) != 2 || !complete || m(t, logs[1], "error") == nil {
		t.Errorf("got %v, want a.log and an error entry for private", logs)
	}
}

func TestWalk(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	h, dir := newRoot(t, root{
		"etc/passwd":   fmt.Sprintf("root:x:0:0::/root:/bin/sh\nme:x:%d:%d::/:/bin/sh\n", uid, gid),
		"etc/group":    fmt.Sprintf("root:x:0:\nme:x:%d:\n", gid),
		"srv/ww.txt":   "x",
		"srv/open/":    "",
		"srv/sticky/":  "",
		"usr/bin/su":   "x",
		"usr/bin/wall": "x",
		"srv/link":     "->ww.txt",
		"proc/ww.txt":  "x",
	})
	chmod := func(p string, mode os.FileMode) { os.Chmod(filepath.Join(dir, p), mode) }
	chmod("srv/ww.txt", 0o666)
	chmod("proc/ww.txt", 0o666)
	chmod("srv/open", 0o777)
	chmod("srv/sticky", 0o777|os.ModeSticky)
	chmod("usr/bin/su", 0o755|os.ModeSetuid)
	chmod("usr/bin/wall", 0o755|os.ModeSetgid)
	out, _ := collectWalk(context.Background(), h)
	ids := func(k string) string {
		var s []string
		for _, r := range out[k].([]any) {
			r := r.(map[string]any)
			if mode, ok := r["mode"]; ok {
				s = append(s, fmt.Sprintf("%s:%o", r["id"], mode))
			} else {
				s = append(s, str(r["id"]))
			}
		}
		return strings.Join(s, " ")
	}
	for k, want := range map[string]string{
		"world_writable": "/srv/ww.txt", // a regular file; /proc is skipped
		"sticky_missing": "/srv/open",
		"suid":           "/usr/bin/su:4755 /usr/bin/wall:2755",
	} {
		if got := ids(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if out["complete"] != true || out["error"] != nil {
		t.Errorf("complete %v error %v", out["complete"], out["error"])
	}
}

func TestWalkUnreadable(t *testing.T) {
	if asNobody(t) {
		return
	}
	h, dir := newRoot(t, root{"etc/passwd": "root:x:0:0::/root:/bin/sh\n", "srv/secret/x": "x"})
	unreadable(t, dir, "srv/secret")
	out, _ := collectWalk(context.Background(), h)
	if !strings.Contains(str(out["error"]), "could not be read") || out["complete"] != true {
		t.Errorf("error %v complete %v, want an error for /srv/secret", out["error"], out["complete"])
	}
}

func TestWalkWithoutUsers(t *testing.T) {
	out := run(t, collectWalk, root{"etc/group": "root:x:0:\n", "srv/x": "x"})
	if !strings.Contains(str(out["unowned_error"]), "/etc/passwd") || out["ungrouped_error"] != nil {
		t.Errorf("unowned_error %v ungrouped_error %v, want only unowned_error", out["unowned_error"], out["ungrouped_error"])
	}
	if len(out["unowned"].([]any)) != 0 {
		t.Errorf("unowned %v, want none listed without users", out["unowned"])
	}
}
