// Package vendors is the vendor module on the store: the inventory,
// due-diligence documents sealed into the evidence ledger with their
// reviews and CUEC mappings, questionnaires sent by single-use link and
// scored, the subprocessor list, and the VM-01 to VM-04 signals.
package vendors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/store"
)

// Service is the vendor module.
type Service struct {
	Store    *store.Store
	Evidence *evidence.Service
	Now      func() time.Time

	// The inventory as last listed, with the Version it was read at:
	// every change moves the activity head and states move with the day,
	// so an equal Version means the same list (on any replica).
	listMu   sync.Mutex
	listAt   string
	listRows []api.VendorRow
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// LinkPrefix starts every questionnaire link's secret, so that a leaked
// one is recognisable.
const LinkPrefix = "vq_"

func mayManage(ctx context.Context, what string) error {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner %s", what)
	}
	return nil
}

// Create adds a vendor.
func (s *Service) Create(ctx context.Context, v *vigil.Vendor) error {
	if err := mayManage(ctx, "adds a vendor"); err != nil {
		return err
	}
	return s.Store.CreateVendor(ctx, v)
}

// Update replaces a vendor's details.
func (s *Service) Update(ctx context.Context, id int64, with vigil.Vendor) (*vigil.Vendor, error) {
	if err := mayManage(ctx, "changes a vendor"); err != nil {
		return nil, err
	}
	return s.Store.UpdateVendor(ctx, id, func(v *vigil.Vendor) error {
		with.ID, with.Key, with.CreatedAt = v.ID, v.Key, v.CreatedAt
		*v = with
		return nil
	})
}

// records reads every vendor with its documents and rounds: three
// queries, whatever the inventory's size.
func (s *Service) records(ctx context.Context) (vigil.VendorRecords, error) {
	vs, err := s.Store.Vendors(ctx)
	if err != nil {
		return vigil.VendorRecords{}, err
	}
	docs, err := s.Store.VendorDocuments(ctx, 0)
	if err != nil {
		return vigil.VendorRecords{}, err
	}
	qs, err := s.Store.Questionnaires(ctx, 0)
	if err != nil {
		return vigil.VendorRecords{}, err
	}
	apps, err := s.Store.DiscoveredApps(ctx)
	if err != nil {
		return vigil.VendorRecords{}, err
	}
	r := vigil.VendorRecords{Vendors: vs, Documents: map[int64][]vigil.VendorDocument{}, Questionnaires: map[int64][]vigil.Questionnaire{}, Apps: apps}
	for _, d := range docs {
		r.Documents[d.VendorID] = append(r.Documents[d.VendorID], d)
	}
	for _, q := range qs {
		r.Questionnaires[q.VendorID] = append(r.Questionnaires[q.VendorID], q)
	}
	return r, nil
}

var expiryRank = map[vigil.ExpiryState]int{vigil.ExpiryNone: 0, vigil.ExpiryCurrent: 1, vigil.ExpiryExpiring: 2, vigil.ExpiryExpired: 3}

func row(v vigil.Vendor, docs []vigil.VendorDocument, qs []vigil.Questionnaire, now time.Time) api.VendorRow {
	r := api.VendorRow{Vendor: v, Review: v.ReviewAt(docs, qs, now), Expiry: vigil.ExpiryNone, Documents: len(docs)}
	// Only the latest of each kind: a superseded report is not a problem.
	latest := map[vigil.DocKind]vigil.VendorDocument{}
	for _, d := range docs {
		if cur, ok := latest[d.Kind]; !ok || !d.ValidUntil().Before(cur.ValidUntil()) {
			latest[d.Kind] = d
		}
	}
	for _, d := range latest {
		if st := d.ExpiryAt(now); expiryRank[st] > expiryRank[r.Expiry] {
			r.Expiry = st
		}
	}
	return r
}

// List is the inventory with each vendor's review and expiry state,
// from brief reads of documents and rounds (the states need no text),
// read again only when the Version has moved.
func (s *Service) List(ctx context.Context) ([]api.VendorRow, error) {
	at, err := s.Version(ctx)
	if err != nil {
		return nil, err
	}
	s.listMu.Lock()
	if s.listAt == at {
		out := slices.Clone(s.listRows)
		s.listMu.Unlock()
		return out, nil
	}
	s.listMu.Unlock()
	out, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	s.listMu.Lock()
	s.listAt, s.listRows = at, out
	s.listMu.Unlock()
	return slices.Clone(out), nil
}

