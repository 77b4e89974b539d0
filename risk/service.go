package risk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/store"
)

// Service is the risk module on the store.
type Service struct {
	Store    *store.Store
	Evidence *evidence.Service
	Now      func() time.Time

	// The register as last read, and the version it was read at: the
	// register page, its filters and heat maps read it whole, and 5,000
	// risks take longer to scan than the page may. The version is the
	// newest activity entry about what the register shows (registerTypes),
	// so writes elsewhere leave it warm.
	mu      sync.Mutex
	cached  []vigil.Risk
	version int64
}

// register is every risk, read again only when something changed.
// registerTypes are the entities a risk row is read from: the risk, its
// owner's and approver's names and state, and the controls it links.
var registerTypes = []string{"risk", "user", "control"}

func (s *Service) register(ctx context.Context) ([]vigil.Risk, error) {
	v, err := s.Store.EntityVersion(ctx, registerTypes...)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cached != nil && s.version == v {
		rs := slices.Clone(s.cached)
		s.mu.Unlock()
		return rs, nil
	}
	s.mu.Unlock()
	// Read after the version: what is cached is at least as new as it.
	rs, err := s.Store.Risks(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cached, s.version = slices.Clone(rs), v
	s.mu.Unlock()
	return rs, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func mayManage(ctx context.Context, what string) error {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner %s", what)
	}
	return nil
}

// Scale is the scale risks are scored on.
func (s *Service) Scale() vigil.RiskScale { return vigil.DefaultRiskScale }

// Risks lists the register's risks that pass the filter.
func (s *Service) Risks(ctx context.Context, f vigil.RiskFilter) ([]vigil.Risk, error) {
	rs, err := s.register(ctx)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for i := range rs {
		if f.Match(&rs[i]) {
			out = append(out, rs[i])
		}
	}
	return out, nil
}

// Risk reads one risk.
func (s *Service) Risk(ctx context.Context, id int64) (*vigil.Risk, error) {
	return s.Store.Risk(ctx, id)
}

// Create adds a risk to the register.
func (s *Service) Create(ctx context.Context, r *vigil.Risk) error {
	if err := mayManage(ctx, "adds a risk"); err != nil {
		return err
	}
	return s.Store.CreateRisks(ctx, []*vigil.Risk{r})
}

// AddFromLibrary starts register entries from library risks: each with
// the library's description, threat, vulnerability and suggested scores,
// owned by ownerID (0: nobody yet), linked to those of its suggested
// controls the organization has adopted. Treatment and review date are
// left for the owner to decide. All are added, or none.
func (s *Service) AddFromLibrary(ctx context.Context, ids []string, ownerID int64) ([]vigil.Risk, error) {
	if err := mayManage(ctx, "adds risks"); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, vigil.FieldError("ids", "pick at least one risk from the library")
	}
	lib, err := Library()
	if err != nil {
		return nil, err
	}
	byID := map[string]vigil.LibraryRisk{}
	for _, l := range lib {
		byID[l.ID] = l
	}
	existing, err := s.Store.Risks(ctx)
	if err != nil {
		return nil, err
	}
	var rs []*vigil.Risk
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.ToUpper(strings.TrimSpace(id))
		l, ok := byID[id]
		if !ok {
			return nil, vigil.FieldError("ids", "no library risk %q", truncate(id, 20))
		}
		if seen[id] || slices.ContainsFunc(existing, func(r vigil.Risk) bool { return r.LibraryID == id }) {
			return nil, vigil.FieldError("ids", "%s %s is already in the register", id, l.Title)
		}
		seen[id] = true
		r := &vigil.Risk{LibraryID: l.ID, Title: l.Title, Category: l.Category, Description: l.Description, Threat: l.Threat,
			Vulnerability: l.Vulnerability, Likelihood: l.Likelihood, Impact: l.Impact, OwnerID: ownerID}
		for _, c := range l.Controls {
			if ok, err := s.Store.ControlExists(ctx, c); err != nil {
				return nil, err
			} else if ok {
				r.Controls = append(r.Controls, c)
			}
		}
		rs = append(rs, r)
	}
	if err := s.Store.CreateRisks(ctx, rs); err != nil {
		return nil, err
	}
	out := make([]vigil.Risk, 0, len(rs))
	for _, r := range rs {
		x, err := s.Store.Risk(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *x)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Update applies a patch: scores, controls, treatment, owner, review date.
func (s *Service) Update(ctx context.Context, id int64, p *vigil.RiskPatch) (*vigil.Risk, error) {
	if err := mayManage(ctx, "changes a risk"); err != nil {
		return nil, err
	}
	return s.Store.UpdateRisk(ctx, id, "risk.update", p.Apply)
}

// RequestAcceptance makes accept a risk's treatment, pending the approval
// of approver (someone other than the owner) until expires.
func (s *Service) RequestAcceptance(ctx context.Context, id, approver int64, expires vigil.Date, note string) (*vigil.Risk, error) {
	if err := mayManage(ctx, "requests a risk acceptance"); err != nil {
		return nil, err
	}
	return s.Store.UpdateRisk(ctx, id, "risk.accept.request", func(r *vigil.Risk, now time.Time) error {
		return r.RequestAcceptance(approver, expires, note, now)
	})
}

// ApproveAcceptance records the actor's approval: only the approver the
// acceptance names may give it, never the owner (vigil.Actor.ApproveAcceptance).
func (s *Service) ApproveAcceptance(ctx context.Context, id int64) (*vigil.Risk, error) {
	a := vigil.ActorFrom(ctx)
	return s.Store.UpdateRisk(ctx, id, "risk.accept.approve", func(r *vigil.Risk, now time.Time) error {
		return a.ApproveAcceptance(r, now)
	})
}

// HeatMap counts the register's risks on the scale, inherent or residual.
func (s *Service) HeatMap(ctx context.Context, residual bool) (vigil.HeatMap, error) {
	rs, err := s.register(ctx)
	if err != nil {
		return vigil.HeatMap{}, err
	}
	return vigil.NewHeatMap(rs, s.Scale(), residual), nil
}

// Assessments lists the risk assessments, oldest first.
func (s *Service) Assessments(ctx context.Context) ([]vigil.RiskAssessment, error) {
	return s.Store.RiskAssessments(ctx)
}

// Assessment reads one assessment.
func (s *Service) Assessment(ctx context.Context, id int64) (*vigil.RiskAssessment, error) {
	return s.Store.RiskAssessment(ctx, id)
}

// RunAssessment records an assessment: the register as it stands now,
// the participants and the method. It counts once signed.
func (s *Service) RunAssessment(ctx context.Context, a *vigil.RiskAssessment) error {
	if err := mayManage(ctx, "runs a risk assessment"); err != nil {
		return err
	}
	now := s.now()
	if err := a.Validate(now); err != nil {
		return err
	}
	rs, err := s.Store.Risks(ctx)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return vigil.Errorf(vigil.ECONFLICT, "the risk register is empty: add risks (the library has common ones) before assessing them")
	}
	a.Register = make([]vigil.RiskSnapshot, len(rs))
	for i := range rs {
		a.Register[i] = rs[i].Snapshot(now)
	}
	return s.Store.AddRiskAssessment(ctx, a)
}

