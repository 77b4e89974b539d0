package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/policy"
)

// policyRoutes are the API of the policy set: everyone reads; admins and
// owners create and retire policies; a policy's owner (or an admin) edits
// its drafts, submits and publishes; its named approvers approve (never a
// text they edited) and review. Who may do what beyond the route's
// permission is the domain's (vigil.Actor.MayEditPolicy, PolicyVersion
// rules), checked in the service.
func (s *Server) policyRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
		ownCtl = vigil.PermEditOwnControl
	)
	rs := []route{
		{name: "ListPolicies", method: "GET", path: "/api/v1/policies", perm: read, tag: "policies", summary: "The policy set: every policy with its published and newest versions and its review state now", out: api.Page[api.PolicyView]{}, h: s.listPolicies},
		{name: "CreatePolicy", method: "POST", path: "/api/v1/policies", perm: manage, tag: "policies", summary: "Create a policy (owner, approvers, quorum, review cycle) with the text of its first draft", in: api.PolicyRequest{}, out: api.PolicyView{}, status: 201, h: s.createPolicy},
		{name: "ListPolicyTemplates", method: "GET", path: "/api/v1/policy-templates", perm: read, tag: "policies", summary: "The policy library's templates offered for the categories in scope, with the controls and criteria each supports", out: api.Page[api.PolicyTemplate]{}, h: s.listPolicyTemplates},
		{name: "AdoptPolicy", method: "POST", path: "/api/v1/policies/adopt", perm: manage, tag: "policies", summary: "Make a policy from a library template: its first draft has the organization, owner, approvers, review cycle and systems filled in", in: api.PolicyAdoptRequest{}, out: api.PolicyView{}, status: 201, h: s.adoptPolicy},
		{name: "UploadPolicy", method: "POST", path: "/api/v1/policies/upload", perm: manage, tag: "policies", summary: "Make a draft policy from an existing document (the raw body): Markdown or text as it is, HTML sanitized into Markdown, PDF or DOCX kept whole in the evidence ledger and named in the draft by its SHA-256",
			query: []param{{"filename", "the document's file name"}, {"title", "title (default: the file name)"}, {"owner_id", "the policy's owner"}, {"approvers", "approver user ids, comma-separated"}, {"quorum", "approvals a version needs (default 1)"}, {"review_months", "review cycle (default 12)"}},
			out:   api.PolicyUpload{}, status: 201, maxBody: policy.MaxAttachment + 1, upload: true, h: s.uploadPolicy},
		{name: "GetPolicy", method: "GET", path: "/api/v1/policies/{id}", perm: read, tag: "policies", summary: "A policy with its published and newest versions and its review state now", out: api.PolicyView{}, h: s.getPolicy},
		{name: "UpdatePolicy", method: "PATCH", path: "/api/v1/policies/{id}", perm: manage, tag: "policies", summary: "Change a policy's title, owner, approvers, quorum, review cycle or controls", in: api.PolicySettingsRequest{}, out: api.PolicyView{}, h: s.updatePolicy},
		{name: "GetPolicyVersion", method: "GET", path: "/api/v1/policies/{id}/versions/{number}", perm: read, tag: "policies", summary: "One version of a policy: its text, hash, state and approvals", out: vigil.PolicyVersion{}, h: s.getPolicyVersion},
		{name: "DiffPolicy", method: "GET", path: "/api/v1/policies/{id}/diff", perm: read, tag: "policies", summary: "Word-level differences between two versions of a policy",
			query: []param{{"from", "the older version's number"}, {"to", "the newer version's number"}}, out: api.PolicyDiff{}, h: s.diffPolicy},
		{name: "EditPolicy", method: "PUT", path: "/api/v1/policies/{id}/draft", perm: ownCtl, tag: "policies", summary: "Replace the text of the policy's draft (the policy's owner or an admin)", in: api.PolicyTextRequest{}, out: api.PolicyView{}, h: s.editPolicy},
		{name: "NewPolicyVersion", method: "POST", path: "/api/v1/policies/{id}/versions", perm: ownCtl, tag: "policies", summary: "Start the next version as a draft, once the last one is published", in: api.PolicyTextRequest{}, out: api.PolicyView{}, status: 201, h: s.newPolicyVersion},
		{name: "SubmitPolicy", method: "POST", path: "/api/v1/policies/{id}/submit", perm: ownCtl, tag: "policies", summary: "Send the draft to the approvers; its text is fixed from then on", out: api.PolicyView{}, h: s.submitPolicy},
		{name: "ApprovePolicy", method: "POST", path: "/api/v1/policies/{id}/approve", perm: ownCtl, tag: "policies", summary: "Approve the version in review (named approvers only, never a text you edited); at the quorum it is approved", in: api.PolicyCommentRequest{}, out: api.PolicyView{}, h: s.approvePolicy},
		{name: "RejectPolicy", method: "POST", path: "/api/v1/policies/{id}/reject", perm: ownCtl, tag: "policies", summary: "Send the version in review back to draft, with the reason; its approvals are dropped", in: api.PolicyCommentRequest{}, out: api.PolicyView{}, h: s.rejectPolicy},
		{name: "PublishPolicy", method: "POST", path: "/api/v1/policies/{id}/publish", perm: ownCtl, tag: "policies", summary: "Publish the approved version from its effective date, retiring the one it replaces; sealed into the evidence ledger with its approvals", in: api.PolicyPublishRequest{}, out: api.PolicyView{}, h: s.publishPolicy},
		{name: "ReviewPolicy", method: "POST", path: "/api/v1/policies/{id}/review", perm: ownCtl, tag: "policies", summary: "Record a 'no changes' review of the published text (approvers only, saying what was reviewed); at the quorum the review cycle restarts and the review is sealed", in: api.PolicyCommentRequest{}, out: api.PolicyReviewAnswer{}, h: s.reviewPolicy},
		{name: "RetirePolicy", method: "POST", path: "/api/v1/policies/{id}/retire", perm: manage, tag: "policies", summary: "Retire a policy: it leaves the policy set, its history stays", out: api.PolicyView{}, h: s.retirePolicy},
		{name: "ExportPolicyVersion", method: "GET", path: "/api/v1/policies/{id}/versions/{number}/export", perm: read, tag: "policies", summary: "One version as a PDF or a standalone HTML document, with its version, state, effective date, owner, approvals, change summary and the SHA-256 of its text; a version not in force says so on every page",
			query: []param{{"format", "pdf (default) or html"}}, download: true, h: s.exportPolicyVersion},
		{name: "ExportPolicies", method: "GET", path: "/api/v1/policies/export", perm: read, tag: "policies", summary: "The policies in force as one PDF (contents first, each policy from a new page) or a zip of each one's PDF and HTML with index.html and manifest.json (every file's SHA-256); retired and unpublished policies are listed as left out",
			query: []param{{"format", "pdf (default) or zip"}}, download: true, h: s.exportPolicies},
	}
	for i := range rs {
		rs[i].needsPolicies, rs[i].needsEvidence = true, true
	}
	return rs
}

