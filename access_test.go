package vigil

import (
	"errors"
	"testing"
)

func actor(id int64, r Role) Actor { return Actor{UserID: id, Role: r} }

func TestMayGrant(t *testing.T) {
	cases := []struct {
		by, grant Role
		code      string
	}{
		{RoleOwner, RoleOwner, ""},
		{RoleOwner, RoleAdmin, ""},
		{RoleAdmin, RoleOwner, EFORBIDDEN},
		{RoleAdmin, RoleAdmin, ""},
		{RoleAdmin, RoleViewer, ""},
		{RoleMember, RoleAdmin, EFORBIDDEN},
		{RoleAuditor, RoleMember, EFORBIDDEN},
	}
	for _, tc := range cases {
		if got := ErrorCode(actor(1, tc.by).MayGrant(tc.grant)); got != tc.code {
			t.Errorf("%s grants %s: code %q, want %q", tc.by, tc.grant, got, tc.code)
		}
	}
}

func TestMayChangeUser(t *testing.T) {
	owner, admin := &User{ID: 2, Role: RoleOwner}, &User{ID: 3, Role: RoleAdmin}
	member := &User{ID: 4, Role: RoleMember}
	promote := func(u *User, r Role) *User { c := *u; c.Role = r; return &c }
	cases := []struct {
		name          string
		by            Role
		before, after *User
		ok            bool
	}{
		{"admin_renames_member", RoleAdmin, member, member, true},
		{"admin_changes_owner", RoleAdmin, owner, owner, false},
		{"admin_makes_owner", RoleAdmin, member, promote(member, RoleOwner), false},
		{"admin_makes_admin", RoleAdmin, member, promote(member, RoleAdmin), true},
		{"owner_changes_owner", RoleOwner, owner, promote(owner, RoleAdmin), true},
		{"owner_makes_owner", RoleOwner, admin, promote(admin, RoleOwner), true},
	}
	for _, tc := range cases {
		err := actor(1, tc.by).MayChangeUser(tc.before, tc.after)
		if (err == nil) != tc.ok || (err != nil && ErrorCode(err) != EFORBIDDEN) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestMayRevokeToken(t *testing.T) {
	holder := func(r Role) func() (*User, error) {
		return func() (*User, error) { return &User{ID: 9, Role: r}, nil }
	}
	mine, theirs := &APIToken{ID: 5, UserID: 1}, &APIToken{ID: 6, UserID: 9}
	never := func() (*User, error) { return nil, errors.New("holder read for one's own token") }
	if err := actor(1, RoleViewer).MayRevokeToken(mine, never); err != nil {
		t.Errorf("own token: %v", err)
	}
	if err := actor(1, RoleMember).MayRevokeToken(theirs, holder(RoleViewer)); ErrorCode(err) != ENOTFOUND {
		t.Errorf("member revokes another's token: %v, want not found", err)
	}
	if err := actor(1, RoleAdmin).MayRevokeToken(theirs, holder(RoleMember)); err != nil {
		t.Errorf("admin revokes a member's token: %v", err)
	}
	if err := actor(1, RoleAdmin).MayRevokeToken(theirs, holder(RoleOwner)); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("admin revokes an owner's token: %v, want forbidden", err)
	}
	if err := actor(1, RoleOwner).MayRevokeToken(theirs, holder(RoleOwner)); err != nil {
		t.Errorf("owner revokes an owner's token: %v", err)
	}
}

func TestTokenRules(t *testing.T) {
	if actor(1, RoleViewer).MayIssueToken(RoleAdmin) || actor(1, RoleAdmin).MayIssueToken("root") {
		t.Error("a token may be stronger than its maker, or have an unknown role")
	}
	if !actor(1, RoleAdmin).MayIssueToken(RoleAdmin) || !actor(1, RoleAdmin).MayIssueToken(RoleViewer) {
		t.Error("an admin may not make an admin or viewer token")
	}
	if got := actor(1, RoleMember).TokenRoles(); len(got) != 2 || got[0] != RoleMember || got[1] != RoleViewer {
		t.Errorf("member's token roles %v, want [member viewer]", got)
	}
	if !actor(1, RoleAdmin).MayListAllTokens() || actor(1, RoleMember).MayListAllTokens() {
		t.Error("listing everyone's tokens is not for user managers only")
	}
	for days, ok := range map[int]bool{-1: false, 0: true, 3650: true, 3651: false} {
		if ValidTokenExpiry(days) != ok {
			t.Errorf("ValidTokenExpiry(%d) != %v", days, ok)
		}
	}
	if name, err := CheckTokenName("  ci  "); err != nil || name != "ci" {
		t.Errorf("CheckTokenName = %q, %v", name, err)
	}
	for _, bad := range []string{"   ", string(make([]byte, 101))} {
		if _, err := CheckTokenName(bad); ErrorField(err) != "name" {
			t.Errorf("CheckTokenName(%q...) = %v", bad[:1], err)
		}
	}
}

func TestMayEditAndChangeControl(t *testing.T) {
	c := &Control{ID: "CC1.1", OwnerID: 1, Criteria: []string{"CC1.1"}, Status: StatusInProgress}
	with := func(f func(*Control)) *Control { x := *c; f(&x); return &x }
	if !actor(1, RoleMember).MayEditControl(c) || actor(2, RoleMember).MayEditControl(c) || actor(1, RoleViewer).MayEditControl(c) {
		t.Error("MayEditControl: members edit only their own, viewers none")
	}
	if !actor(2, RoleAdmin).MayEditControl(c) {
		t.Error("MayEditControl: admins edit any")
	}
	cases := []struct {
		name  string
		a     Actor
		after *Control
		ok    bool
	}{
		{"admin_any", actor(2, RoleAdmin), with(func(x *Control) { x.OwnerID = 3; x.Status = StatusNotApplicable }), true},
		{"member_own_status", actor(1, RoleMember), with(func(x *Control) { x.Status = StatusImplemented }), true},
		{"member_others", actor(2, RoleMember), c, false},
		{"member_owner", actor(1, RoleMember), with(func(x *Control) { x.OwnerID = 2 }), false},
		{"member_criteria", actor(1, RoleMember), with(func(x *Control) { x.Criteria = nil }), false},
		{"member_not_applicable", actor(1, RoleMember), with(func(x *Control) { x.Status = StatusNotApplicable }), false},
		{"member_justification", actor(1, RoleMember), with(func(x *Control) { x.Justification = "why" }), false},
	}
	for _, tc := range cases {
		err := tc.a.MayChangeControl(c, tc.after)
		if (err == nil) != tc.ok || (err != nil && ErrorCode(err) != EFORBIDDEN) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestUserPatchAndLosesOwner(t *testing.T) {
	name, admin, off := "Ada", RoleAdmin, true
	owner := &User{ID: 2, Name: "A", Role: RoleOwner}
	got := UserPatch{Name: &name}.Apply(owner)
	if got.Name != "Ada" || got.Role != RoleOwner || owner.Name != "A" {
		t.Fatalf("Apply = %+v (input %+v)", got, owner)
	}
	if LosesOwner(owner, &got) {
		t.Error("renaming an owner loses an owner")
	}
	if demoted := (UserPatch{Role: &admin}).Apply(owner); !LosesOwner(owner, &demoted) {
		t.Error("demoting an owner does not lose one")
	}
	if disabled := (UserPatch{Disabled: &off}).Apply(owner); !LosesOwner(owner, &disabled) {
		t.Error("disabling an owner does not lose one")
	}
	was := &User{Role: RoleOwner, Disabled: true}
	if LosesOwner(was, &User{Role: RoleAdmin, Disabled: true}) {
		t.Error("a disabled owner was not an active one")
	}
}

func TestSystemPatchApply(t *testing.T) {
	kind, owner := "database", int64(0)
	x := &System{Name: "db", Kind: "server", OwnerID: 3, Environment: "prod"}
	got := SystemPatch{Kind: &kind, OwnerID: &owner}.Apply(x)
	if got.Kind != "database" || got.OwnerID != 0 || got.Name != "db" || got.Environment != "prod" || x.Kind != "server" {
		t.Fatalf("Apply = %+v (input %+v)", got, x)
	}
}

func TestMayMakeResetLink(t *testing.T) {
	member, owner := &User{Email: "m@example.com", Role: RoleMember}, &User{Email: "o@example.com", Role: RoleOwner}
	cases := []struct {
		name     string
		by       Role
		u        *User
		password bool
		ok       bool
	}{
		{"admin_invites", RoleAdmin, member, false, true},
		{"admin_resets", RoleAdmin, member, true, false},
		{"admin_invites_owner", RoleAdmin, owner, false, false},
		{"owner_resets", RoleOwner, member, true, true},
		{"owner_resets_owner", RoleOwner, owner, true, true},
	}
	for _, tc := range cases {
		err := actor(1, tc.by).MayMakeResetLink(tc.u, tc.password)
		if (err == nil) != tc.ok || (err != nil && ErrorCode(err) != EFORBIDDEN) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
