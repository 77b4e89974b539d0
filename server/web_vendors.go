package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/vendors"
)

// The vendor pages: the inventory (/vendors) with the subprocessor list
// and the form that adds a vendor, a page per vendor (/vendors/{id}) with
// its documents, CUEC mappings and questionnaire rounds, a page per round
// (/questionnaires/{id}) with its scored answers and the review form, and
// the public page a questionnaire link opens (/q/{secret}), which shows
// the vendor its questions and nothing else.

// MaxVendorDocument bounds a document uploaded through the pages (read
// into memory with the form).
const MaxVendorDocument = 20 << 20

// The public link's limits: tries per address and per link in the
// limiter window (10 minutes), kept in the database so they hold across
// replicas. A vendor fills the form in once or twice; more is someone
// probing.
const (
	vendorLinkPerAddr = 30
	vendorLinkPerLink = 20
)

type vendorsData struct {
	Import        *api.VendorImport // a preview, with the file to confirm
	ImportCSV     string            // the previewed file, base64
	Rows          []api.VendorRow
	Subprocessors []vigil.Subprocessor
	Users         []vigil.User
	Tiers         []vigil.VendorTier
	Criteria      map[vigil.VendorTier]string
	Categories    []vigil.DataCategory
	Manage        bool
	Suggestions   *api.VendorSuggestions
}

func (s *Server) vendorsData(r *http.Request) (*vendorsData, error) {
	ctx := r.Context()
	rows, err := s.vendors.List(ctx)
	if err != nil {
		return nil, err
	}
	sp, err := s.vendors.Subprocessors(ctx)
	if err != nil {
		return nil, err
	}
	d := &vendorsData{Rows: rows, Subprocessors: sp, Tiers: vigil.VendorTiers, Criteria: vigil.TierCriteria, Categories: vigil.DataCategories,
		Manage: sessionFrom(ctx).user.Role.Can(vigil.PermManage)}
	if d.Suggestions, err = s.vendors.Suggestions(ctx); err != nil {
		return nil, err
	}
	if d.Manage {
		if d.Users, err = s.store.ListUsers(ctx, 0, 0); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) vendorsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderVendors(w, r, http.StatusOK, url.Values{}, nil)
}

func (s *Server) renderVendors(w http.ResponseWriter, r *http.Request, status int, form url.Values, err error) error {
	p := s.newPage(w, r, "Vendors", "vendors")
	d, derr := s.vendorsData(r)
	if derr != nil {
		return derr
	}
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		status = p.errStatus
	}
	return s.render(w, status, "vendors", p)
}

// vendorForm reads the vendor form; a number that is not one is named.
func vendorForm(f url.Values) (vigil.Vendor, error) {
	v := vigil.Vendor{Name: f.Get("name"), Service: f.Get("service"), Purpose: f.Get("purpose"), Tier: vigil.VendorTier(f.Get("tier")),
		Subservice: f.Get("subservice") != "", Subprocessor: f.Get("subprocessor") != "", Location: f.Get("location"),
		ContractStart: vigil.Date(f.Get("contract_start")), ContractEnd: vigil.Date(f.Get("contract_end")), Status: vigil.VendorStatus(f.Get("status"))}
	for _, c := range f["data_shared"] {
		v.DataShared = append(v.DataShared, vigil.DataCategory(c))
	}
	if o := strings.TrimSpace(f.Get("owner_id")); o != "" {
		id, err := strconv.ParseInt(o, 10, 64)
		if err != nil || id < 0 {
			return v, vigil.FieldError("owner_id", "owner must be a user, got %q", truncate(o, 20))
		}
		v.OwnerID = id
	}
	return v, nil
}

func (s *Server) vendorCreatePage(w http.ResponseWriter, r *http.Request) error {
	v, err := vendorForm(r.PostForm)
	if err == nil {
		err = s.vendors.Create(r.Context(), &v)
	}
	if err != nil {
		return s.renderVendors(w, r, http.StatusBadRequest, r.PostForm, err)
	}
	s.flash(w, r, v.Key+" "+v.Name+" is in the inventory.")
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(v.ID, 10), http.StatusSeeOther)
	return nil
}