func (s *Server) policyView(p *vigil.Policy) api.PolicyView {
	st, due := s.policies.ReviewState(p)
	v := api.PolicyView{Policy: *p, ReviewState: string(st)}
	if !due.IsZero() {
		v.ReviewDue = due.UTC().Format(time.DateOnly)
	}
	return v
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.policies.List(r.Context())
	if err != nil {
		return err
	}
	out := api.Page[api.PolicyView]{Items: make([]api.PolicyView, 0, len(ps))}
	for i := range ps {
		out.Items = append(out.Items, s.policyView(&ps[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p := &vigil.Policy{Title: req.Title, OwnerID: req.OwnerID, Approvers: req.Approvers, Quorum: req.Quorum, ReviewMonths: req.ReviewMonths, Controls: req.Controls}
	if err := s.policies.Create(r.Context(), p, req.Body); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.policyView(p))
	return nil
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	p, err := s.policies.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.policyView(p))
	return nil
}

func (s *Server) getPolicyVersion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return vigil.FieldError("number", "version number must be a positive whole number, got %q", truncate(r.PathValue("number"), 20))
	}
	v, err := s.policies.GetVersion(r.Context(), id, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// policyStep decodes the path's id (and the body into in, when given),
// runs step and answers with the policy.
func (s *Server) policyStep(w http.ResponseWriter, r *http.Request, in any, status int, step func(id int64) (*vigil.Policy, error)) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if in != nil {
		if err := decode(r, in); err != nil {
			return err
		}
	}
	p, err := step(id)
	if err != nil {
		return err
	}
	writeJSON(w, status, s.policyView(p))
	return nil
}

func (s *Server) editPolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyTextRequest
	return s.policyStep(w, r, &req, http.StatusOK, func(id int64) (*vigil.Policy, error) {
		return s.policies.Edit(r.Context(), id, req.Body, req.ChangeSummary)
	})
}

