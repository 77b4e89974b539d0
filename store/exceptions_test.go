package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// exceptionUsers makes an admin and a member beside the owner and returns
// a context acting as each.
func exceptionUsers(t *testing.T, s *Store) (owner, admin, member context.Context) {
	t.Helper()
	o := setup(t, s)
	owner = vigil.WithActor(context.Background(), vigil.Actor{UserID: o.ID, Name: o.Email, Role: vigil.RoleOwner})
	as := func(email string, r vigil.Role) context.Context {
		u := &vigil.User{Email: email, Name: "The " + string(r), Role: r}
		if err := s.CreateUser(owner, u, ""); err != nil {
			t.Fatal(err)
		}
		return vigil.WithActor(context.Background(), vigil.Actor{UserID: u.ID, Name: u.Email, Role: r})
	}
	return owner, as("admin@example.com", vigil.RoleAdmin), as("member@example.com", vigil.RoleMember)
}

func newException(check string, scope vigil.ExceptionScope, agent int64, label string, exp time.Time) *vigil.CheckException {
	return &vigil.CheckException{CheckID: check, Kind: vigil.ExceptionRiskAccepted, Scope: scope, AgentID: agent, Label: label,
		Justification: "The bastion enforces this for these hosts.", Expires: exp}
}

func TestExceptionsLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, admin, member := exceptionUsers(t, s)
		// The enrolment token carries the host's first labels.
		if _, err := s.CreateLabelledEnrolment(owner, "dev-1", map[string]string{"env": "dev"}, "tok-dev", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		a := &vigil.Agent{Hostname: "dev-1.acme.test", Interval: 300}
		if err := s.Enrol(context.Background(), "tok-dev", a, "secret-dev"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Agent(context.Background(), a.ID); got.Labels["env"] != "dev" || len(got.Labels) != 1 {
			t.Fatalf("labels after enrolment: %v", got.Labels)
		}
		later := time.Now().Add(30 * 24 * time.Hour)

		// Requested by a member: pending, changes nothing yet.
		e := newException("linux.sshd.permit-root-login", vigil.ScopeHost, a.ID, "", later)
		if err := s.CreateException(member, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.State != vigil.ExceptionPending || e.AgentName != "dev-1" || e.RequestedByName != "The member" {
			t.Fatalf("requested: %+v", e)
		}
		if act, _ := s.ActiveExceptions(context.Background(), time.Now()); len(act) != 0 {
			t.Fatalf("a pending exception is active: %+v", act)
		}
		// A member cannot approve, nor anyone without a user.
		if _, err := s.ApproveException(member, e.ID); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("member approves: %v", err)
		}
		if _, err := s.ApproveException(vigil.WithActor(context.Background(), vigil.SystemActor), e.ID); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("system approves: %v", err)
		}
		got, err := s.ApproveException(admin, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != vigil.ExceptionActive || got.ApprovedByName != "The admin" || got.ApprovedAt == nil {
			t.Fatalf("approved: %+v", got)
		}
		if _, err := s.ApproveException(owner, e.ID); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("approved twice: %v", err)
		}
		act, _ := s.ActiveExceptions(context.Background(), time.Now())
		if len(act) != 1 || act[0].ID != e.ID {
			t.Fatalf("active: %+v", act)
		}
		// It runs out at its expiry, with nothing written.
		if n, _ := s.ExpiredExceptions(context.Background(), time.Now()); n != 0 {
			t.Fatalf("expired now: %d", n)
		}
		if n, _ := s.ExpiredExceptions(context.Background(), later.Add(time.Second)); n != 1 {
			t.Fatalf("expired after expiry: %d", n)
		}
		if act, _ := s.ActiveExceptions(context.Background(), later.Add(time.Second)); len(act) != 0 {
			t.Fatalf("active after expiry: %+v", act)
		}
		if x, _ := s.Exception(context.Background(), e.ID, later.Add(time.Second)); x.State != vigil.ExceptionExpired {
			t.Fatalf("state after expiry: %s", x.State)
		}

		// Separation of duties: an admin's own request needs someone else.
		own := newException("linux.sshd.permit-root-login", vigil.ScopeLabel, 0, "env=dev", later)
		if err := s.CreateException(admin, own); err != nil {
			t.Fatal(err)
		}
		_, err = s.ApproveException(admin, own.ID)
		if ve, ok := err.(*vigil.Error); !ok || ve.Code != vigil.EFORBIDDEN || ve.Field != "approver" {
			t.Fatalf("self-approval: %v", err)
		}
		// The database refuses it too, whatever the code above does.
		if _, err := s.w.ExecContext(context.Background(), s.d.rebind("UPDATE check_exceptions SET approved_by = requested_by, approved_at = ? WHERE id = ?"), s.d.ts(time.Now()), own.ID); err == nil {
			t.Fatal("the database took an approval by the requester")
		}

		// Revoked: no longer active; cannot be approved or revoked again.
		rv, err := s.RevokeException(owner, own.ID, "asked in error")
		if err != nil || rv.State != vigil.ExceptionRevoked || rv.RevokeReason != "asked in error" || rv.RevokedByName != "Olive Owner" {
			t.Fatalf("revoke: %+v %v", rv, err)
		}
		if _, err := s.ApproveException(owner, own.ID); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("approve a revoked one: %v", err)
		}
		if _, err := s.RevokeException(owner, own.ID, ""); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("revoke twice: %v", err)
		}
		if _, err := s.RevokeException(member, e.ID, ""); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("member revokes: %v", err)
		}

		// A host that does not exist, or was revoked, is refused by name.
		if err := s.CreateException(member, newException("linux.sshd.permit-root-login", vigil.ScopeHost, 9999, "", later)); vigil.ErrorField(err) != "agent_id" {
			t.Fatalf("unknown host: %v", err)
		}
		if err := s.CreateException(vigil.WithActor(context.Background(), vigil.SystemActor), newException("linux.sshd.permit-root-login", vigil.ScopeAll, 0, "", later)); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
			t.Fatalf("a request without a person: %v", err)
		}

		// Every request, approval and revocation is in the activity log.
		acts, err := s.ListActivity(context.Background(), vigil.ActivityFilter{EntityType: "check_exception", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, x := range acts {
			n[x.Action]++
		}
		if n["exception.request"] != 2 || n["exception.approve"] != 1 || n["exception.revoke"] != 1 || len(acts) != 4 {
			t.Fatalf("activity: %v", n)
		}
		if v, err := s.VerifyActivity(context.Background()); err != nil || !v.OK {
			t.Fatalf("activity chain: %+v %v", v, err)
		}

		// Labels: a change is logged, the same labels again write nothing.
		if _, err := s.SetAgentLabels(owner, a.ID, map[string]string{"env": "prod", "team": "payments"}); err != nil {
			t.Fatal(err)
		}
		head, _ := s.StateVersion(context.Background())
		if _, err := s.SetAgentLabels(owner, a.ID, map[string]string{"team": "payments", "env": "prod"}); err != nil {
			t.Fatal(err)
		}
		if h2, _ := s.StateVersion(context.Background()); h2 != head {
			t.Fatal("setting the same labels wrote something")
		}
		if got, _ := s.Agent(context.Background(), a.ID); got.Labels["env"] != "prod" || got.Labels["team"] != "payments" {
			t.Fatalf("labels: %v", got.Labels)
		}
		if err := s.RevokeAgent(owner, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateException(member, newException("linux.sshd.permit-root-login", vigil.ScopeHost, a.ID, "", later)); vigil.ErrorField(err) != "agent_id" {
			t.Fatalf("a revoked host: %v", err)
		}
	})
}