func (s *Service) list(ctx context.Context) ([]api.VendorRow, error) {
	vs, err := s.Store.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	docs, err := s.Store.VendorDocumentsBrief(ctx)
	if err != nil {
		return nil, err
	}
	qs, err := s.Store.QuestionnairesBrief(ctx)
	if err != nil {
		return nil, err
	}
	byDoc, byQ := map[int64][]vigil.VendorDocument{}, map[int64][]vigil.Questionnaire{}
	for _, d := range docs {
		byDoc[d.VendorID] = append(byDoc[d.VendorID], d)
	}
	for _, q := range qs {
		byQ[q.VendorID] = append(byQ[q.VendorID], q)
	}
	now := s.now()
	out := make([]api.VendorRow, 0, len(vs))
	for _, v := range vs {
		out = append(out, row(v, byDoc[v.ID], byQ[v.ID], now))
	}
	return out, nil
}

// Get is one vendor with its documents and questionnaire rounds.
func (s *Service) Get(ctx context.Context, id int64) (*api.VendorDetail, error) {
	v, err := s.Store.Vendor(ctx, id)
	if err != nil {
		return nil, err
	}
	docs, err := s.Store.VendorDocuments(ctx, id)
	if err != nil {
		return nil, err
	}
	qs, err := s.Store.Questionnaires(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range qs {
		qs[i].State = qs[i].StateAt(now)
	}
	d := &api.VendorDetail{VendorRow: row(*v, docs, qs, now), DocumentList: []api.DocumentView{}, Questionnaires: qs}
	for _, doc := range docs {
		dv := api.DocumentView{VendorDocument: doc, Expiry: doc.ExpiryAt(now)}
		if u := doc.ValidUntil(); !u.IsZero() {
			dv.ValidUntil = vigil.Date(u.Format(time.DateOnly))
		}
		d.DocumentList = append(d.DocumentList, dv)
	}
	return d, nil
}

// FileMeta describes an uploaded file.
type FileMeta struct {
	Filename  string
	MediaType string
	Size      int64 // -1: unknown
}

// seal seals a file into the ledger against ctl, dated today
// (evidence.Service.SealFile).
func (s *Service) seal(ctx context.Context, ctl, title string, f FileMeta, r io.Reader) (*vigil.Evidence, error) {
	day := vigil.Date(s.now().UTC().Format(time.DateOnly))
	return s.Evidence.SealFile(ctx, ctl, evidence.Meta{Title: title, Filename: f.Filename, MediaType: f.MediaType,
		EffectiveStart: day, EffectiveEnd: day, DeclaredSize: f.Size}, r)
}

// AddDocument seals a due-diligence document into the ledger (against
// VM-03 for assurance reports, VM-04 for contract terms) and records it
// with its details and CUECs.
func (s *Service) AddDocument(ctx context.Context, d *vigil.VendorDocument, f FileMeta, r io.Reader) error {
	if err := mayManage(ctx, "adds a vendor document"); err != nil {
		return err
	}
	v, err := s.Store.Vendor(ctx, d.VendorID)
	if err != nil {
		return err
	}
	if r == nil || f.Filename == "" {
		return vigil.FieldError("file", "a document is kept with its file, sealed into the evidence ledger")
	}
	if err := d.Validate(); err != nil {
		return err
	}
	if err := d.CheckDates(s.now()); err != nil {
		return err
	}
	if d.Title == "" {
		d.Title = f.Filename
	}
	ev, err := s.seal(ctx, d.Kind.Control(), fmt.Sprintf("%s %s: %s", v.Key, v.Name, d.Title), f, r)
	if err != nil {
		return err
	}
	d.EvidenceID = ev.ID
	return s.Store.AddVendorDocument(ctx, d)
}

// ReviewDocument records the reviewer's conclusion on a document.
func (s *Service) ReviewDocument(ctx context.Context, id int64, c vigil.Conclusion, note string) (*vigil.VendorDocument, error) {
	if err := mayManage(ctx, "reviews a vendor document"); err != nil {
		return nil, err
	}
	c, err := vigil.ParseConclusion(string(c))
	if err != nil {
		return nil, err
	}
	if err := checkNote(note); err != nil {
		return nil, err
	}
	return s.Store.ReviewVendorDocument(ctx, id, c, strings.TrimSpace(note))
}

func checkNote(note string) error {
	if len(note) > vigil.MaxVendorTextLen {
		return vigil.FieldError("note", "the note must be at most %d characters", vigil.MaxVendorTextLen)
	}
	return nil
}

// MapCUEC maps a CUEC to the organization's controls that satisfy it.
func (s *Service) MapCUEC(ctx context.Context, id int64, controls []string) error {
	if err := mayManage(ctx, "maps a complementary control"); err != nil {
		return err
	}
	var ids []string
	for _, c := range controls {
		if c = strings.TrimSpace(c); c != "" {
			ids = append(ids, vigil.CanonicalControlID(c))
		}
	}
	return s.Store.MapCUEC(ctx, id, ids)
}

// Send sends a questionnaire round: a new link, good once, until it
// expires. The link's secret is returned here only; the store keeps its
// SHA-256.
func (s *Service) Send(ctx context.Context, vendorID int64, req api.QuestionnaireRequest) (*vigil.Questionnaire, string, error) {
	if err := mayManage(ctx, "sends a questionnaire"); err != nil {
		return nil, "", err
	}
	if _, err := LookupTemplate(req.Template); err != nil {
		return nil, "", err
	}
	contact, err := vigil.CheckContact(req.Contact)
	if err != nil {
		return nil, "", err
	}
	days := req.Days
	if days == 0 {
		days = vigil.QuestionnaireLinkDays
	}
	if days < 1 || days > vigil.MaxQuestionnaireLinkDays {
		return nil, "", vigil.FieldError("days", "a link lasts 1 to %d days, got %d", vigil.MaxQuestionnaireLinkDays, days)
	}
	msg := strings.TrimSpace(req.Message)
	if len(msg) > vigil.MaxVendorTextLen {
		return nil, "", vigil.FieldError("message", "the message must be at most %d characters", vigil.MaxVendorTextLen)
	}
	// Answers are sealed against VM-02: refuse now rather than when the
	// vendor answers.
	if ok, err := s.Store.ControlExists(ctx, vigil.VendorDiligenceControl); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", vigil.Errorf(vigil.ECONFLICT, "answers are sealed into the evidence ledger against %s, which the organization has not adopted: adopt it first", vigil.VendorDiligenceControl)
	}
	secret, hash, err := auth.NewSecret(LinkPrefix)
	if err != nil {
		return nil, "", err
	}
	q := &vigil.Questionnaire{VendorID: vendorID, ThreadID: req.ThreadID, Template: req.Template, Contact: contact, Message: msg,
		ExpiresAt: s.now().Add(time.Duration(days) * 24 * time.Hour)}
	if err := s.Store.CreateQuestionnaire(ctx, q, hash); err != nil {
		return nil, "", err
	}
	return q, secret, nil
}

