package host

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The shell startup files every login (profile) or interactive bash
// (bash.bashrc on Debian, bashrc on Red Hat) reads. /etc/profile sources
// profile.d/*.sh at its end, so a umask there wins over one in profile.
var (
	profileFiles = []string{"/etc/profile"}
	bashrcFiles  = []string{"/etc/bash.bashrc", "/etc/bashrc"}
	// Where root's PATH is set: pam_env, login and su (ENV_SUPATH), the
	// system-wide and root's own shell startup files, and sudo's
	// secure_path (the PATH of every command run through sudo).
	rootPathFiles = []string{"/etc/environment", "/etc/login.defs", "/etc/profile", "/etc/bash.bashrc", "/etc/bashrc",
		"/root/.profile", "/root/.bash_profile", "/root/.bash_login", "/root/.bashrc", "/etc/sudoers"}
)

var (
	umaskRe = regexp.MustCompile(`(?:^|[\s;&|(])umask\s+(?:-S\s+)?([0-7]{1,4}|[ugoa]*[=+-][rwxugo]*(?:,[ugoa]*[=+-][rwxugo]*)*)(?:$|[\s;&|)])`)
	// PATH=..., export PATH=..., ENV_SUPATH PATH=..., Defaults secure_path="..."
	pathRe = regexp.MustCompile(`(?:^|[\s;&|(])(?:export\s+)?(?:PATH|ENV_SUPATH\s+PATH|ENV_PATH\s+PATH|Defaults\s+secure_path)\s*=\s*("[^"]*"|'[^']*'|[^\s;&|]*)`)
	// Red Hat's /etc/profile adds directories with its pathmunge function
	// (pathmunge /usr/sbin; pathmunge DIR after), whose body says
	// PATH=$1:$PATH: the calls are the entries, $1 is not.
	pathmungeRe  = regexp.MustCompile(`(?:^|[\s;&|(])pathmunge\s+("[^"]*"|'[^']*'|[^\s;&|)]+)`)
	positionalRe = regexp.MustCompile(`^\$\{?[0-9]\}?$`)
)

// umaskMask reads a umask value as the bits it masks: octal, or symbolic
// with "=" for every class (u=rwx,g=rx,o=). ok is false for relative forms
// (g-w) and for classes left unnamed, whose bits depend on the umask
// before.
func umaskMask(v string) (int, bool) {
	if n, err := strconv.ParseInt(v, 8, 32); err == nil {
		return int(n) & 0o777, true
	}
	// "=" sets the named classes' bits, like chmod: a class no clause names
	// keeps what the umask before had, so the result is known only when
	// every class is named.
	allowed, named := 0, map[rune]bool{}
	for _, clause := range strings.Split(v, ",") {
		who, perms, ok := strings.Cut(clause, "=")
		if !ok {
			return 0, false
		}
		if who == "" || strings.Contains(who, "a") {
			who = "ugo"
		}
		bits := 0
		for _, c := range perms {
			switch c {
			case 'r':
				bits |= 4
			case 'w':
				bits |= 2
			case 'x':
				bits |= 1
			default:
				return 0, false
			}
		}
		for _, w := range who {
			shift := map[rune]int{'u': 6, 'g': 3, 'o': 0}[w]
			allowed = allowed&^(7<<shift) | bits<<shift
			named[w] = true
		}
	}
	if len(named) != 3 {
		return 0, false
	}
	return 0o777 &^ allowed, true
}

