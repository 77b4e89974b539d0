package host

import (
	"context"
	"strings"
	"testing"
)

func TestHashState(t *testing.T) {
	for p, want := range map[string][2]string{
		"":                        {"empty", ""},
		"!":                       {"locked", ""},
		"!!":                      {"locked", ""},
		"*":                       {"locked", ""},
		"!$6$salt$hash":           {"locked", ""},
		"$y$j9T$salt$hash":        {"hash", "yescrypt"},
		"$gy$j9T$salt$hash":       {"hash", "gost-yescrypt"},
		"$6$rounds=5000$s$h":      {"hash", "sha512"},
		"$5$salt$hash":            {"hash", "sha256"},
		"$2b$12$abcdefghijklmnop": {"hash", "bcrypt"},
		"$1$salt$hash":            {"hash", "md5"},
		"abcdefghijklm":           {"hash", "des"},
		"$7$something":            {"hash", "unknown"},
	} {
		state, alg := hashState(p)
		if state != want[0] || alg != want[1] {
			t.Errorf("hashState(%q) = %s, %s; want %s, %s", p, state, alg, want[0], want[1])
		}
	}
}

func TestAccounts(t *testing.T) {
	out := run(t, collectAccounts, root{
		"etc/login.defs": "UID_MIN 500\n",
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" +
			"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
			"alice:x:1000:1000::/home/alice:/bin/bash\n" +
			"ghost:x:1001:1001::/home/ghost:/bin/sh\n" +
			"legacy::1002:1002::/home/legacy:\n" +
			"+::::::\n" +
			"bad:x:notanumber:0::/:/bin/sh\n" +
			"short:x:5\n",
		"etc/shadow": "root:!:19700:0:99999:7:::\n" +
			"daemon:*:19700:0:99999:7:::\n" +
			"alice:$y$j9T$a$b:19700:1:365:7:30::\n" +
			"alice:::::::: \n" + // a second entry: the first wins
			"legacy::19700::::::\n",
	})
	if out["uid_min"] != 500 || out["sys_uid_max"] != 499 {
		t.Errorf("uid_min %v sys_uid_max %v, want 500 and 499", out["uid_min"], out["sys_uid_max"])
	}
	if out["group_error"] == nil || !strings.Contains(str(out["group_error"]), "/etc/group") {
		t.Errorf("group_error = %v, want the missing /etc/group", out["group_error"])
	}
	users := map[string]map[string]any{}
	for _, u := range out["users"].([]any) {
		u := u.(map[string]any)
		users[str(u["id"])] = u
	}
	type want struct {
		state, alg string
		login      bool
		maxDays    any
	}
	for name, w := range map[string]want{
		"root":   {"locked", "", true, 99999},
		"daemon": {"locked", "", false, 99999},
		"alice":  {"hash", "yescrypt", true, 365},
		"ghost":  {"missing", "", true, nil},
		"legacy": {"empty", "", true, nil}, // an empty shell is /bin/sh
	} {
		u := users[name]
		if u == nil {
			t.Errorf("no user %s", name)
			continue
		}
		sh := u["shadow"].(map[string]any)
		if sh["hash_state"] != w.state || sh["algorithm"] != w.alg || u["login_shell"] != w.login || sh["max_days"] != w.maxDays {
			t.Errorf("%s: %v shadow %v; want %+v", name, u, sh, w)
		}
		if u["error"] != nil || u["malformed"] != false {
			t.Errorf("%s: unexpected error %v", name, u["error"])
		}
	}
	if users["legacy"]["password"] != "" || users["alice"]["password"] != "x" {
		t.Errorf("password is not the raw passwd field: %v %v", users["legacy"]["password"], users["alice"]["password"])
	}
	for in, want := range map[string]string{"x": "x", "": "", "!": "!", "*": "*", "$6$salt$abcdefghijklmnopqrstuv": "<hash>", "abJnggxhB/yWI": "<hash>"} {
		if got := passwdField(in); got != want {
			t.Errorf("passwd field %q: %q, want %q (a hash is never copied)", in, got, want)
		}
	}
	for _, name := range []string{"+", "bad", "short"} {
		u := users[name]
		if u == nil || u["malformed"] != true || str(u["error"]) == "" || u["uid"] != nil {
			t.Errorf("%s: %v, want malformed with an error and no uid", name, u)
		}
	}
}

func TestAccountsShadowUnreadable(t *testing.T) {
	if asNobody(t) {
		return
	}
	h, dir := newRoot(t, root{"etc/passwd": "root:x:0:0::/root:/bin/bash\n", "etc/shadow": "root:!:1::::::\n", "etc/group": "root:x:0:\n"})
	unreadable(t, dir, "etc/shadow")
	out, _ := collectAccounts(context.Background(), h)
	u := out["users"].([]any)[0].(map[string]any)
	if out["shadow_error"] == nil || u["shadow_error"] == nil || m(t, u, "shadow", "hash_state") != "unknown" {
		t.Errorf("got %v / %v, want shadow_error and hash_state unknown", out, u)
	}
}
