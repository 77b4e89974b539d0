package server

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/policy"
)

// The policy pages: the set (/policies) with adoption from the library,
// and a page per policy (/policies/{id}) where each person sees the step
// that is theirs: the owner edits, previews, submits and publishes, the
// approvers approve or send back and review, admins change the settings.
// Every rule is the service's and the domain's; a refusal is said on the
// page with nothing changed.

type policiesData struct {
	Items     []api.PolicyView
	Templates []policy.Template
	Users     []vigil.User // who may own or approve a policy
	Mine      map[int64]string
}

type policyData struct {
	P         api.PolicyView
	Published template.HTML // the text in force, rendered
	Latest    template.HTML // the newest version, when it is not the one in force
	Preview   template.HTML // a draft's preview before it is saved
	Versions  []int
	Users     []vigil.User
	Me        int64
	MayEdit   bool // the owner or an admin
	MayAct    bool // an approver who wrote none of the version in review, and has not approved it
	Approver  bool
	Approvals int
	Today     string
	// AckKnown: the personnel module is on and a version is in force;
	// AckDue is what the person looking has still to acknowledge, if any.
	AckKnown bool
	AckDue   *vigil.PolicyDue
}

// policyUsers are the users who may own or approve policies.
func (s *Server) policyUsers(r *http.Request) ([]vigil.User, error) {
	all, err := s.store.ListUsers(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	var out []vigil.User
	for _, u := range all {
		if !u.Disabled && (u.Role.Can(vigil.PermManage) || u.Role.Can(vigil.PermEditOwnControl)) {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) policiesData(r *http.Request) (*policiesData, error) {
	ps, err := s.policies.List(r.Context())
	if err != nil {
		return nil, err
	}
	d := &policiesData{Mine: map[int64]string{}}
	me := int64(0)
	if ws := sessionFrom(r.Context()); ws != nil {
		me = ws.user.ID
	}
	for i := range ps {
		p := &ps[i]
		d.Items = append(d.Items, s.policyView(p))
		// What waits on the person looking.
		switch v := p.Latest; {
		case v == nil || p.RetiredAt != nil:
		case v.State == vigil.PolicyInReview && p.IsApprover(me) && v.MayApprove(p, vigil.Actor{UserID: me}) == nil:
			d.Mine[p.ID] = "awaiting your approval"
		case v.State == vigil.PolicyDraft && p.OwnerID == me:
			d.Mine[p.ID] = "your draft"
		case v.State == vigil.PolicyApproved && p.OwnerID == me:
			d.Mine[p.ID] = "approved: yours to publish"
		}
	}
	if d.Templates, err = s.policies.Templates(r.Context()); err != nil {
		return nil, err
	}
	d.Users, err = s.policyUsers(r)
	return d, err
}

func (s *Server) policiesPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Policies", "policies")
	d, err := s.policiesData(r)
	if err != nil {
		return err
	}
	p.Data, p.Form = d, url.Values{"quorum": {"1"}, "review_months": {"12"}}
	return s.render(w, http.StatusOK, "policies", p)
}

func formIDs(f url.Values, name string) []int64 {
	var out []int64
	for _, v := range f[name] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func formInt(f url.Values, name string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(f.Get(name)))
	return n
}

func (s *Server) policyAdoptPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	owner, _ := strconv.ParseInt(f.Get("owner_id"), 10, 64)
	p := &vigil.Policy{OwnerID: owner, Approvers: formIDs(f, "approvers"), Quorum: formInt(f, "quorum"), ReviewMonths: formInt(f, "review_months")}
	if err := s.policies.Adopt(r.Context(), f.Get("template"), p); err != nil {
		pg := s.newPage(w, r, "Policies", "policies")
		d, derr := s.policiesData(r)
		if derr != nil {
			return derr
		}
		pg.Data, pg.Form = d, f
		if ferr := formError(pg, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnprocessableEntity, "policies", pg)
	}
	s.flash(w, r, p.Key+" "+p.Title+" is a draft: review its text, then send it for approval.")
	http.Redirect(w, r, "/policies/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) policyData(r *http.Request, id int64) (*policyData, error) {
	pol, err := s.policies.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	d := &policyData{P: s.policyView(pol), Today: s.now().UTC().Format("2006-01-02")}
	if ws := sessionFrom(r.Context()); ws != nil {
		d.Me = ws.user.ID
		a := vigil.Actor{UserID: ws.user.ID, Role: ws.user.Role}
		d.MayEdit = a.MayEditPolicy(pol)
		d.Approver = pol.IsApprover(ws.user.ID)
		if v := pol.Latest; v != nil && v.State == vigil.PolicyInReview {
			d.MayAct = v.MayApprove(pol, a) == nil
		}
	}
	if v := pol.Published; v != nil {
		d.Published = policy.Render(v.Body)
	}
	if v := pol.Latest; v != nil {
		if pol.Published == nil || v.Number != pol.Published.Number {
			d.Latest = policy.Render(v.Body)
		}
		for _, a := range v.Approvals {
			if a.Review == 0 {
				d.Approvals++
			}
		}
		for n := v.Number; n >= 1; n-- {
			d.Versions = append(d.Versions, n)
		}
	}
	if s.people != nil && pol.Published != nil && pol.RetiredAt == nil && sessionFrom(r.Context()) != nil {
		t, err := s.people.MyTasks(r.Context())
		if err != nil {
			return nil, err
		}
		d.AckKnown = true
		for i := range t.Policies {
			if t.Policies[i].PolicyID == id {
				d.AckDue = &t.Policies[i]
			}
		}
	}
	// The settings form, for those who may change them, lists the users.
	if ws := sessionFrom(r.Context()); ws != nil && ws.user.Role.Can(vigil.PermManage) {
		if d.Users, err = s.policyUsers(r); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) renderPolicy(w http.ResponseWriter, r *http.Request, id int64, status int, adjust func(*webPage, *policyData)) error {
	d, err := s.policyData(r, id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, d.P.Key+" "+d.P.Title, "policies")
	if v := d.P.Latest; v != nil {
		p.Form = url.Values{"body": {v.Body}, "effective_date": {d.Today}}
	}
	p.Data = d
	if adjust != nil {
		adjust(p, d)
	}
	return s.render(w, status, "policy", p)
}

func (s *Server) policyPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	return s.renderPolicy(w, r, id, http.StatusOK, nil)
}

// policyAction runs one step from the page: on success back to the
// policy with a message; refused, the page again with the reason, beside
// its field when it has one, and what was typed kept.
func (s *Server) policyAction(w http.ResponseWriter, r *http.Request, act func(id int64) (string, error)) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	msg, err := act(id)
	if err != nil {
		var ferr error
		rerr := s.renderPolicy(w, r, id, http.StatusUnprocessableEntity, func(p *webPage, _ *policyData) {
			for k, v := range r.PostForm {
				p.Form[k] = v
			}
			ferr = formError(p, err)
		})
		if ferr != nil {
			return ferr
		}
		return rerr
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/policies/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) policyDraftPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	if f.Get("action") == "preview" {
		// Rendered as the approvers will see it, nothing saved. Text the
		// draft would refuse (too long, not UTF-8) is refused here too,
		// before the renderer spends time on it.
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		berr := vigil.ValidateBody(f.Get("body"))
		var ferr error
		status := http.StatusOK
		if berr != nil {
			status = http.StatusUnprocessableEntity
		}
		rerr := s.renderPolicy(w, r, id, status, func(p *webPage, d *policyData) {
			p.Form.Set("body", f.Get("body"))
			p.Form.Set("change_summary", f.Get("change_summary"))
			if berr != nil {
				ferr = formError(p, berr)
				return
			}
			d.Preview = policy.Render(f.Get("body"))
		})
		if ferr != nil {
			return ferr
		}
		return rerr
	}
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.Edit(r.Context(), id, f.Get("body"), f.Get("change_summary"))
		if err != nil {
			return "", err
		}
		return "Saved the draft of " + p.Key + ".", nil
	})
}