// vendorSuggestionConfirmPage adds a suggested app as a vendor and opens
// its page, where the rest of its details are filled in.
func (s *Server) vendorSuggestionConfirmPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	c, err := s.vendors.Confirm(r.Context(), id, api.ConfirmSuggestionRequest{Name: r.PostForm.Get("name")})
	if err != nil {
		return s.renderVendors(w, r, http.StatusBadRequest, r.PostForm, err)
	}
	s.flash(w, r, c.Vendor.Key+" "+c.Vendor.Name+" is in the inventory, onboarding: record its owner, tier and the data it receives.")
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(c.Vendor.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) vendorSuggestionDismissPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.vendors.Dismiss(r.Context(), id)
	if err != nil {
		return s.renderVendors(w, r, http.StatusBadRequest, r.PostForm, err)
	}
	s.flash(w, r, a.Name+" was dismissed: it is not suggested again.")
	http.Redirect(w, r, "/vendors#suggestions", http.StatusSeeOther)
	return nil
}

type vendorData struct {
	*api.VendorDetail
	Users      []vigil.User
	Tiers      []vigil.VendorTier
	Criteria   map[vigil.VendorTier]string
	Categories []vigil.DataCategory
	Kinds      []vigil.DocKind
	Templates  []vendors.Template
	Manage     bool
	Link       string // a questionnaire link just made: shown once
	Threads    []int64
}

func (s *Server) renderVendor(w http.ResponseWriter, r *http.Request, id int64, status int, form url.Values, err error, link string) error {
	ctx := r.Context()
	det, derr := s.vendors.Get(ctx, id)
	if derr != nil {
		return derr
	}
	p := s.newPage(w, r, det.Key+" "+det.Name, "vendors")
	d := &vendorData{VendorDetail: det, Tiers: vigil.VendorTiers, Criteria: vigil.TierCriteria, Categories: vigil.DataCategories, Kinds: vigil.DocKinds,
		Manage: sessionFrom(ctx).user.Role.Can(vigil.PermManage), Link: link}
	for _, id := range vendors.TemplateIDs {
		d.Templates = append(d.Templates, vendors.Templates[id])
	}
	for _, q := range det.Questionnaires {
		if q.ThreadID == q.ID {
			d.Threads = append(d.Threads, q.ID)
		}
	}
	if d.Manage {
		if d.Users, derr = s.store.ListUsers(ctx, 0, 0); derr != nil {
			return derr
		}
	}
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		status = p.errStatus
	}
	if link != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	return s.render(w, status, "vendor", p)
}

func (s *Server) vendorPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	return s.renderVendor(w, r, id, http.StatusOK, url.Values{}, nil, "")
}

func (s *Server) vendorPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	v, err := vendorForm(r.PostForm)
	if err == nil {
		_, err = s.vendors.Update(r.Context(), id, v)
	}
	if err != nil {
		return s.renderVendor(w, r, id, http.StatusBadRequest, r.PostForm, err, "")
	}
	s.flash(w, r, "Saved.")
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) vendorDocumentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxVendorDocument+64<<10)
	f, filename, data, err := readFormFile(r, MaxVendorDocument)
	if err == nil {
		d := documentFromValues(id, f)
		err = s.vendors.AddDocument(r.Context(), d, vendors.FileMeta{Filename: filename, Size: int64(len(data))}, bytes.NewReader(data))
		if err == nil {
			s.flash(w, r, fmt.Sprintf("%s added and sealed as evidence item #%d. Review it to count it.", d.Title, d.EvidenceID))
			http.Redirect(w, r, "/vendors/"+strconv.FormatInt(id, 10)+"#documents", http.StatusSeeOther)
			return nil
		}
	}
	if c := vigil.ErrorCode(err); c == vigil.EFORBIDDEN || c == vigil.EINTERNAL {
		return err
	}
	s.flash(w, r, "Not added: "+vigil.ErrorMessage(err))
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(id, 10)+"#add-document", http.StatusSeeOther)
	return nil
}

func (s *Server) vendorDocumentReviewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.vendors.ReviewDocument(r.Context(), id, vigil.Conclusion(r.PostFormValue("conclusion")), r.PostFormValue("note"))
	vendor, _ := strconv.ParseInt(r.PostFormValue("vendor_id"), 10, 64)
	if err != nil {
		if vendor <= 0 {
			return err
		}
		return s.renderVendor(w, r, vendor, http.StatusBadRequest, r.PostForm, err, "")
	}
	s.flash(w, r, "Review recorded: "+strings.ReplaceAll(string(d.Conclusion), "_", " ")+".")
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(d.VendorID, 10)+"#documents", http.StatusSeeOther)
	return nil
}

