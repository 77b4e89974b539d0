package host

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const homesPasswd = "root:x:0:0:root:/root:/bin/bash\n" +
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
	"postgres:x:105:110::/var/lib/postgresql:/bin/bash\n" + // a system account with a shell
	"alice:x:1000:1000:Alice:/home/alice:/bin/bash\n" +
	"bob:x:1001:1001::/home/bob:/bin/bash\n" +
	"nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"

func TestHomes(t *testing.T) {
	h, dir := newRoot(t, root{
		"etc/passwd":            homesPasswd,
		"etc/group":             "root:x:0:\nalice:x:1000:\n",
		"etc/hosts.equiv":       "+\n",
		"root/.bashrc":          "",
		"home/alice/.profile":   "",
		"home/alice/.netrc":     "machine x login a password b\n",
		"home/alice/.vimrc":     "->/etc/vim/vimrc",
		"home/alice/notes.txt":  "",
		"home/alice/.ssh/":      "",
		"var/lib/postgresql/.x": "",
	})
	os.Chmod(filepath.Join(dir, "home/alice"), 0o755)
	os.Chown(filepath.Join(dir, "home/alice"), 1000, 1000)
	out, _ := collectHomes(t.Context(), h)
	if out["error"] != nil || out["complete"] != true {
		t.Fatalf("error %v complete %v", out["error"], out["complete"])
	}
	byUser := map[string]map[string]any{}
	for _, x := range out["homes"].([]any) {
		r := x.(map[string]any)
		byUser[r["id"].(string)] = r
	}
	// root and the people; not daemon, postgres (system UIDs) or nobody.
	if len(byUser) != 3 || byUser["root"] == nil || byUser["alice"] == nil || byUser["bob"] == nil {
		t.Fatalf("homes of %v, want root, alice and bob", out["homes"])
	}
	a := byUser["alice"]
	if a["exists"] != true || a["type"] != "dir" || a["mode"] != 0o755 || a["owner_uid"] != 1000 || a["owner"] != "alice" {
		t.Errorf("alice %v", a)
	}
	var names []string
	for _, d := range a["dotfiles"].([]any) {
		dm := d.(map[string]any)
		names = append(names, dm["name"].(string)+":"+dm["type"].(string))
	}
	if !reflect.DeepEqual(names, []string{".netrc:file", ".profile:file", ".ssh:dir", ".vimrc:link"}) {
		t.Errorf("alice's dot files %v", names)
	}
	if b := byUser["bob"]; b["exists"] != false || b["error"] != nil {
		t.Errorf("bob (no home) %v", b)
	}
	if e := out["equiv"].([]any)[0].(map[string]any); e["id"] != "/etc/hosts.equiv" || e["exists"] != true {
		t.Errorf("equiv %v", out["equiv"])
	}
}

// Only the top of each home is listed; what lies deeper is not read.
func TestHomesNoWalk(t *testing.T) {
	out := run(t, collectHomes, root{
		"etc/passwd":                 "alice:x:1000:1000::/home/alice:/bin/bash\n",
		"home/alice/.config/deep/.x": "",
		"home/alice/projects/.netrc": "",
	})
	a := out["homes"].([]any)[0].(map[string]any)
	if n := len(a["dotfiles"].([]any)); n != 1 {
		t.Errorf("%d dot files, want only .config: %v", n, a["dotfiles"])
	}
}

func TestHomesUnreadable(t *testing.T) {
	out := run(t, collectHomes, root{"etc/hostname": "x\n"})
	if out["error"] == nil {
		t.Errorf("no /etc/passwd: want an error, got %v", out)
	}
	// A home that is a link loop cannot be examined: an error, not "missing".
	out = run(t, collectHomes, root{
		"etc/passwd": "alice:x:1000:1000::/home/alice:/bin/bash\n",
		"home/alice": "->alice",
	})
	if a := out["homes"].([]any)[0].(map[string]any); a["error"] == nil {
		t.Errorf("home that cannot be examined: %v, want an error", a)
	}
}