func (s *Server) newPolicyVersion(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyTextRequest
	return s.policyStep(w, r, &req, http.StatusCreated, func(id int64) (*vigil.Policy, error) {
		return s.policies.NewVersion(r.Context(), id, req.Body, req.ChangeSummary)
	})
}

func (s *Server) submitPolicy(w http.ResponseWriter, r *http.Request) error {
	return s.policyStep(w, r, nil, http.StatusOK, func(id int64) (*vigil.Policy, error) { return s.policies.Submit(r.Context(), id) })
}

func (s *Server) approvePolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyCommentRequest
	return s.policyStep(w, r, &req, http.StatusOK, func(id int64) (*vigil.Policy, error) {
		return s.policies.Approve(r.Context(), id, req.Comment)
	})
}

func (s *Server) rejectPolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyCommentRequest
	return s.policyStep(w, r, &req, http.StatusOK, func(id int64) (*vigil.Policy, error) {
		return s.policies.Reject(r.Context(), id, req.Comment)
	})
}

func (s *Server) publishPolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyPublishRequest
	return s.policyStep(w, r, &req, http.StatusOK, func(id int64) (*vigil.Policy, error) {
		material := req.Material == nil || *req.Material
		return s.policies.Publish(r.Context(), id, req.EffectiveDate, material)
	})
}

func (s *Server) reviewPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.PolicyCommentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, done, err := s.policies.Review(r.Context(), id, req.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.PolicyReviewAnswer{PolicyView: s.policyView(p), Completed: done})
	return nil
}

func (s *Server) retirePolicy(w http.ResponseWriter, r *http.Request) error {
	return s.policyStep(w, r, nil, http.StatusOK, func(id int64) (*vigil.Policy, error) { return s.policies.Retire(r.Context(), id) })
}

func (s *Server) listPolicyTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.policies.Templates(r.Context())
	if err != nil {
		return err
	}
	out := api.Page[api.PolicyTemplate]{Items: make([]api.PolicyTemplate, 0, len(ts))}
	for _, t := range ts {
		out.Items = append(out.Items, api.PolicyTemplate{ID: t.ID, Title: t.Title, Summary: t.Summary, Category: t.Category, Version: t.Version,
			Controls: t.Controls, Criteria: t.Criteria, Body: t.Body})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) adoptPolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicyAdoptRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p := &vigil.Policy{Title: req.Title, OwnerID: req.OwnerID, Approvers: req.Approvers, Quorum: req.Quorum, ReviewMonths: req.ReviewMonths}
	if err := s.policies.Adopt(r.Context(), req.Template, p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.policyView(p))
	return nil
}

func (s *Server) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	var req api.PolicySettingsRequest
	return s.policyStep(w, r, &req, http.StatusOK, func(id int64) (*vigil.Policy, error) {
		return s.policies.UpdateSettings(r.Context(), id, policy.Settings{Title: req.Title, OwnerID: req.OwnerID, Approvers: req.Approvers,
			Quorum: req.Quorum, ReviewMonths: req.ReviewMonths, Controls: req.Controls})
	})
}

// versionParam reads a version number from the query.
func versionParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, vigil.FieldError(name, "%s must be a version number (1, 2, ...), got %q", name, truncate(v, 20))
	}
	return n, nil
}