func (s *Server) vendorCUECPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	vendor, err := strconv.ParseInt(r.PostFormValue("vendor_id"), 10, 64)
	if err != nil || vendor <= 0 {
		return vigil.FieldError("vendor_id", "the form names no vendor")
	}
	if err := s.vendors.MapCUEC(r.Context(), id, strings.FieldsFunc(r.PostFormValue("controls"), func(c rune) bool { return c == ',' || c == ' ' })); err != nil {
		return s.renderVendor(w, r, vendor, http.StatusBadRequest, r.PostForm, err, "")
	}
	s.flash(w, r, "Mapping saved.")
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(vendor, 10)+"#documents", http.StatusSeeOther)
	return nil
}

func (s *Server) vendorSendPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	req := api.QuestionnaireRequest{Template: f.Get("template"), Contact: f.Get("contact"), Message: f.Get("message")}
	if v := strings.TrimSpace(f.Get("days")); v != "" {
		if req.Days, err = strconv.Atoi(v); err != nil {
			return s.renderVendor(w, r, id, http.StatusBadRequest, f, vigil.FieldError("days", "days must be a whole number, got %q", truncate(v, 20)), "")
		}
	}
	if v := f.Get("thread_id"); v != "" {
		req.ThreadID, _ = strconv.ParseInt(v, 10, 64)
	}
	_, secret, err := s.vendors.Send(r.Context(), id, req)
	if err != nil {
		return s.renderVendor(w, r, id, http.StatusBadRequest, f, err, "")
	}
	// The link is shown on this answer only: it is not kept, and a flash
	// would put it in a cookie.
	return s.renderVendor(w, r, id, http.StatusOK, url.Values{}, nil, s.questionnaireLink(r, secret))
}

type questionnaireData struct {
	Q         *vigil.Questionnaire
	Template  vendors.Template
	Answers   map[string]vigil.Answer
	Manage    bool
	State     vigil.QuestionnaireState
	Questions int
}

func (s *Server) renderQuestionnaire(w http.ResponseWriter, r *http.Request, id int64, status int, form url.Values, err error) error {
	ctx := r.Context()
	q, qerr := s.vendors.Questionnaire(ctx, id)
	if qerr != nil {
		return qerr
	}
	t, terr := vendors.LookupTemplate(q.Template)
	if terr != nil {
		return terr
	}
	d := &questionnaireData{Q: q, Template: t, Answers: map[string]vigil.Answer{}, Manage: sessionFrom(ctx).user.Role.Can(vigil.PermManage),
		State: q.StateAt(s.now()), Questions: len(t.Questions)}
	for _, a := range q.Answers {
		d.Answers[a.QuestionID] = a
	}
	p := s.newPage(w, r, fmt.Sprintf("%s questionnaire, round %d", q.VendorName, q.Round), "vendors")
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		status = p.errStatus
	}
	return s.render(w, status, "questionnaire", p)
}

func (s *Server) questionnairePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	return s.renderQuestionnaire(w, r, id, http.StatusOK, url.Values{}, nil)
}

func (s *Server) questionnaireReviewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	q, err := s.vendors.Review(r.Context(), id, vigil.Conclusion(r.PostFormValue("conclusion")), r.PostFormValue("note"))
	if err != nil {
		return s.renderQuestionnaire(w, r, id, http.StatusBadRequest, r.PostForm, err)
	}
	s.flash(w, r, fmt.Sprintf("Review recorded: %s (score %d%%).", strings.ReplaceAll(string(q.Conclusion), "_", " "), q.Score))
	http.Redirect(w, r, "/vendors/"+strconv.FormatInt(q.VendorID, 10)+"#questionnaires", http.StatusSeeOther)
	return nil
}

// The public questionnaire page. Everything about a link that does not
// work (unknown, expired, used, its vendor offboarded) gets one answer,
// so the page tells nobody which links exist.

type linkData struct {
	View      *vendors.LinkView
	FormToken string
	Answers   map[string]vigil.Answer
	Done      bool
	Refused   bool
	MaxFiles  int
	MaxMiB    int
}

// linkToken is the form token of a link's page: bound to the browser (the
// pre-sign-in cookie, a double submit) and to the link, so a token taken
// from one link's page is worthless on another's.
func linkToken(pre, secret string) string {
	m := hmac.New(sha256.New, []byte(pre))
	m.Write([]byte("vendor-questionnaire:" + auth.HashSecret(secret)))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) linkHeaders(w http.ResponseWriter) {
	h := w.Header()
	// The secret is in the URL: never sent on as a referrer, never cached.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
}