// TestExceptionApprovalRace: two approvers at once; exactly one wins, the
// other is told it is already approved, and the log has one approval.
func TestExceptionApprovalRace(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, admin, member := exceptionUsers(t, s)
		for round := 0; round < 5; round++ {
			e := newException("linux.sshd.permit-root-login", vigil.ScopeAll, 0, "", time.Now().Add(time.Hour))
			if err := s.CreateException(member, e); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, ctx := range []context.Context{owner, admin} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.ApproveException(ctx, e.ID)
				}()
			}
			wg.Wait()
			ok, conflict := 0, 0
			for _, err := range errs {
				switch vigil.ErrorCode(err) {
				case "":
					ok++
				case vigil.ECONFLICT:
					conflict++
				default:
					t.Fatalf("approval: %v", err)
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: %d approvals, %d conflicts", round, ok, conflict)
			}
		}
		acts, _ := s.ListActivity(context.Background(), vigil.ActivityFilter{Action: "exception.approve", Limit: 100})
		if len(acts) != 5 {
			t.Fatalf("%d approvals logged, want 5", len(acts))
		}
	})
}

// TestExceptionExpiredBeforeApproval: a request whose expiry passed while
// it waited cannot be approved.
func TestExceptionExpiredBeforeApproval(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, member := exceptionUsers(t, s)
		e := newException("linux.sshd.permit-root-login", vigil.ScopeAll, 0, "", time.Now().Add(300*time.Millisecond))
		if err := s.CreateException(member, e); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if _, err := s.ApproveException(owner, e.ID); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("approving an expired request: %v", err)
		}
	})
}