func TestUmaskMask(t *testing.T) {
	for v, want := range map[string]int{"027": 0o027, "0077": 0o077, "22": 0o022, "u=rwx,g=rx,o=": 0o027, "a=rx,u=rwx": 0o022} {
		if got, ok := umaskMask(v); !ok || got != want {
			t.Errorf("umask %s: %o %v, want %o", v, got, ok, want)
		}
	}
	for _, v := range []string{"g-w", "u=rwx,g=rx", "o+w"} {
		if _, ok := umaskMask(v); ok {
			t.Errorf("umask %s read as known", v)
		}
	}
}

func TestShell(t *testing.T) {
	out := run(t, collectShell, root{
		"etc/profile":            "# umask 077 in a comment\nif [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nelse\n  PATH=\"/usr/local/bin:/usr/bin:/bin:.\"\nfi\nexport PATH\numask 022\n",
		"etc/profile.d/umask.sh": "umask 027 # CIS\n",
		"etc/profile.d/x.txt":    "umask 000\n", // not a .sh: not sourced
		"etc/bash.bashrc":        "[ -z \"$PS1\" ] && return\n",
		"etc/environment":        "PATH=\"/opt/tools/bin:$PATH\"\n",
		"etc/login.defs":         "ENV_SUPATH PATH=/usr/local/sbin:/usr/sbin:/usr/bin::/sbin\n",
		"etc/sudoers":            "Defaults secure_path=\"/usr/sbin:/usr/bin\"\n",
		"root/.profile":          "export PATH=$HOME/bin:$PATH\n",
		"usr/sbin/":              "",
		"usr/bin/":               "",
		"opt/tools/bin/":         "",
	})
	if out["umask_error"] != nil || out["root_path_error"] != nil {
		t.Fatalf("errors %v %v", out["umask_error"], out["root_path_error"])
	}
	var um []string
	for _, x := range out["umask"].([]any) {
		u := x.(map[string]any)
		um = append(um, u["id"].(string)+"="+u["value"].(string))
	}
	if !reflect.DeepEqual(um, []string{"/etc/profile:8=022", "/etc/profile.d/umask.sh:1=027"}) {
		t.Errorf("umask settings %v", um)
	}
	dirs := map[string]map[string]any{}
	for _, x := range out["root_path"].([]any) {
		d := x.(map[string]any)
		dirs[d["id"].(string)] = d
	}
	for _, want := range []string{"/usr/local/sbin", "/usr/sbin", "/opt/tools/bin", "/root/bin", ".", "(empty entry: the current directory)"} {
		if dirs[want] == nil {
			t.Errorf("root's PATH lacks %s: %v", want, out["root_path"])
		}
	}
	if d := dirs["/usr/sbin"]; d["exists"] != true || d["type"] != "dir" || d["uid"] == nil {
		t.Errorf("/usr/sbin %v", d)
	}
	if d := dirs["/root/bin"]; d["exists"] != false {
		t.Errorf("/root/bin %v, want missing", d)
	}
	if d := dirs["."]; d["relative"] != true {
		t.Errorf(". %v, want relative", d)
	}
	if _, ok := dirs["$PATH"]; ok {
		t.Errorf("$PATH kept as a directory")
	}
}

// Red Hat's /etc/profile: pathmunge adds root's sbin directories; the
// function's own PATH=$1:$PATH is not an entry.
func TestShellPathmunge(t *testing.T) {
	out := run(t, collectShell, root{
		"etc/profile": "pathmunge () {\n    case \":${PATH}:\" in\n        *:\"$1\":*)\n            ;;\n        *)\n" +
			"            if [ \"$2\" = \"after\" ] ; then\n                PATH=$PATH:$1\n            else\n                PATH=$1:$PATH\n            fi\n    esac\n}\n" +
			"if [ \"$EUID\" = \"0\" ]; then\n    pathmunge /usr/sbin\n    pathmunge /usr/local/sbin\nelse\n    pathmunge /usr/local/sbin after\nfi\n",
	})
	var ids []string
	for _, x := range out["root_path"].([]any) {
		d := x.(map[string]any)
		ids = append(ids, d["id"].(string))
		if d["error"] != nil {
			t.Errorf("%s: %v", d["id"], d["error"])
		}
	}
	if !reflect.DeepEqual(ids, []string{"/usr/local/sbin", "/usr/sbin"}) {
		t.Errorf("root's PATH entries %v, want /usr/local/sbin and /usr/sbin", ids)
	}
}