// linkLimited reserves one try of a link from an address; a refusal
// renders the page's answer to it.
func (s *Server) linkLimited(w http.ResponseWriter, r *http.Request, p *webPage, secret string) (bool, error) {
	grp, _, err := auth.NewSecret("")
	if err != nil {
		return false, err
	}
	now := s.now()
	_, refused, err := s.store.ReserveAttempt(r.Context(), grp, now, []vigil.AttemptLimit{
		{Key: "vq-addr:" + s.clientIP(r), Max: vendorLinkPerAddr, Window: addrWindow},
		{Key: "vq-link:" + auth.HashSecret(secret), Max: vendorLinkPerLink, Window: addrWindow}})
	if err != nil || refused == nil {
		return false, err
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(refused.Until.Sub(now).Seconds()))))
	p.Error = fmt.Sprintf("Too many attempts. Try again after %s UTC.", refused.Until.UTC().Format("15:04"))
	p.Data = &linkData{Refused: true}
	return true, s.render(w, http.StatusTooManyRequests, "vendor_link", p)
}

func (s *Server) refuseLink(w http.ResponseWriter, p *webPage) error {
	p.Error = vigil.ErrorMessage(errLinkRefused)
	p.Data = &linkData{Refused: true}
	return s.render(w, http.StatusNotFound, "vendor_link", p)
}

var errLinkRefused = vigil.Errorf(vigil.ENOTFOUND, "This link is not valid: it may have expired or already been used. Ask whoever sent it for a new one.")

func (s *Server) vendorLinkPage(w http.ResponseWriter, r *http.Request) error {
	s.linkHeaders(w)
	secret := r.PathValue("secret")
	p := s.newPage(w, r, "Security questionnaire", "")
	if limited, err := s.linkLimited(w, r, p, secret); limited || err != nil {
		return err
	}
	lv, err := s.vendors.Open(r.Context(), secret)
	if vigil.ErrorCode(err) == vigil.ENOTFOUND {
		return s.refuseLink(w, p)
	}
	if err != nil {
		return err
	}
	p.Data = &linkData{View: lv, FormToken: linkToken(p.CSRF, secret), Answers: map[string]vigil.Answer{}, MaxFiles: vigil.MaxAttachments, MaxMiB: vigil.MaxAttachmentBytes >> 20}
	return s.render(w, http.StatusOK, "vendor_link", p)
}

// readLinkForm reads the link's multipart form: the fields first, the
// token checked before any file is read, then at most MaxAttachments
// files of at most MaxAttachmentBytes each.
func readLinkForm(r *http.Request, want string) (url.Values, []vendors.Upload, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, vigil.Errorf(vigil.EINVALID, "the form could not be read")
	}
	expired := vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
	fields := url.Values{}
	var files []vendors.Upload
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var big *http.MaxBytesError
			if errors.As(err, &big) {
				return nil, nil, vigil.FieldError("files", "the answers and files are larger than allowed")
			}
			return nil, nil, vigil.Errorf(vigil.EINVALID, "the upload was interrupted")
		}
		if n > 200 {
			return nil, nil, vigil.Errorf(vigil.EINVALID, "the form has too many fields")
		}
		if part.FileName() == "" {
			v, _ := io.ReadAll(io.LimitReader(part, 10<<10))
			fields.Add(part.FormName(), string(v))
			continue
		}
		if !tokenEqual(fields.Get("csrf"), want) {
			return nil, nil, expired
		}
		if len(files) == vigil.MaxAttachments {
			return nil, nil, vigil.FieldError("files", "at most %d files may be attached", vigil.MaxAttachments)
		}
		data, err := io.ReadAll(io.LimitReader(part, vigil.MaxAttachmentBytes+1))
		if err != nil {
			return nil, nil, vigil.FieldError("files", "the files are larger than allowed")
		}
		if len(data) > vigil.MaxAttachmentBytes {
			return nil, nil, vigil.FieldError("files", "%s is larger than %d MiB", truncate(part.FileName(), 80), vigil.MaxAttachmentBytes>>20)
		}
		if len(data) > 0 {
			files = append(files, vendors.Upload{Filename: part.FileName(), Data: data})
		}
	}
	if !tokenEqual(fields.Get("csrf"), want) {
		return nil, nil, expired
	}
	return fields, files, nil
}