func (s *Server) policyNewVersionPage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.NewVersion(r.Context(), id, r.PostFormValue("body"), r.PostFormValue("change_summary"))
		if err != nil {
			return "", err
		}
		return "Started version " + strconv.Itoa(p.Latest.Number) + " of " + p.Key + " as a draft.", nil
	})
}

func (s *Server) policySubmitPage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.Submit(r.Context(), id)
		if err != nil {
			return "", err
		}
		return "Sent " + p.Key + " version " + strconv.Itoa(p.Latest.Number) + " to its approvers; its text is fixed from now.", nil
	})
}

func (s *Server) policyApprovePage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.Approve(r.Context(), id, r.PostFormValue("comment"))
		if err != nil {
			return "", err
		}
		if p.Latest.State == vigil.PolicyApproved {
			return "Approved. " + p.Key + " version " + strconv.Itoa(p.Latest.Number) + " has its quorum and can be published.", nil
		}
		return "Approved. " + p.Key + " waits for more approvals.", nil
	})
}

func (s *Server) policyRejectPage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.Reject(r.Context(), id, r.PostFormValue("reason"))
		if err != nil {
			return "", err
		}
		return "Sent " + p.Key + " back to its owner as a draft.", nil
	})
}

func (s *Server) policyPublishPage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.Publish(r.Context(), id, r.PostFormValue("effective_date"), r.PostFormValue("material") != "")
		if err != nil && p == nil {
			return "", err
		}
		msg := "Published " + p.Key + " version " + strconv.Itoa(p.Published.Number) + ", effective " + p.Published.Effective + "."
		if err != nil {
			return msg + " " + err.Error(), nil
		}
		return msg + " It is sealed into the evidence ledger with its approvals.", nil
	})
}