func (s *Server) diffPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	from, err := versionParam(r, "from")
	if err != nil {
		return err
	}
	to, err := versionParam(r, "to")
	if err != nil {
		return err
	}
	cs, err := s.policies.Diff(r.Context(), id, from, to)
	if err != nil {
		return err
	}
	out := api.PolicyDiff{From: from, To: to, Changes: make([]api.PolicyChange, 0, len(cs))}
	for _, c := range cs {
		out.Changes = append(out.Changes, api.PolicyChange{Op: c.Op, Text: c.Text})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportFormat reads ?format=, one of allowed (the first is the default).
func exportFormat(r *http.Request, allowed ...string) (string, error) {
	f := r.URL.Query().Get("format")
	if f == "" {
		return allowed[0], nil
	}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	return "", vigil.FieldError("format", "format must be %s, got %q", strings.Join(allowed, " or "), truncate(f, 20))
}

var exportTypes = map[string]string{"pdf": "application/pdf", "html": "text/html; charset=utf-8", "zip": "application/zip"}

// exportHeaders make an export a download, never a page in Vigil's
// origin (the HTML export holds what the policy's author wrote).
func exportHeaders(w http.ResponseWriter, format, name string) {
	h := w.Header()
	h.Set("Content-Type", exportTypes[format])
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
}

// exportPolicyVersion serves one version as PDF or HTML (the API and the
// version page's links).
func (s *Server) exportPolicyVersion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return vigil.FieldError("number", "version number must be a positive whole number, got %q", truncate(r.PathValue("number"), 20))
	}
	format, err := exportFormat(r, "pdf", "html")
	if err != nil {
		return err
	}
	p, err := s.policies.Get(r.Context(), id)
	if err != nil {
		return err
	}
	// One version is bounded (a 512 KiB text makes a PDF of about 1 MiB):
	// made whole before anything is sent, so a failure is an error answer.
	var buf bytes.Buffer
	if format == "pdf" {
		err = s.policies.ExportVersionPDF(r.Context(), id, n, &buf)
	} else {
		err = s.policies.ExportVersionHTML(r.Context(), id, n, &buf)
	}
	if err != nil {
		return err
	}
	exportHeaders(w, format, policy.ExportFileName(p, n, format))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
	return nil
}

// exportPolicies serves the set as one PDF or a zip streamed as it is made.
func (s *Server) exportPolicies(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "pdf", "zip")
	if err != nil {
		return err
	}
	if format == "pdf" {
		var buf bytes.Buffer
		if err := s.policies.ExportSetPDF(r.Context(), &buf); err != nil {
			return err
		}
		exportHeaders(w, format, "vigil-policies.pdf")
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	sw := &startedWriter{w: w, start: func() { exportHeaders(w, format, "vigil-policies.zip") }}
	if err := s.policies.ExportSetZip(r.Context(), sw); err != nil {
		if !sw.started {
			return err
		}
		// The status is sent: abort the response, so the client sees a
		// broken download rather than a short zip that looks whole.
		s.log.Error("policy export failed mid-stream", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// startedWriter sets the headers at the first byte, and tells whether any
// was sent.
type startedWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (s *startedWriter) Write(b []byte) (int, error) {
	if !s.started {
		s.started = true
		s.start()
	}
	return s.w.Write(b)
}

func (s *Server) uploadPolicy(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &vigil.Policy{Title: q.Get("title")}
	owner, err := queryInt(r, "owner_id", 0)
	if err != nil {
		return err
	}
	p.OwnerID = int64(owner)
	if p.Approvers, err = int64List("approvers", stringList(q["approvers"])); err != nil {
		return err
	}
	q1, err := queryInt(r, "quorum", 1)
	if err != nil {
		return err
	}
	months, err := queryInt(r, "review_months", 0)
	if err != nil {
		return err
	}
	p.Quorum, p.ReviewMonths = q1, months
	data, err := readUpload(r, policy.MaxAttachment)
	if err != nil {
		return err
	}
	up, err := s.policies.UploadPolicy(r.Context(), p, q.Get("filename"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.PolicyUpload{Policy: s.policyView(p), Kind: up.Kind, EvidenceID: up.EvidenceID, SHA256: up.SHA256})
	return nil
}
