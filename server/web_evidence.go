package server

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/evidence"
)

// evidenceSection is what the control page shows of its evidence.
type evidenceSection struct {
	Items    []vigil.Evidence
	Requests []api.RequestView
	CanAdd   bool
	Freqs    []vigil.RequestFrequency
	Today    string
	// GraceDays is the request form's default grace, the CLI's too.
	GraceDays int
	// NoReview holds, for items the viewer may not review (they submitted
	// them and independent review is required), why not.
	NoReview map[int64]string
}

func (s *Server) evidenceFor(r *http.Request, c *vigil.Control) (*evidenceSection, error) {
	if s.evidence == nil {
		return nil, nil
	}
	items, err := s.store.ListEvidence(r.Context(), vigil.EvidenceFilter{Control: c.ID, Limit: 50, Open: openOnly(r)})
	if err != nil {
		return nil, err
	}
	reqs, err := s.requestViews(r, c.ID)
	if err != nil {
		return nil, err
	}
	settings, err := s.store.EvidenceSettings(r.Context())
	if err != nil {
		return nil, err
	}
	a := vigil.ActorFrom(r.Context())
	sec := &evidenceSection{Items: items, Requests: reqs, CanAdd: a.MayEditControl(c), Freqs: vigil.RequestFrequencies,
		Today: s.now().UTC().Format("2006-01-02"), GraceDays: vigil.DefaultGraceDays, NoReview: map[int64]string{}}
	for i := range items {
		if err := vigil.CheckReviewer(&items[i], a, settings.IndependentReview); err != nil {
			sec.NoReview[items[i].ID] = "You submitted this item: another reviewer must accept or reject it."
		}
	}
	return sec, nil
}

// uploadPage takes files from a multipart form, streamed part by part: the
// form's first field must be its CSRF token, checked before any file is
// read (the page wrapper cannot check it without reading the whole body).
func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws := sessionFrom(ctx)
	c, err := s.store.Control(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !vigil.ActorFrom(ctx).MayEditControl(c) {
		return vigil.Errorf(vigil.EFORBIDDEN, "you may add evidence only for controls you own")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return vigil.Errorf(vigil.EINVALID, "the upload form could not be read")
	}
	fields := map[string]string{}
	var added []string
	var uploadErr error
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			uploadErr = vigil.Errorf(vigil.EINVALID, "the upload was interrupted")
			break
		}
		name := part.FormName()
		if part.FileName() == "" {
			v, _ := io.ReadAll(io.LimitReader(part, 10<<10))
			fields[name] = string(v)
			if name == "csrf" && !tokenEqual(fields["csrf"], ws.session.CSRF) {
				return vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
			}
			continue
		}
		if !tokenEqual(fields["csrf"], ws.session.CSRF) {
			return vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
		}
		e, err := s.uploadPart(r, c, fields, part)
		if err != nil {
			uploadErr = fmt.Errorf("%s: %s", part.FileName(), vigil.ErrorMessage(err))
			if vigil.ErrorCode(err) == vigil.EINTERNAL {
				return err
			}
			break
		}
		added = append(added, e.Filename)
	}
	switch {
	case uploadErr != nil && len(added) > 0:
		s.flash(w, r, fmt.Sprintf("Added %s. Stopped at %v", strings.Join(added, ", "), uploadErr))
	case uploadErr != nil:
		s.flash(w, r, "Nothing added: "+uploadErr.Error())
	case len(added) == 0:
		s.flash(w, r, "Nothing added: choose at least one file.")
	default:
		s.flash(w, r, fmt.Sprintf("Added %d file(s) as evidence: %s.", len(added), strings.Join(added, ", ")))
	}
	http.Redirect(w, r, "/controls/"+url.PathEscape(c.ID)+"#evidence", http.StatusSeeOther)
	return nil
}

func (s *Server) uploadPart(r *http.Request, c *vigil.Control, fields map[string]string, part *multipart.Part) (*vigil.Evidence, error) {
	reqs, err := int64List("request", []string{fields["request"]})
	if err != nil {
		return nil, err
	}
	// A request brings its own control along: the uploader must be allowed
	// to add evidence to that one too.
	all, err := s.requestControls(r, []string{c.ID}, reqs)
	if err != nil {
		return nil, err
	}
	if err := s.mayEvidence(r, all); err != nil {
		return nil, err
	}
	mt := part.Header.Get("Content-Type")
	if mt == "" || mt == "application/octet-stream" {
		mt = vigil.MediaTypeFor(part.FileName())
	}
	return s.evidence.Upload(r.Context(), evidence.Meta{Filename: part.FileName(), Title: fields["title"], Controls: []string{c.ID}, Requests: reqs,
		EffectiveStart: vigil.Date(fields["effective_start"]), EffectiveEnd: vigil.Date(fields["effective_end"]), MediaType: mt, DeclaredSize: -1}, part)
}