// LinkView is what a link's page shows the vendor: nothing beyond its
// own questionnaire.
type LinkView struct {
	Organization string
	Vendor       string
	Round        int
	Message      string
	ExpiresAt    time.Time
	Template     Template
}

// Open reads the round a link opens, or store.ErrLinkRefused.
func (s *Service) Open(ctx context.Context, secret string) (*LinkView, error) {
	if !strings.HasPrefix(secret, LinkPrefix) || len(secret) > 100 {
		return nil, store.ErrLinkRefused
	}
	q, err := s.Store.OpenQuestionnaire(ctx, auth.HashSecret(secret), s.now())
	if err != nil {
		return nil, err
	}
	t, err := LookupTemplate(q.Template)
	if err != nil {
		return nil, err
	}
	lv := &LinkView{Vendor: q.VendorName, Round: q.Round, Message: q.Message, ExpiresAt: q.ExpiresAt, Template: t}
	if o, err := s.Store.Organization(ctx); err == nil {
		lv.Organization = o.Name
	}
	return lv, nil
}

// Upload is one file a vendor attaches, already read (bounded).
type Upload struct {
	Filename string
	Data     []byte
}

// answersRecord is what the ledger keeps of a round's answers.
type answersRecord struct {
	Vendor      string             `json:"vendor"`
	Round       int                `json:"round"`
	Thread      int64              `json:"thread"`
	Template    string             `json:"template"`
	Contact     string             `json:"contact"`
	Score       int                `json:"score"`
	Answers     []vigil.Answer     `json:"answers"`
	Attachments []vigil.Attachment `json:"attachments"`
	SubmittedAt time.Time          `json:"submitted_at"`
}

