package vigil

import (
	"testing"
	"time"
)

func TestMayApproveExceptions(t *testing.T) {
	for _, tc := range []struct {
		a  Actor
		ok bool
	}{
		{Actor{UserID: 1, Role: RoleOwner}, true}, {Actor{UserID: 1, Role: RoleAdmin}, true},
		{Actor{UserID: 1, Role: RoleMember}, false}, {Actor{UserID: 1, Role: RoleAuditor}, false},
		{SystemActor, false},
	} {
		if err := tc.a.MayApproveExceptions(); (err == nil) != tc.ok || (err != nil && ErrorCode(err) != EFORBIDDEN) {
			t.Errorf("%+v: %v, want ok=%v", tc.a, err, tc.ok)
		}
	}
}

func TestExceptionMayApprove(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	then := now.Add(-time.Hour)
	pending := CheckException{ID: 4, RequestedBy: 2, Expires: now.Add(24 * time.Hour)}
	with := func(f func(*CheckException)) *CheckException { e := pending; f(&e); return &e }
	approver, requester := Actor{UserID: 3, Role: RoleAdmin}, Actor{UserID: 2, Role: RoleAdmin}
	cases := []struct {
		name string
		e    *CheckException
		a    Actor
		code string
	}{
		{"pending", &pending, approver, ""},
		{"own_request", &pending, requester, EFORBIDDEN},
		{"revoked", with(func(e *CheckException) { e.RevokedAt = &then }), approver, ECONFLICT},
		{"approved", with(func(e *CheckException) { e.ApprovedAt = &then }), approver, ECONFLICT},
		{"expired", with(func(e *CheckException) { e.Expires = then }), approver, ECONFLICT},
	}
	for _, tc := range cases {
		if got := ErrorCode(tc.e.MayApprove(tc.a, now)); got != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, got, tc.code)
		}
	}
}
