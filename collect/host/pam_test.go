package host

import (
	"reflect"
	"strings"
	"testing"
)

// pamLine renders an entry as "type control module args..." for comparison.
func pamLines(t *testing.T, svc map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range svc["entries"].([]any) {
		e := e.(map[string]any)
		parts := []string{str(e["type"]), str(e["control"]), str(e["module"])}
		for _, a := range e["args"].([]any) {
			parts = append(parts, str(a))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func TestPAM(t *testing.T) {
	common := root{
		"etc/pam.d/common-auth":    "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n",
		"etc/pam.d/common-account": "account required pam_unix.so\n",
		"etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3\n" +
			"password [success=1 default=ignore] /lib/x86_64-linux-gnu/security/pam_unix.so obscure \\\n  yescrypt\n",
		"etc/pam.d/system-auth": "auth required pam_env.so\naccount required pam_unix.so\npassword required pam_pwquality.so\n" +
			"-session optional pam_systemd.so\n",
	}
	tests := []struct {
		name    string
		service string
		extra   root
		want    []string
		err     string // substring of the service's error
	}{
		{
			name:    "@include takes the whole file in place",
			service: "su",
			extra:   root{"etc/pam.d/su": "auth sufficient pam_rootok.so\n@include common-auth\nauth required pam_wheel.so use_uid\n"},
			want: []string{"auth sufficient pam_rootok.so", "auth [success=1 default=ignore] pam_unix.so nullok",
				"auth requisite pam_deny.so", "auth required pam_wheel.so use_uid"},
		},
		{
			name:    "include and substack take the line's type only; -type loses its dash",
			service: "sshd",
			extra:   root{"etc/pam.d/sshd": "auth substack system-auth\nAccount include system-auth\nsession include system-auth\n"},
			want:    []string{"auth required pam_env.so", "account required pam_unix.so", "session optional pam_systemd.so"},
		},
		{
			name:    "module is the base name; a backslash continues the line",
			service: "common-password",
			want: []string{"password requisite pam_pwquality.so retry=3",
				"password [success=1 default=ignore] pam_unix.so obscure yescrypt"},
		},
		{
			name:    "a failed @include is an error, and what came before is kept",
			service: "login",
			extra:   root{"etc/pam.d/login": "auth optional pam_faildelay.so delay=3000000\n@include common-missing\n"},
			want:    []string{"auth optional pam_faildelay.so delay=3000000"},
			err:     "/etc/pam.d/login includes common-missing, which cannot be read",
		},
		{
			name:    "a failed include deeper down names the file that failed",
			service: "other",
			extra: root{"etc/pam.d/other": "auth include middle\n",
				"etc/pam.d/middle": "auth include nowhere\n"},
			want: []string{},
			err:  "/etc/pam.d/middle includes nowhere",
		},
		{
			name:    "an include loop is an error",
			service: "loop",
			extra:   root{"etc/pam.d/loop": "auth include loop\n"},
			want:    []string{},
			err:     "nested too deeply",
		},
		{
			name:    "an include outside /etc/pam.d is not followed",
			service: "outside",
			extra:   root{"etc/pam.d/outside": "@include /etc/shadow\n", "etc/shadow": "root:x:1::::::\n"},
			want:    []string{},
			err:     "cannot be read",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := root{}
			for k, v := range common {
				files[k] = v
			}
			for k, v := range tc.extra {
				files[k] = v
			}
			out := run(t, collectPAM, files)
			svc := m(t, out, "services", tc.service).(map[string]any)
			if svc["exists"] != true {
				t.Fatalf("%s: exists = %v", tc.service, svc["exists"])
			}
			if got := str(svc["error"]); tc.err == "" && got != "" || !strings.Contains(got, tc.err) {
				t.Fatalf("error = %q, want %q", got, tc.err)
			}
			got := pamLines(t, svc)
			if got == nil {
				got = []string{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("entries:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestPAMAlwaysPresent(t *testing.T) {
	out := run(t, collectPAM, root{"etc/pam.d/common-auth": "auth required pam_unix.so\n"})
	for _, n := range pamAlways {
		svc := m(t, out, "services", n).(map[string]any)
		want := n == "common-auth"
		if svc["exists"] != want || svc["error"] != nil || svc["entries"] == nil {
			t.Errorf("%s = %v, want exists %v, no error, entries a list", n, svc, want)
		}
	}
}
