package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/internal/ldaptest"
	"github.com/vigil-soc/vigil/internal/smtptest"
	"github.com/vigil-soc/vigil/server"
)

// TestBrowserPeople walks the two flows of the personnel module in
// Chromium, against Debian's slapd as the connected directory:
//
//  1. A CSV with a bad row is refused line by line and imports nothing;
//     the corrected file is previewed and confirmed. A published policy
//     reaches Mia's "My tasks"; she acknowledges it there, and GV-02
//     turns healthy.
//  2. Leo left ten days ago and his directory account is still active:
//     after the directory is collected, the offboarding log and HR-07
//     show the exception; the directory's administrator expires the
//     account, the next collection clears the failure and records the
//     late removal.
func TestBrowserPeople(t *testing.T) {
	b := ldaptest.Base
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var l strings.Builder
	entry := func(dn string, lines ...string) { fmt.Fprintf(&l, "dn: %s\n%s\n\n", dn, strings.Join(lines, "\n")) }
	entry(b, "objectClass: dcObject", "objectClass: organization", "o: Acme", "dc: acme")
	entry("ou=people,"+b, "objectClass: organizationalUnit", "ou: people")
	for _, u := range []string{"olive", "mia", "leo"} {
		entry("uid="+u+",ou=people,"+b, "objectClass: inetOrgPerson", "objectClass: shadowAccount", "uid: "+u, "cn: "+u, "sn: "+u, "mail: "+u+"@acme.test")
	}
	srv, err := ldaptest.StartWith(ldaptest.Options{LDIF: l.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	mail := smtptest.Start(t)
	w, setupLink := startBrowserWith(t, func(m *Main) {
		m.SMTP = server.SMTPConfig{Addr: mail.Addr, From: "vigil@acme.test"}
		m.BaseURL = "https://vigil.acme.test"
	})
	w.open(setupLink)
	w.fill("#org", "Acme Cloud")
	w.fill("#name", "Olive Owner")
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)
	secret := w.enrolTOTP()
	lastStep := time.Now().Unix() / 30 // the enrolment's
	oliveSignsIn := func() {
		w.signIn("olive@acme.test", "olive's long password")
		// Each sign-in needs a time step not used before, at most one
		// ahead of the clock: wait for the clock when it is not there yet.
		for time.Now().Add(30*time.Second).Unix()/30 <= lastStep {
			time.Sleep(time.Second)
		}
		at := time.Now().Add(30 * time.Second)
		lastStep = at.Unix() / 30
		code, _ := auth.TOTPCode(secret, at)
		w.fill("#code", code)
		w.submit("code", `form[action="/login/mfa"] button[type=submit]`)
	}
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)
	for _, id := range []string{"GV-01", "GV-02", "HR-07"} {
		w.open("/controls/" + id)
		w.fill("#status", "implemented")
		w.fill("#owner_id", "1")
		w.submit("implement "+id, `form[action="/controls/`+id+`"] button[type=submit]`)
	}
	mia := w.invite("mia@acme.test", "Mia Member", "member")

	// The register: a bad file is refused row by row, nothing imported.
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	left := today.AddDate(0, 0, -10).Format(time.DateOnly)
	bad := write("bad.csv", "email,name,department,start_date,end_date\nolive@acme.test,Olive Owner,Exec,2024-01-01,\nmia@acme.test,Mia Member,=cmd|' /C calc'!A0,2025-02-01,\nleo@acme.test,Leo,Eng,2025-03-01,2025-02-01\n")
	w.open("/people")
	w.do("choose the bad file", chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{bad}))
	w.submit("preview the bad file", `form[action="/people/import"] button[type=submit]`)
	errs := w.text("#import-errors")
	if !strings.Contains(errs, "Line 3, column department") || !strings.Contains(errs, "formula") || !strings.Contains(errs, "Line 4, column end_date") {
		t.Fatalf("the bad file's errors: %s", w.text("main"))
	}
	if w.count(`form[action$="/confirm"]`) != 0 || !strings.Contains(w.text("#people"), "Nobody yet") {
		t.Fatal("a file with bad rows can be confirmed, or was imported")
	}
	w.shot("70-people-import-errors")
	good := write("people.csv", "email,name,department,start_date,end_date\nolive@acme.test,Olive Owner,Exec,2024-01-01,\nmia@acme.test,Mia Member,Eng,2025-02-01,\nleo@acme.test,Leo Leaver,Eng,2025-03-01,"+left+"\n")
	w.open("/people")
	w.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{good}))
	w.submit("preview", `form[action="/people/import"] button[type=submit]`)
	if got := w.text("#import-counts"); !strings.Contains(got, "3 to add") || !strings.Contains(w.text("#preview"), "leo@acme.test ("+left+")") {
		t.Fatalf("the preview: %s", w.text("#preview"))
	}
	w.shot("71-people-import-preview")
	w.submit("confirm", `form[action$="/confirm"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "3 added") || !strings.Contains(w.text("#people"), "Leo Leaver") {
		t.Fatalf("after confirming: %s", w.text("main"))
	}
	w.shot("72-people")

	// An existing policy uploaded as HTML: a draft with nothing active.
	doc := write("Remote Work.html", "<h1>Remote work</h1><p>Use the <b>VPN</b>.</p><script>document.title='xss'</script><img src=x onerror=\"document.title='xss'\">")
	w.open("/policies")
	w.fill("#u-owner", "1")
	w.click(`form[action="/policies/upload"] input[name=approvers][value="2"]`)
	w.do("choose the policy document", chromedp.SetUploadFiles(chromedp.CSS("#u-file"), []string{doc}))
	w.submit("upload", `form[action="/policies/upload"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "is a draft made from Remote Work.html") || !strings.Contains(w.text("#latest-text"), "Use the VPN.") {
		t.Fatalf("after uploading: %s", w.text("main"))
	}
	w.noInjection("uploaded policy")
	w.shot("80-policy-uploaded")

	// A published policy (Olive owns it, Mia approves it).
	w.open("/policies")
	w.fill("#p-template", "acceptable-use")
	w.fill("#p-owner", "1")
	w.click(`form[action="/policies/adopt"] input[name=approvers][value="2"]`)
	w.submit("adopt", `form[action="/policies/adopt"] button[type=submit]`)
	w.submit("send for approval", `form[action="/policies/2/submit"] button[type=submit]`)
	w.accept(mia, "mia@acme.test", "mia's long password")
	w.open("/policies/2")
	w.submit("approve", `form[action="/policies/2/approve"] button[type=submit]`)
	if w.count(`a[href="/people"]`) != 0 {
		t.Fatal("a member is offered the people register")
	}
	w.open("/people")
	if !strings.Contains(w.text("main"), "Forbidden") || strings.Contains(w.text("main"), "Leo") {
		t.Fatalf("a member opened the register: %s", w.text("main"))
	}
	w.open("/")
	w.signOut()
	oliveSignsIn()
	w.open("/policies/2")
	w.submit("publish", `form[action="/policies/2/publish"] button[type=submit]`)
	w.open("/controls/GV-02")
	if h := w.text("main h2"); strings.Contains(h, "Healthy") || strings.Contains(h, "healthy") {
		t.Fatalf("GV-02 healthy before anyone acknowledged: %s", w.text("main"))
	}

	// Mia acknowledges from her tasks.
	w.signOut()
	w.signIn("mia@acme.test", "mia's long password")
	w.open("/tasks")
	if !strings.Contains(w.text("#my-policies"), "POL-002") {
		t.Fatalf("Mia's tasks: %s", w.text("main"))
	}
	w.shot("73-my-tasks")
	w.click(`#my-policies a`)
	w.do("wait for the policy", chromedp.WaitVisible(chromedp.CSS("#acknowledge")))
	w.shot("74-policy-acknowledge")
	w.submit("acknowledge", `form[action="/policies/2/acknowledge"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Acknowledged version 1") || w.count("#ack-done") != 1 {
		t.Fatalf("after acknowledging: %s", w.text("main"))
	}
	w.open("/tasks")
	if w.count("#no-tasks") != 1 {
		t.Fatalf("tasks after acknowledging: %s", w.text("main"))
	}
	w.open("/controls/GV-02")
	if h := w.text("main h2"); !strings.Contains(strings.ToLower(h), "healthy") {
		t.Fatalf("GV-02 after Mia's acknowledgement (Olive's and Leo's not yet due): %s", w.text("main"))
	}
	w.shot("75-gv02-healthy")

	// Offboarding: the directory is connected; Leo's account is active.
	w.signOut()
	oliveSignsIn()
	w.open("/policies/2/acknowledgements")
	if w.count("#roster-counts") != 1 {
		t.Fatalf("the roster page at %s: %s", w.location(), w.text("main"))
	}
	if got := w.text("#roster-counts"); !strings.Contains(got, "1 acknowledged") {
		t.Fatalf("the roster: %s", got)
	}
	// Reminders by hand: one digest to each person with it pending.
	pending := w.count(`#roster tr[data-state=due]`) + w.count(`#roster tr[data-state=overdue]`)
	w.submit("remind", `form[action="/policies/2/remind"] button[type=submit]`)
	if got := w.text(".flash"); !strings.Contains(got, fmt.Sprintf("Sent %d reminder", pending)) || pending == 0 {
		t.Fatalf("after reminding %d people: %s", pending, w.text("main"))
	}
	msgs := mail.Wait(pending, 5*time.Second)
	if len(msgs) != pending || !strings.Contains(msgs[0].Data, "POL-002") || !strings.Contains(msgs[0].Data, "https://vigil.acme.test/tasks") {
		t.Fatalf("reminder mail: %+v", msgs)
	}
	for _, m := range msgs {
		if slices.Contains(m.To, "mia@acme.test") {
			t.Fatal("Mia, who acknowledged, was reminded")
		}
	}
	if !strings.Contains(w.text("#roster"), time.Now().UTC().Format("2006-01-02")) {
		t.Fatalf("the roster does not show when each was reminded: %s", w.text("#roster"))
	}
	w.shot("76-policy-roster")
	w.submit("remind again", `form[action="/policies/2/remind"] button[type=submit]`)
	if got := w.text(".flash"); !strings.Contains(got, "Nobody to remind") || len(mail.Messages()) != pending {
		t.Fatalf("a second click the same day: %s (%d mails)", got, len(mail.Messages()))
	}
	w.open("/integrations")
	w.click(`#kind-ldap > summary`)
	w.fill("#f-ldap-name", "corp-ldap")
	w.fill("#f-ldap-url", srv.URL)
	w.fill("#f-ldap-base_dn", b)
	w.fill("#f-ldap-bind_dn", ldaptest.Admin)
	w.fill("#f-ldap-secret", ldaptest.Password)
	w.submit("connect", `#kind-ldap button[type=submit]`)
	if !strings.HasPrefix(w.location(), "/integrations/1") {
		w.shot("debug")
		t.Fatalf("connecting the directory at %s: %s", w.location(), w.text("main"))
	}
	w.submit("run", `form[action="/integrations/1/run"] button[type=submit]`)
	w.open("/offboarding")
	if row := w.text(`#offboarding tr[data-status=overdue]`); !strings.Contains(row, "uid=leo") || !strings.Contains(row, "still active") {
		t.Fatalf("the offboarding log: %s", w.text("#offboarding"))
	}
	w.shot("77-offboarding-overdue")
	w.open("/controls/HR-07")
	if main := w.text("main"); !strings.Contains(strings.ToLower(w.text("main h2")), "failing") || !strings.Contains(main, "uid=leo") {
		t.Fatalf("HR-07 with Leo's active account: %s", main)
	}

	// The directory's administrator expires Leo's account; the next
	// collection clears the failure and keeps the late removal.
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
	w.open("/integrations/1")
	w.submit("run again", `form[action="/integrations/1/run"] button[type=submit]`)
	w.open("/offboarding")
	if w.count(`#offboarding tr[data-status=overdue]`) != 0 || !strings.Contains(w.text(`#offboarding tr[data-status=late]`), "uid=leo") {
		t.Fatalf("after the removal: %s", w.text("#offboarding"))
	}
	w.shot("78-offboarding-late")
	w.open("/controls/HR-07")
	if h := strings.ToLower(w.text("main h2")); strings.Contains(h, "failing") {
		t.Fatalf("HR-07 still failing after the removal: %s", w.text("main"))
	}
	w.open("/people")
	w.click(`#people a[href$="/3"]`)
	w.do("wait for the person", chromedp.WaitVisible(chromedp.CSS("#accounts")))
	if !strings.Contains(w.text("#accounts"), "uid=leo") {
		t.Fatalf("Leo's page: %s", w.text("main"))
	}
	w.shot("79-person")
	w.open("/onboarding")
	if !strings.Contains(w.text("main h1"), "Onboarding") {
		t.Fatalf("the onboarding page: %s", w.text("main"))
	}
	w.shot("81-onboarding")
}