// assessmentRecord is what the ledger keeps of a signed assessment.
type assessmentRecord struct {
	Assessment   string               `json:"assessment"`
	PerformedOn  vigil.Date           `json:"performed_on"`
	Method       string               `json:"method"`
	Participants []string             `json:"participants"`
	NextDue      vigil.Date           `json:"next_due"`
	Scale        vigil.RiskScale      `json:"scale"`
	Register     []vigil.RiskSnapshot `json:"register"`
	SignedBy     string               `json:"signed_by"`
	SignedAt     time.Time            `json:"signed_at"`
}

// SignAssessment signs an assessment off and seals it, as signed, into
// the evidence ledger: one item linked to RA-01 (and RA-02 and RA-03 when
// adopted). RA-01 must be adopted: the ledger links every item to a control.
func (s *Service) SignAssessment(ctx context.Context, id int64) (*vigil.RiskAssessment, error) {
	if err := mayManage(ctx, "signs a risk assessment"); err != nil {
		return nil, err
	}
	actor := vigil.ActorFrom(ctx)
	if actor.UserID == 0 {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "an assessment is signed by a person, signed in")
	}
	a, err := s.Store.RiskAssessment(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.SignedAt != nil {
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s is already signed", a.Key)
	}
	var ctls []string
	for _, c := range vigil.RiskControls {
		if ok, err := s.Store.ControlExists(ctx, c); err != nil {
			return nil, err
		} else if ok {
			ctls = append(ctls, c)
		}
	}
	if !slices.Contains(ctls, vigil.RiskAssessmentControl) {
		return nil, vigil.Errorf(vigil.ECONFLICT, "the assessment is sealed into the evidence ledger against %s, which the organization has not adopted: adopt it first", vigil.RiskAssessmentControl)
	}
	signer := actor.Name
	if u, err := s.Store.User(ctx, actor.UserID); err == nil {
		signer = u.Name + " (" + u.Email + ")"
	}
	at := s.now().UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(assessmentRecord{Assessment: a.Key, PerformedOn: a.PerformedOn, Method: a.Method, Participants: a.Participants,
		NextDue: a.NextDue, Scale: s.Scale(), Register: a.Register, SignedBy: signer, SignedAt: at}, "", "  ")
	if err != nil {
		return nil, err
	}
	// The assessment answers RA-01's evidence requests: once a reviewer
	// accepts it, it fulfils the period it falls in.
	reqs, err := s.Store.Requests(ctx, vigil.RiskAssessmentControl)
	if err != nil {
		return nil, err
	}
	var reqIDs []int64
	for _, r := range reqs {
		reqIDs = append(reqIDs, r.ID)
	}
	end := a.NextDue.Time().AddDate(0, 0, -1).Format(time.DateOnly)
	ev, err := s.Evidence.Upload(ctx, evidence.Meta{Source: vigil.SourceReview, Title: fmt.Sprintf("%s: annual risk assessment of %s, signed", a.Key, a.PerformedOn),
		Filename: strings.ToLower(a.Key) + ".json", MediaType: "application/json", EffectiveStart: a.PerformedOn, EffectiveEnd: vigil.Date(end),
		Controls: ctls, Requests: reqIDs, DeclaredSize: int64(len(b))}, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if err := s.Store.SignRiskAssessment(ctx, id, at, ev.ID); err != nil {
		return nil, err
	}
	return s.Store.RiskAssessment(ctx, id)
}

// Name is the signal source's name.
func (s *Service) Name() string { return "risks" }

// Version changes with every change and every day (reviews, expiries and
// the next assessment fall due with the clock).
func (s *Service) Version(ctx context.Context) (string, error) {
	head, err := s.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	return s.now().UTC().Format(time.DateOnly) + "/" + strconv.FormatInt(head, 10), nil
}

// Signals reports RA-01, RA-02 and RA-03 (vigil.RiskSignals).
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	rs, err := s.Store.Risks(ctx)
	if err != nil {
		return nil, err
	}
	as, err := s.Store.RiskAssessments(ctx)
	if err != nil {
		return nil, err
	}
	return vigil.RiskSignals(rs, as, s.now()), nil
}