func (s *Server) attestPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.store.Control(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !vigil.ActorFrom(ctx).MayEditControl(c) {
		return vigil.Errorf(vigil.EFORBIDDEN, "you may add evidence only for controls you own")
	}
	f := r.PostForm
	reqs, err := int64List("request", []string{f.Get("request")})
	if err == nil {
		var all []string
		if all, err = s.requestControls(r, []string{c.ID}, reqs); err == nil {
			err = s.mayEvidence(r, all)
		}
	}
	if err == nil {
		m := evidence.Meta{Title: f.Get("title"), Statement: f.Get("statement"), URL: f.Get("url"), Controls: []string{c.ID}, Requests: reqs,
			EffectiveStart: vigil.Date(f.Get("effective_start"))}
		if m.URL != "" {
			_, err = s.evidence.Link(ctx, m)
		} else {
			_, err = s.evidence.Attest(ctx, m)
		}
	}
	if err != nil {
		p := s.newPage(w, r, c.ID+" "+c.Title, "controls")
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.renderControl(w, r, p, c, http.StatusBadRequest)
	}
	s.flash(w, r, "Recorded in the evidence ledger.")
	http.Redirect(w, r, "/controls/"+url.PathEscape(c.ID)+"#evidence", http.StatusSeeOther)
	return nil
}

func (s *Server) requestCreatePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.store.Control(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := r.PostForm
	grace, _ := strconv.Atoi(f.Get("grace_days"))
	rq := &vigil.EvidenceRequest{ControlID: c.ID, Title: f.Get("request_title"), Frequency: vigil.RequestFrequency(f.Get("frequency")), Start: vigil.Date(f.Get("start")), GraceDays: grace}
	if err := s.store.CreateRequest(ctx, rq); err != nil {
		p := s.newPage(w, r, c.ID+" "+c.Title, "controls")
		p.Form = f
		if ve := (*vigil.Error)(nil); errors.As(err, &ve) && ve.Field == "title" {
			ve.Field = "request_title"
		}
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.renderControl(w, r, p, c, http.StatusBadRequest)
	}
	s.flash(w, r, "Evidence request added.")
	http.Redirect(w, r, "/controls/"+url.PathEscape(c.ID)+"#evidence", http.StatusSeeOther)
	return nil
}

func (s *Server) requestDeletePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	rq, err := s.store.Request(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteRequest(r.Context(), id); err != nil {
		return err
	}
	s.flash(w, r, "Evidence request removed; its evidence stays in the ledger.")
	http.Redirect(w, r, "/controls/"+url.PathEscape(rq.ControlID)+"#evidence", http.StatusSeeOther)
	return nil
}

func (s *Server) downloadPage(w http.ResponseWriter, r *http.Request) error {
	return s.evidenceContent(w, r)
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	e, err := s.store.Evidence(r.Context(), id)
	if err != nil {
		return err
	}
	state := r.PostFormValue("state")
	if err := s.evidence.Review(r.Context(), id, state, r.PostFormValue("reason")); err != nil {
		if vigil.ErrorCode(err) != vigil.EINVALID {
			return err
		}
		s.flash(w, r, "Review not recorded: "+vigil.ErrorMessage(err))
	} else {
		s.flash(w, r, fmt.Sprintf("Evidence %d %s.", id, state))
	}
	back := "/evidence"
	if len(e.Controls) > 0 {
		back = "/controls/" + url.PathEscape(e.Controls[0]) + "#evidence"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

type ledgerPageData struct {
	Items       []vigil.Evidence
	Checkpoints []vigil.Checkpoint
	Size        uint64
	Key         string
	Origin      string
	Report      *vigil.LedgerReport
	NextURL     string
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Evidence", "evidence")
	ctx := r.Context()
	before, err := intCursor(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListEvidence(ctx, vigil.EvidenceFilter{Before: before, Limit: 51, Open: openOnly(r)})
	if err != nil {
		return err
	}
	d := &ledgerPageData{Key: s.evidence.VerifierKey, Origin: s.evidence.Origin}
	pg := pageOf(items, 50, func(e vigil.Evidence) string { return strconv.FormatInt(e.ID, 10) })
	d.Items = pg.Items
	if pg.NextCursor != "" {
		d.NextURL = "/evidence?cursor=" + pg.NextCursor
	}
	if d.Checkpoints, err = s.store.Checkpoints(ctx); err != nil {
		return err
	}
	if n := len(d.Checkpoints); n > 10 {
		d.Checkpoints = d.Checkpoints[n-10:]
	}
	if d.Size, err = s.store.LedgerSize(ctx); err != nil {
		return err
	}
	if r.URL.Query().Get("verify") == "1" && p.Can("read_activity") {
		if d.Report, err = s.evidence.Verify(ctx, false); err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(w, http.StatusOK, "evidence", p)
}

func (s *Server) exportPage(w http.ResponseWriter, r *http.Request) error {
	return s.exportEvidence(w, r)
}