func collectShell(_ context.Context, h *Host) (map[string]any, error) {
	out := map[string]any{}
	var errs []string
	read := func(p string) ([]string, bool) {
		data, err := h.ReadFile(p)
		if err != nil {
			if !isNotExist(err) {
				errs = append(errs, readErr(p, err))
			}
			return nil, false
		}
		var ls []string
		for l := range rawLines(data) {
			ls = append(ls, l)
		}
		return ls, true
	}
	profileD, err := h.dropInsErr("/etc/profile.d", ".sh")
	if err != nil {
		errs = append(errs, readErr("/etc/profile.d", err))
	}
	// umask: every setting in the files, in the order a login reads them
	// (profile, then profile.d), then the bashrc files.
	umasks := []any{}
	var read1 []any
	for _, p := range append(append(append([]string{}, profileFiles...), profileD...), bashrcFiles...) {
		ls, ok := read(p)
		if !ok {
			continue
		}
		kind := "profile"
		if p == "/etc/bash.bashrc" || p == "/etc/bashrc" {
			kind = "bashrc"
		}
		read1 = append(read1, p)
		for i, l := range ls {
			code := shellCode(l)
			for _, m := range umaskRe.FindAllStringSubmatch(code, -1) {
				r := map[string]any{"id": fmt.Sprintf("%s:%d", p, i+1), "file": p, "kind": kind,
					"line": strings.TrimSpace(code), "value": m[1], "mask": nil}
				if mask, ok := umaskMask(m[1]); ok {
					r["mask"] = mask
				}
				umasks = append(umasks, r)
			}
		}
	}
	out["umask"], out["umask_files"] = umasks, toAny(read1)
	if len(errs) > 0 {
		out["umask_error"] = strings.Join(errs, "; ")
	}

	// Root's PATH: every directory any of those files puts in it.
	errs = nil
	dirs := map[string][]string{}
	var order []string
	sudoers := []string{"/etc/sudoers"}
	if more, err := h.dropInsErr("/etc/sudoers.d", ""); err != nil {
		errs = append(errs, readErr("/etc/sudoers.d", err))
	} else {
		for _, f := range more {
			if b := f[strings.LastIndexByte(f, '/')+1:]; !strings.Contains(b, ".") && !strings.HasSuffix(b, "~") {
				sudoers = append(sudoers, f)
			}
		}
	}
	files := append(append(append([]string{}, rootPathFiles...), profileD...), sudoers[1:]...)
	for _, p := range files {
		ls, ok := read(p)
		if !ok {
			continue
		}
		for i, l := range ls {
			code := shellCode(l)
			matches := pathRe.FindAllStringSubmatch(code, -1)
			if !strings.Contains(code, "()") { // not pathmunge's own definition
				matches = append(matches, pathmungeRe.FindAllStringSubmatch(code, -1)...)
			}
			for _, m := range matches {
				v := strings.Trim(m[1], `"'`)
				src := fmt.Sprintf("%s:%d", p, i+1)
				for _, c := range strings.Split(v, ":") {
					if c == "$PATH" || c == "${PATH}" || positionalRe.MatchString(c) {
						// What was there before (the other sources), or a
						// function's argument (pathmunge's $1: its calls
						// are read as entries).
						continue
					}
					c = strings.ReplaceAll(strings.ReplaceAll(c, "${HOME}", "/root"), "$HOME", "/root")
					if _, seen := dirs[c]; !seen {
						order = append(order, c)
					}
					dirs[c] = append(dirs[c], src)
				}
			}
		}
	}
	sort.Strings(order)
	id := hostIDs(h)
	entries := []any{}
	for _, c := range order {
		r := map[string]any{"id": c, "sources": toAny(dirs[c]), "exists": false, "relative": !strings.HasPrefix(c, "/")}
		switch {
		case c == "":
			r["id"] = "(empty entry: the current directory)"
		case strings.Contains(c, "$"):
			r["error"] = "the entry " + c + " names a variable whose value is unknown"
		case strings.HasPrefix(c, "/"):
			if fi, err := h.Stat(c); err == nil {
				r["exists"] = true
				statInfo(fi, r, id)
			} else if !isNotExist(err) {
				r["error"] = readErr(c, err)
			}
		}
		entries = append(entries, r)
	}
	out["root_path"] = entries
	if len(errs) > 0 {
		out["root_path_error"] = strings.Join(errs, "; ")
	}
	return out, nil
}

// shellCode is a shell line without its comment (a # at the start of a
// word).
func shellCode(l string) string {
	for i := 0; i < len(l); i++ {
		if l[i] == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t' || l[i-1] == ';') {
			return l[:i]
		}
	}
	return l
}