// Submit records a vendor's answers through its link: checked and scored
// first, then the attachments and the answers sealed against VM-02, then
// the link used up in one transaction with the answers. A link used or
// expired meanwhile is refused; what was sealed for it stays in the
// ledger, unreferenced, as every ledger entry does.
func (s *Service) Submit(ctx context.Context, secret string, answers []vigil.Answer, files []Upload) (*vigil.Questionnaire, error) {
	if !strings.HasPrefix(secret, LinkPrefix) || len(secret) > 100 {
		return nil, store.ErrLinkRefused
	}
	hash := auth.HashSecret(secret)
	q, err := s.Store.OpenQuestionnaire(ctx, hash, s.now())
	if err != nil {
		return nil, err
	}
	t, err := LookupTemplate(q.Template)
	if err != nil {
		return nil, err
	}
	score, answers, err := vigil.ScoreAnswers(t.Questions, answers)
	if err != nil {
		return nil, err
	}
	if len(files) > vigil.MaxAttachments {
		return nil, vigil.FieldError("files", "at most %d files may be attached", vigil.MaxAttachments)
	}
	for _, f := range files {
		if err := vigil.CheckFilename(f.Filename); err != nil {
			return nil, vigil.FieldError("files", "%s", vigil.ErrorMessage(err))
		}
		if len(f.Data) == 0 || len(f.Data) > vigil.MaxAttachmentBytes {
			return nil, vigil.FieldError("files", "%s must hold 1 byte to %d MiB", f.Filename, vigil.MaxAttachmentBytes>>20)
		}
	}
	sctx := vigil.WithActor(ctx, vigil.Actor{Name: "vendor contact " + q.Contact, Role: vigil.RoleOwner})
	q.Answers, q.Score, q.Attachments = answers, score, []vigil.Attachment{}
	for _, f := range files {
		ev, err := s.seal(sctx, vigil.VendorDiligenceControl, fmt.Sprintf("%s questionnaire round %d: attachment %s", q.VendorName, q.Round, f.Filename),
			FileMeta{Filename: f.Filename, Size: int64(len(f.Data))}, bytes.NewReader(f.Data))
		if err != nil {
			return nil, err
		}
		q.Attachments = append(q.Attachments, vigil.Attachment{EvidenceID: ev.ID, Filename: f.Filename, Size: ev.Size, SHA256: ev.SHA256})
	}
	body, err := json.MarshalIndent(answersRecord{Vendor: q.VendorName, Round: q.Round, Thread: q.ThreadID, Template: q.Template, Contact: q.Contact,
		Score: score, Answers: answers, Attachments: q.Attachments, SubmittedAt: s.now().UTC()}, "", "  ")
	if err != nil {
		return nil, err
	}
	ev, err := s.seal(sctx, vigil.VendorDiligenceControl, fmt.Sprintf("%s questionnaire round %d: answers (score %d%%)", q.VendorName, q.Round, score),
		FileMeta{Filename: "questionnaire-" + strconv.FormatInt(q.ID, 10) + ".json", MediaType: "application/json", Size: int64(len(body))}, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	q.EvidenceID = ev.ID
	if err := s.Store.SubmitQuestionnaire(sctx, hash, q); err != nil {
		return nil, err
	}
	return q, nil
}

// Review records the reviewer's conclusion on an answered round.
func (s *Service) Review(ctx context.Context, id int64, c vigil.Conclusion, note string) (*vigil.Questionnaire, error) {
	if err := mayManage(ctx, "reviews a questionnaire"); err != nil {
		return nil, err
	}
	c, err := vigil.ParseConclusion(string(c))
	if err != nil {
		return nil, err
	}
	if err := checkNote(note); err != nil {
		return nil, err
	}
	return s.Store.ReviewQuestionnaire(ctx, id, c, strings.TrimSpace(note))
}

// Questionnaire reads one round.
func (s *Service) Questionnaire(ctx context.Context, id int64) (*vigil.Questionnaire, error) {
	return s.Store.Questionnaire(ctx, id)
}

// Subprocessors is the subprocessor list derived from the inventory.
func (s *Service) Subprocessors(ctx context.Context) ([]vigil.Subprocessor, error) {
	vs, err := s.Store.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	return vigil.Subprocessors(vs), nil
}

// Name is the signal source's name.
func (s *Service) Name() string { return "vendors" }

// Version changes with every change (the activity log's head), every
// day (reviews fall due and documents expire with the clock), and every
// listing of apps from a connected system (which writes no activity
// entry, yet changes VM-01's untracked vendors).
func (s *Service) Version(ctx context.Context) (string, error) {
	head, err := s.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	apps, err := s.Store.DiscoveryVersion(ctx)
	if err != nil {
		return "", err
	}
	return s.now().UTC().Format(time.DateOnly) + "/" + strconv.FormatInt(head, 10) + "/" + apps, nil
}

// Signals reports VM-01 to VM-04 (vigil.VendorSignals).
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	rec, err := s.records(ctx)
	if err != nil {
		return nil, err
	}
	return vigil.VendorSignals(rec, s.now()), nil
}
