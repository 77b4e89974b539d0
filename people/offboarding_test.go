package people_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/integrations/ldap"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/internal/ldaptest"
	"github.com/vigil-soc/vigil/people"
)

// TestOffboardingFromLDAP walks offboarding against Debian's slapd, as an
// OpenLDAP deployment holds its accounts (inetOrgPerson with uid and
// mail; shadowExpire, from the nis schema, as the disable):
//
//	ann  works here                         active, matched by mail
//	leo  left 10 days ago, in admins        still active: overdue, then
//	                                        expired by shadowExpire: late
//	mia  left yesterday, no mail attribute   matched by uid; active inside
//	                                        the deadline: pending; then
//	                                        deleted: removed in time
//	ned  left 20 days ago                   disabled (shadowExpire) when
//	                                        first collected, after the
//	                                        deadline: not shown on time
//	svc  a service account                  matches nobody
//
// The register comes from a CSV import; the integration is run through
// the integrations service, as the scheduler does.
func TestOffboardingFromLDAP(t *testing.T) {
	b := ldaptest.Base
	today := time.Now().UTC().Truncate(24 * time.Hour)
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	var l strings.Builder
	entry := func(dn string, lines ...string) { fmt.Fprintf(&l, "dn: %s\n%s\n\n", dn, strings.Join(lines, "\n")) }
	entry(b, "objectClass: dcObject", "objectClass: organization", "o: Acme", "dc: acme")
	entry("ou=people,"+b, "objectClass: organizationalUnit", "ou: people")
	entry("ou=groups,"+b, "objectClass: organizationalUnit", "ou: groups")
	user := func(uid string, extra ...string) {
		entry("uid="+uid+",ou=people,"+b, append([]string{"objectClass: inetOrgPerson", "objectClass: shadowAccount", "uid: " + uid, "cn: " + uid, "sn: " + uid}, extra...)...)
	}
	user("ann", "mail: ann@acme.test")
	user("leo", "mail: Leo@Acme.test")
	user("mia")
	user("ned", "mail: ned@acme.test", fmt.Sprintf("shadowExpire: %d", today.Unix()/86400-30))
	user("svc")
	entry("cn=admins,ou=groups,"+b, "objectClass: groupOfNames", "cn: admins", "member: uid=leo,ou=people,"+b)
	srv, err := ldaptest.StartWith(ldaptest.Options{LDIF: l.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	integ := integrationtest.NewService(t)
	integ.Kinds = append(integ.Kinds, ldap.LDAP{})
	st := integ.Store
	ctx := integrationtest.Ctx
	admin := &vigil.User{Email: "admin@acme.test", Name: "Admin", Role: vigil.RoleAdmin}
	if err := st.CreateUser(ctx, admin, ""); err != nil {
		t.Fatal(err)
	}
	actx := vigil.WithActor(context.Background(), vigil.Actor{UserID: admin.ID, Name: admin.Email, Role: admin.Role})
	svc := &people.Service{Store: st, Evidence: evidencetest.New(t, st)}
	if _, err := st.AdoptControls(actx, []vigil.Control{{ID: "HR-07", Title: "Access revoked promptly when people leave", Criteria: []string{"CC6.2"}, Status: vigil.StatusImplemented}}); err != nil {
		t.Fatal(err)
	}

	signal := func() (vigil.SignalStatus, []string) {
		t.Helper()
		sigs, err := svc.Signals(actx)
		if err != nil {
			t.Fatal(err)
		}
		worst, reasons := vigil.SignalNeutral, []string{}
		rank := map[vigil.SignalStatus]int{vigil.SignalNeutral: 0, vigil.SignalOK: 1, vigil.SignalWarn: 2, vigil.SignalUnknown: 3, vigil.SignalFail: 4}
		for _, s := range sigs[vigil.OffboardingControl] {
			if rank[s.Status] > rank[worst] {
				worst = s.Status
			}
			reasons = append(reasons, string(s.Status)+": "+s.Reason)
		}
		return worst, reasons
	}
	// Nothing imported: unknown, never a pass.
	if w, r := signal(); w != vigil.SignalUnknown {
		t.Fatalf("empty register: %s %v", w, r)
	}

	csv := "email,name,start_date,end_date\n" +
		"ann@acme.test,Ann,2024-01-01,\n" +
		"leo@acme.test,Leo," + "2024-01-01," + day(-10) + "\n" +
		"mia@acme.test,Mia," + "2024-01-01," + day(-1) + "\n" +
		"ned@acme.test,Ned," + "2024-01-01," + day(-20) + "\n"
	pv, err := svc.PreviewImport(actx, []byte(csv))
	if err != nil || len(pv.Errors) > 0 || pv.Counts.Created != 4 || len(pv.Leavers) != 3 {
		t.Fatalf("preview: %+v %v", pv, err)
	}
	if ps, _ := st.People(actx); len(ps) != 0 {
		t.Fatal("the preview imported people")
	}
	if _, err := svc.ConfirmImport(actx, pv.ID, strings.Repeat("0", 64)); vigil.ErrorCode(err) != vigil.EINVALID {
		t.Fatalf("confirmed with another file's hash: %v", err)
	}
	if c, err := svc.ConfirmImport(actx, pv.ID, pv.SHA256); err != nil || c.Created != 4 {
		t.Fatalf("confirm: %+v %v", c, err)
	}
	if _, err := svc.ConfirmImport(actx, pv.ID, pv.SHA256); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Fatalf("confirmed twice: %v", err)
	}
	// People but no system listing accounts: still unknown.
	if w, r := signal(); w != vigil.SignalUnknown || !strings.Contains(strings.Join(r, " "), "no connected system") {
		t.Fatalf("no source: %s %v", w, r)
	}

	cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "bind_dn": ldaptest.Admin, "base_dn": b, "privileged_groups": []string{"admins"}})
	x := &vigil.Integration{Kind: "ldap", Name: "corp-ldap", Config: cfg, Interval: 3600, Enabled: true}
	integrationtest.Connect(t, integ, x, ldaptest.Password)

	log, err := svc.Offboarding(actx)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]vigil.OffboardingStatus{}
	for _, it := range log.Items {
		status[it.Email] = it.Status
		if it.Email == "leo@acme.test" && (!it.Account.Privileged || it.Deadline.Sub(it.Departure) != 24*time.Hour) {
			t.Errorf("leo is in admins: %+v", it)
		}
	}
	want := map[string]vigil.OffboardingStatus{"leo@acme.test": vigil.OffboardOverdue, "mia@acme.test": vigil.OffboardPending, "ned@acme.test": vigil.OffboardUnclear}
	for e, s := range want {
		if status[e] != s {
			t.Errorf("first run: %s is %q, want %q (%+v)", e, status[e], s, log.Items)
		}
	}
	w, r := signal()
	if w != vigil.SignalFail || !strings.Contains(strings.Join(r, "\n"), "uid=leo") {
		t.Fatalf("leo's active account is not a failure: %s %v", w, r)
	}
	// ann's account is matched, svc's is nobody's.
	accs, _ := svc.Accounts(actx)
	for _, a := range accs {
		switch {
		case strings.HasPrefix(a.ExternalID, "uid=ann") && a.MatchedBy != "email",
			strings.HasPrefix(a.ExternalID, "uid=mia") && a.MatchedBy != "username",
			strings.HasPrefix(a.ExternalID, "uid=svc") && a.PersonID != 0:
			t.Errorf("match: %+v", a)
		}
	}

	// The directory's administrator expires leo and deletes mia.
	conn, err := goldap.DialURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.Admin, ldaptest.Password); err != nil {
		t.Fatal(err)
	}
	m := goldap.NewModifyRequest("uid=leo,ou=people,"+b, nil)
	m.Replace("shadowExpire", []string{fmt.Sprint(today.Unix()/86400 - 1)})
	if err := conn.Modify(m); err != nil {
		t.Fatal(err)
	}
	if err := conn.Del(goldap.NewDelRequest("uid=mia,ou=people,"+b, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := integ.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	log, _ = svc.Offboarding(actx)
	for _, it := range log.Items {
		status[it.Email] = it.Status
	}
	want = map[string]vigil.OffboardingStatus{"leo@acme.test": vigil.OffboardLate, "mia@acme.test": vigil.OffboardRemoved, "ned@acme.test": vigil.OffboardUnclear}
	for e, s := range want {
		if status[e] != s {
			t.Errorf("second run: %s is %q, want %q (%+v)", e, status[e], s, log.Items)
		}
	}
	w, r = signal()
	// The failure is cleared; leo's late removal and ned's removal not
	// shown on time stay exceptions.
	if w != vigil.SignalWarn || !strings.Contains(strings.Join(r, "\n"), "ok: 1 accounts of") {
		t.Fatalf("after removal: %s %v", w, r)
	}
	for _, reason := range r {
		if strings.HasPrefix(reason, "fail") {
			t.Errorf("still failing: %s", reason)
		}
	}

	// The offboarding log is sealed into the ledger for HR-07, once per
	// change: a second run with nothing new seals nothing.
	seal := func() []vigil.Evidence {
		t.Helper()
		if err := svc.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		evs, err := st.ListEvidence(actx, vigil.EvidenceFilter{Control: "HR-07"})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	if evs := seal(); len(evs) != 1 || !strings.Contains(evs[0].Title, "Offboarding log") || !strings.Contains(evs[0].Title, "2 exceptions") {
		t.Fatalf("sealed: %+v", evs)
	}
	if evs := seal(); len(evs) != 1 {
		t.Fatalf("sealed again with nothing changed: %d items", len(evs))
	}
}
