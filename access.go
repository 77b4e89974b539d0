package vigil

import (
	"slices"
	"strings"
)

// The access rules below are what an actor may do to users, tokens and
// controls beyond the route's permission. The API and the pages both call
// them, so each rule exists once.

// MayGrant checks that the actor may give someone role r: owners are made
// only by owners, and nobody hands out more than they hold.
func (a Actor) MayGrant(r Role) error {
	if r == RoleOwner && !a.Role.Can(PermGrantOwner) {
		return Errorf(EFORBIDDEN, "only an owner may grant the owner role")
	}
	if !a.Role.Covers(r) {
		return Errorf(EFORBIDDEN, "the %s role may not grant the %s role", a.Role, r)
	}
	return nil
}

// MayChangeUser checks a change of a user's account from before to after:
// changing an owner in any way, or making one, takes an owner.
func (a Actor) MayChangeUser(before, after *User) error {
	if before.Role == RoleOwner && !a.Role.Can(PermGrantOwner) {
		return Errorf(EFORBIDDEN, "only an owner may change an owner's account")
	}
	if after.Role != before.Role {
		return a.MayGrant(after.Role)
	}
	return nil
}

// MayRevokeToken checks that the actor may revoke tk: their own, or anyone's
// for those who manage users, except that only owners touch an owner's
// tokens (as the rest of an owner's account). holder reads the token's user
// and is called only when the token is someone else's.
func (a Actor) MayRevokeToken(tk *APIToken, holder func() (*User, error)) error {
	if tk.UserID == a.UserID {
		return nil
	}
	if !a.Role.Can(PermManageUsers) {
		// Not found rather than forbidden: do not confirm others' token IDs.
		return NotFound("token", tk.ID)
	}
	u, err := holder()
	if err != nil {
		return err
	}
	if u.Role == RoleOwner && !a.Role.Can(PermGrantOwner) {
		return Errorf(EFORBIDDEN, "only an owner may revoke an owner's token")
	}
	return nil
}

// MayMakeResetLink checks that the actor may make a one-time password link
// for u. A link sets a password and so lets its maker sign in as that
// person: admins may make one only to invite someone who has no password
// yet (and is no owner); owners may also use it for account recovery.
func (a Actor) MayMakeResetLink(u *User, hasPassword bool) error {
	if !a.Role.Can(PermGrantOwner) && (hasPassword || u.Role == RoleOwner) {
		return Errorf(EFORBIDDEN, "%s already has a password: only an owner may make a reset link for them", u.Email)
	}
	return nil
}

// MayListAllTokens reports whether the actor may see everyone's tokens.
func (a Actor) MayListAllTokens() bool { return a.Role.Can(PermManageUsers) }

// MayIssueToken reports whether the actor may make a token with role r: the
// caller's effective role bounds the new token, so a viewer token cannot
// mint an admin token even for an admin user.
func (a Actor) MayIssueToken(r Role) bool { return r.Valid() && a.Role.Covers(r) }

// TokenRoles lists the roles the actor may give a token, strongest first.
func (a Actor) TokenRoles() []Role {
	var roles []Role
	for _, r := range Roles {
		if a.MayIssueToken(r) {
			roles = append(roles, r)
		}
	}
	return roles
}

// MaxTokenDays is the longest a token may be made to last (0: never expires).
const MaxTokenDays = 3650

// ValidTokenExpiry reports whether days is an allowed token lifetime.
func ValidTokenExpiry(days int) bool { return days >= 0 && days <= MaxTokenDays }

// CheckTokenName trims a token's name and checks it: required, to tell
// tokens apart, and at most 100 characters.
func CheckTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return name, FieldError("name", "name is required (at most 100 characters), to tell tokens apart")
	}
	return name, nil
}

// MayEditControl reports whether the actor may edit control c at all:
// managers any, members those they own.
func (a Actor) MayEditControl(c *Control) bool {
	return a.Role.Can(PermManage) || (a.Role.Can(PermEditOwnControl) && c.OwnerID == a.UserID)
}

// MayChangeControl checks a change of a control from before to after,
// beyond the catalog's rules: managers change anything; members change only
// controls they own, and neither their owner nor their criteria. Single and
// bulk edits take it from here.
func (a Actor) MayChangeControl(before, after *Control) error {
	if a.Role.Can(PermManage) {
		return nil
	}
	if before.OwnerID != a.UserID {
		return Errorf(EFORBIDDEN, "you may only change controls you own; %s is owned by someone else", before.ID)
	}
	if after.OwnerID != before.OwnerID || !slices.Equal(after.Criteria, before.Criteria) {
		return Errorf(EFORBIDDEN, "only admins may change a control's owner or criteria")
	}
	// Not applicable takes a control out of coverage, which can turn a
	// gap into "ready": that is a scoping decision, not an owner's.
	if after.Status == StatusNotApplicable && before.Status != StatusNotApplicable || after.Justification != before.Justification {
		return Errorf(EFORBIDDEN, "only admins may mark a control not applicable or change why")
	}
	return nil
}
