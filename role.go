package vigil

import (
	"context"
	"slices"
)

// Role is what a user or an API token may do. Roles are not a strict ladder:
// an auditor reads more than a member (the activity log) but writes nothing.
type Role string

// The roles, strongest first.
const (
	RoleOwner   Role = "owner"   // everything, including granting the owner role
	RoleAdmin   Role = "admin"   // runs the program: scope, controls, users
	RoleMember  Role = "member"  // a control owner: edits the controls they own
	RoleAuditor Role = "auditor" // reads everything, the activity log too; writes nothing
	RoleViewer  Role = "viewer"  // reads the program's state
)

// Roles lists every role, strongest first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleMember, RoleAuditor, RoleViewer}

// Permission is one thing a role may do. Routes name the permission they need.
type Permission string

// The permissions.
const (
	PermRead           Permission = "read"             // catalog, controls, scope, readiness
	PermReadActivity   Permission = "read_activity"    // the activity log and its verification
	PermEditOwnControl Permission = "edit_own_control" // status and text of controls one owns
	PermManage         Permission = "manage"           // scope, controls, systems, organization
	PermManageUsers    Permission = "manage_users"     // users and their roles, everyone's tokens
	PermGrantOwner     Permission = "grant_owner"      // make someone an owner
	// PermReadPeople is not given to members and viewers: a person record
	// (start and end dates, manager, accounts) is personal data, and the
	// default member role sees only its own tasks.
	PermReadPeople Permission = "read_people"
)

// Permissions lists every permission.
var Permissions = []Permission{PermRead, PermReadActivity, PermEditOwnControl, PermManage, PermManageUsers, PermGrantOwner, PermReadPeople}

var rolePerms = map[Role][]Permission{
	RoleOwner:   {PermRead, PermReadActivity, PermEditOwnControl, PermManage, PermManageUsers, PermGrantOwner, PermReadPeople},
	RoleAdmin:   {PermRead, PermReadActivity, PermEditOwnControl, PermManage, PermManageUsers, PermReadPeople},
	RoleMember:  {PermRead, PermEditOwnControl},
	RoleAuditor: {PermRead, PermReadActivity, PermReadPeople},
	RoleViewer:  {PermRead},
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := rolePerms[r]; return ok }

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool { return slices.Contains(rolePerms[r], p) }

// Covers reports whether r holds every permission of other, so that a user
// with role r may hand out (to a token or to another user) role other.
func (r Role) Covers(other Role) bool {
	if !r.Valid() || !other.Valid() {
		return false
	}
	for _, p := range rolePerms[other] {
		if !r.Can(p) {
			return false
		}
	}
	return true
}

// ParseRole validates s as a role.
func ParseRole(field, s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", FieldError(field, "unknown role %q (want one of owner, admin, member, auditor, viewer)", s)
	}
	return r, nil
}

// Actor is who performs an action: a user (through a session or a token) or
// the system itself (migrations, setup, schedulers).
type Actor struct {
	UserID  int64  // 0 for the system
	Name    string // email for users, a component name for the system
	Role    Role   // effective role: the weaker of the user's and the token's
	TokenID int64  // the API token used, if any
}

// SystemActor is the actor for work Vigil does on its own behalf.
var SystemActor = Actor{Name: "system", Role: RoleOwner}

type actorKey struct{}

// WithActor returns a context that carries the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor. Without one it returns an actor with
// no role at all, so a forgotten WithActor fails closed.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}
