package vigil

import "testing"

func TestMFARequired(t *testing.T) {
	for _, tc := range []struct {
		role    Role
		require bool
		want    bool
	}{
		{RoleOwner, false, true}, {RoleAdmin, false, true}, {RoleMember, false, false},
		{RoleAuditor, false, false}, {RoleViewer, true, true}, {RoleMember, true, true},
	} {
		a := &AuthSettings{RequireMFA: tc.require}
		if got := a.MFARequired(&User{Role: tc.role}); got != tc.want {
			t.Errorf("%s with require_mfa=%v: MFARequired = %v, want %v", tc.role, tc.require, got, tc.want)
		}
	}
}

func TestAuthSettingsValidate(t *testing.T) {
	cases := []struct {
		name  string
		a     AuthSettings
		field string
	}{
		{"off", AuthSettings{OIDCDefaultRole: RoleViewer}, ""},
		{"on", AuthSettings{OIDCDefaultRole: RoleMember, OIDCEnabled: true, OIDCIssuer: "https://id.example.com", OIDCClientID: "vigil"}, ""},
		{"loopback_http", AuthSettings{OIDCDefaultRole: RoleAuditor, OIDCIssuer: "http://127.0.0.1:8080"}, ""},
		{"admin_by_default", AuthSettings{OIDCDefaultRole: RoleAdmin}, "oidc_default_role"},
		{"no_default", AuthSettings{}, "oidc_default_role"},
		{"plain_http", AuthSettings{OIDCDefaultRole: RoleViewer, OIDCIssuer: "http://id.example.com"}, "oidc_issuer"},
		{"no_host", AuthSettings{OIDCDefaultRole: RoleViewer, OIDCIssuer: "https://"}, "oidc_issuer"},
		{"on_without_client", AuthSettings{OIDCDefaultRole: RoleViewer, OIDCEnabled: true, OIDCIssuer: "https://id.example.com"}, "oidc_issuer"},
		{"on_without_issuer", AuthSettings{OIDCDefaultRole: RoleViewer, OIDCEnabled: true, OIDCClientID: "vigil"}, "oidc_issuer"},
	}
	for _, tc := range cases {
		err := tc.a.Validate()
		if got := ErrorField(err); got != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("%s: Validate() = %v (field %q), want field %q", tc.name, err, got, tc.field)
		}
	}
}