func (s *Server) policyReviewPage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, done, err := s.policies.Review(r.Context(), id, r.PostFormValue("comment"))
		if err != nil && p == nil {
			return "", err
		}
		if !done {
			return "Your review is recorded; " + p.Key + " needs more approvers' reviews to complete it.", nil
		}
		if err != nil {
			return "The review of " + p.Key + " is complete. " + err.Error(), nil
		}
		return "The review of " + p.Key + " is complete and sealed; the next one is due " + p.ReviewDue().Format("2006-01-02") + ".", nil
	})
}

func (s *Server) policySettingsPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	return s.policyAction(w, r, func(id int64) (string, error) {
		owner, _ := strconv.ParseInt(f.Get("owner_id"), 10, 64)
		approvers, quorum, months := formIDs(f, "approvers"), formInt(f, "quorum"), formInt(f, "review_months")
		p, err := s.policies.UpdateSettings(r.Context(), id, policy.Settings{OwnerID: &owner, Approvers: &approvers, Quorum: &quorum, ReviewMonths: &months})
		if err != nil {
			return "", err
		}
		return "Saved the settings of " + p.Key + ".", nil
	})
}

func (s *Server) policyRetirePage(w http.ResponseWriter, r *http.Request) error {
	return s.policyAction(w, r, func(id int64) (string, error) {
		p, err := s.policies.Retire(r.Context(), id)
		if err != nil {
			return "", err
		}
		return "Retired " + p.Key + "; its history stays.", nil
	})
}

func (s *Server) policyVersionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return vigil.FieldError("number", "version number must be a positive whole number")
	}
	pol, err := s.policies.Get(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.policies.GetVersion(r.Context(), id, n)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, pol.Key+" version "+strconv.Itoa(n), "policies")
	data := map[string]any{"P": pol, "V": v, "HTML": policy.Render(v.Body)}
	// ?compare=M shows what changed from version M to this one, word by
	// word, in the Markdown as written.
	if c := r.URL.Query().Get("compare"); c != "" {
		m, err := versionParam(r, "compare")
		if err != nil {
			return err
		}
		cs, err := s.policies.Diff(r.Context(), id, m, n)
		if err != nil {
			return err
		}
		data["Compare"], data["Diff"] = m, cs
	}
	var others []int
	if pol.Latest != nil {
		for k := 1; k <= pol.Latest.Number; k++ {
			if k != n {
				others = append(others, k)
			}
		}
	}
	data["Others"] = others
	p.Data = data
	return s.render(w, http.StatusOK, "policy_version", p)
}

// policyUploadPage makes a draft from an uploaded document. The form's
// fields come before its file; the CSRF token is checked before the file
// is read. A refusal comes back as a message, nothing stored.
func (s *Server) policyUploadPage(w http.ResponseWriter, r *http.Request) error {
	f, filename, data, err := readFormFile(r, policy.MaxAttachment)
	if err != nil {
		if c := vigil.ErrorCode(err); c == vigil.EFORBIDDEN || c == vigil.EINTERNAL {
			return err
		}
		s.flash(w, r, "Not uploaded: "+vigil.ErrorMessage(err))
		http.Redirect(w, r, "/policies#upload", http.StatusSeeOther)
		return nil
	}
	owner, _ := strconv.ParseInt(f.Get("owner_id"), 10, 64)
	p := &vigil.Policy{Title: f.Get("title"), OwnerID: owner, Approvers: formIDs(f, "approvers"), Quorum: formInt(f, "quorum")}
	up, err := s.policies.UploadPolicy(r.Context(), p, filename, data)
	if err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		s.flash(w, r, "Not uploaded: "+vigil.ErrorMessage(err))
		http.Redirect(w, r, "/policies#upload", http.StatusSeeOther)
		return nil
	}
	msg := p.Key + " " + p.Title + " is a draft made from " + filename + "."
	if up.EvidenceID != 0 {
		msg += " The document is kept as evidence item #" + strconv.FormatInt(up.EvidenceID, 10) + "; the draft names it by its SHA-256."
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/policies/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
	return nil
}
