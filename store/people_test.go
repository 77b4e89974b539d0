package store

import (
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// Accounts across collections on both engines: an account seen active
// keeps the listing's start, one seen disabled or gone the listing's end
// (the first time only), a returning account is active again, and a
// manual link must name a collected account and an existing person.
func TestReplaceAccounts(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, _ := exceptionUsers(t, s)
		x := &vigil.Integration{Kind: "ldap", Name: "dir", Config: []byte("{}"), Interval: 3600, Enabled: true}
		if err := s.CreateIntegration(owner, x, ""); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		acc := func(id string, st vigil.AccountState) vigil.Account {
			return vigil.Account{ExternalID: id, Username: id, State: st}
		}
		get := func() map[string]vigil.Account {
			t.Helper()
			as, err := s.Accounts(owner)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]vigil.Account{}
			for _, a := range as {
				m[a.ExternalID] = a
			}
			return m
		}
		run := func(h int, as ...vigil.Account) {
			t.Helper()
			if err := s.ReplaceAccounts(owner, x.ID, as, at(h), at(h).Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		run(0, acc("ann", vigil.AccountActive), acc("bob", vigil.AccountActive), acc("cy", vigil.AccountActive), acc("cy", vigil.AccountDisabled))
		m := get()
		if len(m) != 3 || !m["ann"].LastActiveSeen.Equal(at(0)) || m["ann"].InactiveSince != nil || m["cy"].State != vigil.AccountActive || m["ann"].System != "dir" {
			t.Fatalf("first collection: %+v", m)
		}
		run(5, acc("ann", vigil.AccountDisabled), acc("cy", vigil.AccountUnknown))
		run(9, acc("ann", vigil.AccountDisabled), acc("cy", vigil.AccountActive))
		m = get()
		if a := m["ann"]; !a.Present || a.State != vigil.AccountDisabled || !a.InactiveSince.Equal(at(5).Add(time.Minute)) || !a.LastActiveSeen.Equal(at(0)) {
			t.Errorf("ann disabled at the second collection: %+v", a)
		}
		if b := m["bob"]; b.Present || !b.InactiveSince.Equal(at(5).Add(time.Minute)) {
			t.Errorf("bob gone since the second collection: %+v", b)
		}
		if c := m["cy"]; !c.Present || c.State != vigil.AccountActive || c.InactiveSince != nil || !c.LastActiveSeen.Equal(at(9)) {
			t.Errorf("cy active again: %+v", c)
		}
		cs, _ := s.AccountCollections(owner)
		if !cs[x.ID].Equal(at(9)) {
			t.Errorf("the last collection: %v", cs)
		}
		// Links.
		p := &vigil.Person{Email: "ann@example.com", Name: "Ann"}
		if err := s.CreatePerson(owner, p); err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePerson(owner, &vigil.Person{Email: "ANN@example.com", Name: "Again"}); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Errorf("the same email twice: %v", err)
		}
		if err := s.SetAccountLink(owner, vigil.AccountLink{AccountKey: vigil.AccountKey{IntegrationID: x.ID, ExternalID: "nobody"}, PersonID: p.ID}); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Errorf("a link to an account never collected: %v", err)
		}
		if err := s.SetAccountLink(owner, vigil.AccountLink{AccountKey: vigil.AccountKey{IntegrationID: x.ID, ExternalID: "ann"}, PersonID: 999}); vigil.ErrorCode(err) != vigil.EINVALID {
			t.Errorf("a link to no person: %v", err)
		}
		if err := s.SetAccountLink(owner, vigil.AccountLink{AccountKey: vigil.AccountKey{IntegrationID: x.ID, ExternalID: "ann"}, PersonID: p.ID}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAccountLink(owner, vigil.AccountLink{AccountKey: vigil.AccountKey{IntegrationID: x.ID, ExternalID: "bob"}}); err != nil {
			t.Fatal(err)
		}
		ls, _ := s.AccountLinks(owner)
		if len(ls) != 2 {
			t.Fatalf("links: %+v", ls)
		}
		for _, l := range ls {
			if l.ExternalID == "ann" && l.PersonID != p.ID || l.ExternalID == "bob" && l.PersonID != 0 {
				t.Errorf("link %+v", l)
			}
		}
	})
}
