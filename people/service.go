// Package people is the personnel module: the register and its CSV
// import, people matched to the accounts connected systems list,
// offboarding judged from those systems' collections, acknowledgements of
// the published policies, and each person's own tasks. Its signals feed
// HR-07 (offboarding) and GV-02 (acknowledgements).
package people

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/store"
	"github.com/vigil-soc/vigil/training"
)

// Service is the personnel module on the store.
type Service struct {
	Store *store.Store
	Now   func() time.Time
	// Lookback is how far back leavers count for offboarding's signal
	// when no audit window is set (default a year).
	Lookback time.Duration
	// Training, when set, adds the training due to each person's tasks.
	Training *training.Service
	// Evidence, when set, receives the sealed rosters and logs, and the
	// HR records' files (background check reports, signed agreements).
	Evidence *evidence.Service
	// Mailer, when set, sends reminders; BaseURL is the public address
	// their links point to.
	Mailer  Mailer
	BaseURL string
	// ReminderEvery is how often a person with acknowledgements pending
	// is reminded (default vigil.DefaultReminderEvery).
	ReminderEvery time.Duration

	acks ackCache
	reg  peopleCache
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// MaxPreviewChanges bounds the changes a preview lists.
const MaxPreviewChanges = 500

// PreviewImport parses a file and says what importing it would do;
// nothing in the register changes. A clean file is staged for Confirm.
func (s *Service) PreviewImport(ctx context.Context, data []byte) (*vigil.ImportPreview, error) {
	sum := sha256.Sum256(data)
	pv := &vigil.ImportPreview{SHA256: hex.EncodeToString(sum[:]), Errors: []vigil.RowError{}, Changes: []vigil.ImportChange{}}
	rows, errs := ParseCSV(data)
	if len(errs) > 0 {
		pv.Errors = errs
		return pv, nil
	}
	pv.Rows = len(rows)
	existing, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	byEmail := make(map[string]*vigil.Person, len(existing))
	for i := range existing {
		byEmail[existing[i].Email] = &existing[i]
	}
	inFile := make(map[string]bool, len(rows))
	for i := range rows {
		p := &rows[i]
		inFile[p.Email] = true
		old := byEmail[p.Email]
		c := vigil.ImportChange{Line: i + 2, Email: p.Email}
		switch {
		case old == nil:
			c.Action = "create"
			pv.Counts.Created++
		case old.Same(p):
			pv.Counts.Unchanged++
			continue
		default:
			c.Action, c.Fields = "update", changedFields(old, p)
			pv.Counts.Updated++
		}
		if p.End != "" && (old == nil || old.End != p.End) {
			pv.Leavers = append(pv.Leavers, p.Email+" ("+string(p.End)+")")
		}
		if len(pv.Changes) < MaxPreviewChanges {
			pv.Changes = append(pv.Changes, c)
		} else {
			pv.Truncated = true
		}
	}
	for e := range byEmail {
		if !inFile[e] {
			pv.NotInFile++
		}
	}
	if len(pv.Leavers) > MaxPreviewChanges {
		pv.Leavers, pv.Truncated = pv.Leavers[:MaxPreviewChanges], true
	}
	if pv.ID, err = s.Store.StagePeopleImport(ctx, pv.SHA256, string(data)); err != nil {
		return nil, err
	}
	return pv, nil
}

func changedFields(a, b *vigil.Person) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{{"name", a.Name == b.Name}, {"title", a.Title == b.Title}, {"department", a.Department == b.Department},
		{"manager_email", a.ManagerEmail == b.ManagerEmail}, {"location", a.Location == b.Location}, {"employment_type", a.Type == b.Type},
		{"start_date", a.Start == b.Start}, {"end_date", a.End == b.End}, {"in_scope", a.InScope == b.InScope},
		{"aliases", slices.Equal(a.Aliases, b.Aliases)}} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// ConfirmImport applies a staged file, named by its ID and hash: the rows
// are parsed again from the stored bytes, so what is written is what was
// previewed. Only whoever previewed it may confirm it.
func (s *Service) ConfirmImport(ctx context.Context, id int64, sha string) (vigil.ImportCounts, error) {
	x, err := s.Store.PeopleImport(ctx, id)
	if err != nil {
		return vigil.ImportCounts{}, err
	}
	if actor := vigil.ActorFrom(ctx); x.CreatedBy != actor.UserID {
		return vigil.ImportCounts{}, vigil.Errorf(vigil.EFORBIDDEN, "import %d was previewed by someone else; preview the file yourself", id)
	}
	rows, errs := ParseCSV([]byte(x.Content))
	if len(errs) > 0 {
		return vigil.ImportCounts{}, vigil.Errorf(vigil.EINVALID, "import %d no longer parses: %s", id, rowString(errs[0]))
	}
	return s.Store.ApplyPeopleImport(ctx, id, sha, rows)
}

// Create adds a person by hand.
func (s *Service) Create(ctx context.Context, p *vigil.Person) error {
	p.Source = "manual"
	return s.Store.CreatePerson(ctx, p)
}

// Patch changes a person's record by hand (an end date, scope, aliases).
func (s *Service) Patch(ctx context.Context, id int64, fn func(*vigil.Person) error) (*vigil.Person, error) {
	return s.Store.UpdatePerson(ctx, id, fn)
}

// List returns the register.
func (s *Service) List(ctx context.Context) ([]vigil.Person, error) { return s.people(ctx) }

// state is everything the module's views are computed from, read once.
type state struct {
	people      []vigil.Person
	byID        map[int64]*vigil.Person
	accounts    []vigil.Account
	collections map[int64]time.Time
}

func (s *Service) load(ctx context.Context) (*state, error) {
	st := &state{}
	var err error
	if st.people, err = s.people(ctx); err != nil {
		return nil, err
	}
	if st.accounts, err = s.Store.Accounts(ctx); err != nil {
		return nil, err
	}
	links, err := s.Store.AccountLinks(ctx)
	if err != nil {
		return nil, err
	}
	if st.collections, err = s.Store.AccountCollections(ctx); err != nil {
		return nil, err
	}
	vigil.MatchAccounts(st.people, st.accounts, links)
	st.byID = make(map[int64]*vigil.Person, len(st.people))
	for i := range st.people {
		st.byID[st.people[i].ID] = &st.people[i]
	}
	return st, nil
}

// offboarding judges every matched account of everyone who has left.
func (st *state) offboarding(now time.Time) []vigil.OffboardingItem {
	var out []vigil.OffboardingItem
	for i := range st.accounts {
		a := &st.accounts[i]
		p := st.byID[a.PersonID]
		if p == nil || p.End == "" || now.Before(p.Departure()) {
			continue
		}
		out = append(out, vigil.Offboard(p, a, st.collections[a.IntegrationID], now))
	}
	slices.SortFunc(out, func(a, b vigil.OffboardingItem) int {
		if c := b.Departure.Compare(a.Departure); c != 0 {
			return c
		}
		if a.Email != b.Email {
			return cmpStr(a.Email, b.Email)
		}
		return cmpStr(a.Account.System+a.Account.ExternalID, b.Account.System+b.Account.ExternalID)
	})
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// unmatchedLeavers are the people who have left with no account matched.
func (st *state) unmatchedLeavers(items []vigil.OffboardingItem, now time.Time) []vigil.Person {
	has := map[int64]bool{}
	for _, it := range items {
		has[it.PersonID] = true
	}
	var out []vigil.Person
	for _, p := range st.people {
		if p.End != "" && !now.Before(p.Departure()) && !has[p.ID] {
			out = append(out, p)
		}
	}
	return out
}

// Offboarding returns the offboarding log.
func (s *Service) Offboarding(ctx context.Context) (*vigil.OffboardingLog, error) {
	st, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &vigil.OffboardingLog{Items: st.offboarding(now), Unmatched: []vigil.Person{}, Sources: len(st.collections)}
	if out.Items == nil {
		out.Items = []vigil.OffboardingItem{}
	}
	out.Unmatched = append(out.Unmatched, st.unmatchedLeavers(out.Items, now)...)
	return out, nil
}

// Get returns one person's detail.
func (s *Service) Get(ctx context.Context, id int64) (*vigil.PersonDetail, error) {
	st, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	p := st.byID[id]
	if p == nil {
		return nil, vigil.NotFound("person", strconv.FormatInt(id, 10))
	}
	now := s.now()
	d := &vigil.PersonDetail{Person: *p, Accounts: []vigil.Account{}, Offboarding: []vigil.OffboardingItem{}}
	for _, a := range st.accounts {
		if a.PersonID == id {
			d.Accounts = append(d.Accounts, a)
		}
	}
	for _, it := range st.offboarding(now) {
		if it.PersonID == id {
			d.Offboarding = append(d.Offboarding, it)
		}
	}
	// Only people in scope and working here are asked to acknowledge.
	d.Acks = []vigil.AckLine{}
	if p.InScope && p.Active(now) {
		if d.Acks, err = s.acksOf(ctx, p, now); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Service) acksOf(ctx context.Context, p *vigil.Person, now time.Time) ([]vigil.AckLine, error) {
	reqs, err := s.Store.AckRequirements(ctx)
	if err != nil {
		return nil, err
	}
	out := []vigil.AckLine{}
	err = s.withLatest(ctx, func(latest func(int64, string) *vigil.PolicyAck) error {
		for i := range reqs {
			r := &reqs[i]
			out = append(out, vigil.AckLine{AckStatus: vigil.AckStatusOf(r, p, latest(r.PolicyID, p.Email), now), Key: r.Key, Title: r.Title})
		}
		return nil
	})
	return out, err
}

// Accounts lists every collected account with its match.
func (s *Service) Accounts(ctx context.Context) ([]vigil.Account, error) {
	st, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	return st.accounts, nil
}

// Link matches an account to a person by hand (0: to nobody).
func (s *Service) Link(ctx context.Context, l vigil.AccountLink) error {
	return s.Store.SetAccountLink(ctx, l)
}

// Name is the signal source's name.
func (s *Service) Name() string { return "people" }

// Version changes with every recorded change, every collection of
// accounts, and every day (deadlines pass with the clock).
func (s *Service) Version(ctx context.Context) (string, error) {
	head, err := s.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	cs, err := s.Store.AccountCollections(ctx)
	if err != nil {
		return "", err
	}
	var latest time.Time
	for _, t := range cs {
		if t.After(latest) {
			latest = t
		}
	}
	now := s.now().UTC()
	// Deadlines are hours, not days: the version moves every hour.
	return fmt.Sprintf("%s/%d/%d/%d", now.Format("2006-01-02T15"), head, latest.UnixNano(), len(cs)), nil
}

// Signals reports offboarding (HR-07) and acknowledgements (GV-02).
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	st, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	from := now.Add(-s.lookback())
	// Within a Type II window, leavers since its start; otherwise the
	// last year's.
	if sc, err := s.Store.Scope(ctx); err == nil && sc.WindowStart != "" && sc.WindowStart.Time().Before(now) {
		from = sc.WindowStart.Time()
	} else if err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
		return nil, err
	}
	items := st.offboarding(now)
	out := map[string][]vigil.Signal{
		vigil.OffboardingControl: vigil.OffboardingSignals(items, st.unmatchedLeavers(items, now), len(st.people), len(st.collections), from),
	}
	reqs, err := s.Store.AckRequirements(ctx)
	if err != nil {
		return nil, err
	}
	err = s.withLatest(ctx, func(latest func(int64, string) *vigil.PolicyAck) error {
		out[vigil.AckControl] = vigil.AckSignals(reqs, st.people, latest, now)
		return nil
	})
	return out, err
}

func (s *Service) lookback() time.Duration {
	if s.Lookback > 0 {
		return s.Lookback
	}
	return 365 * 24 * time.Hour
}