func (s *Server) vendorLinkPost(w http.ResponseWriter, r *http.Request) error {
	s.linkHeaders(w)
	secret := r.PathValue("secret")
	p := s.newPage(w, r, "Security questionnaire", "")
	if limited, err := s.linkLimited(w, r, p, secret); limited || err != nil {
		return err
	}
	// The link first: nobody without a live one gets a body read.
	lv, err := s.vendors.Open(r.Context(), secret)
	if vigil.ErrorCode(err) == vigil.ENOTFOUND {
		return s.refuseLink(w, p)
	}
	if err != nil {
		return err
	}
	pre, cerr := r.Cookie(preCookie)
	if cerr != nil || pre.Value == "" {
		return vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again")
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(vigil.MaxAttachments*vigil.MaxAttachmentBytes+512<<10))
	fields, files, err := readLinkForm(r, linkToken(pre.Value, secret))
	if err != nil && vigil.ErrorCode(err) != vigil.EINVALID {
		return err
	}
	d := &linkData{View: lv, FormToken: linkToken(p.CSRF, secret), Answers: map[string]vigil.Answer{}, MaxFiles: vigil.MaxAttachments, MaxMiB: vigil.MaxAttachmentBytes >> 20}
	p.Data = d
	if err == nil {
		var answers []vigil.Answer
		for _, q := range lv.Template.Questions {
			a := vigil.Answer{QuestionID: q.ID, Value: fields.Get("q-" + q.ID), Comment: fields.Get("c-" + q.ID)}
			d.Answers[q.ID] = a
			if a.Value != "" || a.Comment != "" {
				answers = append(answers, a)
			}
		}
		if _, err = s.vendors.Submit(r.Context(), secret, answers, files); err == nil {
			d.Done, d.View = true, &vendors.LinkView{Organization: lv.Organization, Vendor: lv.Vendor}
			return s.render(w, http.StatusOK, "vendor_link", p)
		}
	}
	if vigil.ErrorCode(err) == vigil.ENOTFOUND {
		return s.refuseLink(w, p)
	}
	if ferr := formError(p, err); ferr != nil {
		return ferr
	}
	if p.Error == "Please correct the highlighted field." {
		p.Error = "Please correct the highlighted answer: " + vigil.ErrorMessage(err)
	}
	return s.render(w, p.errStatus, "vendor_link", p)
}

// Shares reports whether the vendor receives data of category c (the
// form's checkboxes).
func (d *vendorData) Shares(c vigil.DataCategory) bool {
	for _, x := range d.DataShared {
		if x == c {
			return true
		}
	}
	return false
}

// MaxVendorCSVPage bounds a list imported through the page: the confirm
// form sends the previewed file back, within the form's size limit.
// Larger lists go through the API or `vigil vendors import`.
const MaxVendorCSVPage = 400 << 10

// vendorImportPage previews an uploaded vendor list on the inventory page;
// nothing is written.
func (s *Server) vendorImportPage(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxVendorCSVPage+64<<10)
	_, _, data, err := readFormFile(r, MaxVendorCSVPage)
	var pv *api.VendorImport
	if err == nil {
		pv, err = s.vendors.Import(r.Context(), data, "")
	}
	if err != nil {
		if c := vigil.ErrorCode(err); c == vigil.EFORBIDDEN || c == vigil.EINTERNAL {
			return err
		}
		s.flash(w, r, "Not previewed: "+vigil.ErrorMessage(err))
		http.Redirect(w, r, "/vendors#import", http.StatusSeeOther)
		return nil
	}
	p := s.newPage(w, r, "Vendors", "vendors")
	d, derr := s.vendorsData(r)
	if derr != nil {
		return derr
	}
	// Base64: a browser would rewrite the line ends of text sent back,
	// and the confirmation must hash to the file previewed.
	d.Import, d.ImportCSV = pv, base64.StdEncoding.EncodeToString(data)
	p.Data = d
	return s.render(w, http.StatusOK, "vendors", p)
}

// vendorImportConfirmPage imports the previewed list: the service
// applies it only when it is the file whose hash the preview showed.
func (s *Server) vendorImportConfirmPage(w http.ResponseWriter, r *http.Request) error {
	data, err := base64.StdEncoding.DecodeString(r.PostFormValue("csv"))
	if err != nil {
		return vigil.FieldError("csv", "the form does not carry the previewed file; preview it again")
	}
	out, err := s.vendors.Import(r.Context(), data, r.PostFormValue("sha256"))
	if err != nil {
		if c := vigil.ErrorCode(err); c == vigil.EFORBIDDEN || c == vigil.EINTERNAL {
			return err
		}
		s.flash(w, r, "Not imported: "+vigil.ErrorMessage(err))
		http.Redirect(w, r, "/vendors#import", http.StatusSeeOther)
		return nil
	}
	s.flash(w, r, fmt.Sprintf("Imported %d vendors.", out.Imported))
	http.Redirect(w, r, "/vendors", http.StatusSeeOther)
	return nil
}