// Import reads a risk register export. Without confirm it is a dry run:
// every bad row with its line and column (owners who are not users,
// controls not adopted included), or the risks it would add. With
// confirm, the SHA-256 the preview gave, a clean file's risks are added
// in one transaction: all, or none.
func (s *Service) Import(ctx context.Context, data []byte, confirm string) (*vigil.RiskImport, error) {
	if err := mayManage(ctx, "imports risks"); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	out := &vigil.RiskImport{SHA256: hex.EncodeToString(sum[:]), Rows: []vigil.RiskSnapshot{}, Errors: []vigil.RowError{}}
	if confirm != "" && confirm != out.SHA256 {
		return nil, vigil.FieldError("confirm", "the file is not the one previewed (its SHA-256 is %s): preview it again", out.SHA256)
	}
	rows, errs := ParseCSV(data)
	refErrs, err := s.checkRefs(ctx, rows)
	if err != nil {
		return nil, err
	}
	if errs = append(errs, refErrs...); len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b vigil.RowError) int { return a.Line - b.Line })
		out.Errors = errs
		return out, nil
	}
	rs := make([]*vigil.Risk, len(rows))
	for i := range rows {
		rs[i] = &rows[i].Risk
		out.Rows = append(out.Rows, rows[i].Risk.Snapshot(s.now()))
		out.Rows[i].Owner = rows[i].OwnerEmail
	}
	if confirm == "" {
		return out, nil
	}
	if err := s.Store.CreateRisks(ctx, rs); err != nil {
		return nil, err
	}
	out.Imported = true
	for i, r := range rs {
		out.Keys = append(out.Keys, r.Key)
		out.Rows[i].Key = r.Key
	}
	return out, nil
}

// checkRefs resolves each row's owner email to a user and checks its
// controls are the organization's, naming the line of each that is not.
func (s *Service) checkRefs(ctx context.Context, rows []ImportRow) ([]vigil.RowError, error) {
	us, err := s.Store.ListUsers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	byEmail := map[string]*vigil.User{}
	for i := range us {
		byEmail[strings.ToLower(us[i].Email)] = &us[i]
	}
	adopted := map[string]bool{}
	var errs []vigil.RowError
	for i := range rows {
		x := &rows[i]
		if x.OwnerEmail != "" {
			u := byEmail[x.OwnerEmail]
			switch {
			case u == nil:
				errs = append(errs, vigil.RowError{Line: x.Line, Column: "owner_email", Message: fmt.Sprintf("%s is not a Vigil user: add them first, or leave the owner empty", truncate(x.OwnerEmail, 60))})
			case u.Disabled:
				errs = append(errs, vigil.RowError{Line: x.Line, Column: "owner_email", Message: x.OwnerEmail + " is disabled"})
			default:
				x.Risk.OwnerID = u.ID
			}
		}
		for _, c := range x.Risk.Controls {
			ok, seen := adopted[c]
			if !seen {
				if ok, err = s.Store.ControlExists(ctx, c); err != nil {
					return nil, err
				}
				adopted[c] = ok
			}
			if !ok {
				errs = append(errs, vigil.RowError{Line: x.Line, Column: "controls", Message: fmt.Sprintf("control %s is not one of the organization's controls: adopt it first", truncate(c, 20))})
			}
		}
	}
	return errs, nil
}

// Simulate runs the risk's quantitative estimate (vigil.Simulate) with a
// seed of the risk's ID unless one is given: the same answer every time.
func (s *Service) Simulate(ctx context.Context, id int64, seed uint64) (*vigil.Simulation, error) {
	r, err := s.Store.Risk(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Quant == nil {
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s has no quantitative estimate: give its frequency and loss range first", r.Key)
	}
	if seed == 0 {
		seed = uint64(r.ID)
	}
	sim := vigil.Simulate(*r.Quant, vigil.SimulationDraws, seed)
	return &sim, nil
}
