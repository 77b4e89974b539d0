package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/integrations"
)

type hostsData struct {
	Hosts       []api.AgentView
	Enrolment   *vigil.Enrolment
	Command     string
	Fingerprint string
	Stale       int
}

func (s *Server) hostsData(r *http.Request) (*hostsData, error) {
	agents, err := s.store.Agents(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	d := &hostsData{Fingerprint: s.tlsFingerprint}
	for _, a := range agents {
		if a.Kind == "integration" {
			continue // on the Integrations page
		}
		v := s.agentView(a)
		if v.Stale {
			d.Stale++
		}
		d.Hosts = append(d.Hosts, v)
	}
	// Worst first: revoked last, then by compliance.
	sort.SliceStable(d.Hosts, func(i, j int) bool {
		a, b := d.Hosts[i], d.Hosts[j]
		if (a.RevokedAt == nil) != (b.RevokedAt == nil) {
			return a.RevokedAt == nil
		}
		return a.Compliance < b.Compliance
	})
	return d, nil
}

func (s *Server) hostsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Hosts", "hosts")
	d, err := s.hostsData(r)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(w, http.StatusOK, "hosts", p)
}

func (s *Server) hostsEnrol(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Hosts", "hosts")
	ttl, _ := strconv.Atoi(r.PostForm.Get("ttl_hours"))
	if ttl == 0 {
		ttl = 24
	}
	labels, err := vigil.ParseLabels("labels", r.PostForm.Get("labels"))
	var e *vigil.Enrolment
	if err == nil {
		e, err = s.monitor.CreateLabelledEnrolment(r.Context(), strings.TrimSpace(r.PostForm.Get("name")), labels, time.Duration(ttl)*time.Hour)
	}
	d, derr := s.hostsData(r)
	if derr != nil {
		return derr
	}
	p.Data, p.Form = d, r.PostForm
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnprocessableEntity, "hosts", p)
	}
	d.Enrolment = e
	base := s.baseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	pin := ""
	if s.tlsFingerprint != "" {
		pin = " --ca-fingerprint " + s.tlsFingerprint
	}
	d.Command = "VIGIL_ENROL_TOKEN=" + e.Token + " vigil agent enrol --server " + base + pin
	// The token is shown once, on this response only.
	return s.render(w, http.StatusCreated, "hosts", p)
}

type hostData struct {
	// Excepted names, per failing check, the exception in force that
	// covers it here; Exceptions are every exception whose scope takes in
	// this host, in any state.
	Excepted   map[string]*vigil.CheckException
	Exceptions []vigil.CheckException
	Labels     []string

	Tailoring api.TailoringView // what the host turns off, and what of it is not approved
	More      int               // checks not shown in History
	Host      api.AgentView
	Failing   []vigil.CurrentResult
	Errors    []vigil.CurrentResult
	Passing   int
	NA        int
	History   []checkShare
	From, To  time.Time
	Runs      []vigil.CheckRun
}

// checkShare is a check's time in each state over the window.
type checkShare struct {
	CheckID                          string
	Passing, Failing, Unknown, Fixes float64
	FixCount                         int
}

func (s *Server) hostPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	// An integration's agent record is not a host (no kernel, nothing to
	// revoke): its results are on the integration's own page.
	if xid, ok := s.integrationOfAgent(r, id); ok {
		http.Redirect(w, r, "/integrations/"+strconv.FormatInt(xid, 10), http.StatusSeeOther)
		return nil
	}
	return s.renderHost(w, r, id, http.StatusOK, nil)
}

// renderHost renders a host's page; form, when set, fills in the form
// state, so that a refused change is shown beside its field.
func (s *Server) renderHost(w http.ResponseWriter, r *http.Request, id int64, status int, form func(*webPage)) error {
	a, err := s.store.Agent(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Host "+a.Name, "hosts")
	d := &hostData{Host: s.agentView(*a)}
	res, err := s.store.CurrentResults(r.Context(), id, "")
	if err != nil {
		return err
	}
	for _, x := range res {
		switch x.Verdict {
		case "fail":
			d.Failing = append(d.Failing, x)
		case "error":
			d.Errors = append(d.Errors, x)
		case "pass":
			d.Passing++
		default:
			d.NA++
		}
	}
	d.To = s.now().UTC()
	d.From = d.To.AddDate(0, 0, -30)
	hist, err := s.monitor.History(r.Context(), id, "", d.From, d.To)
	if err != nil {
		return err
	}
	for _, h := range hist {
		cs := checkShare{CheckID: h.CheckID, Passing: 100 * h.Share[vigil.StatePassing], Failing: 100 * h.Share[vigil.StateFailing], Unknown: 100 * h.Share[vigil.StateUnknown]}
		var sum float64
		for _, rh := range h.Resources {
			for _, f := range rh.FixTimes {
				sum += f
				cs.FixCount++
			}
		}
		if cs.FixCount > 0 {
			cs.Fixes = sum / float64(cs.FixCount)
		}
		// Only what was not passing all along is worth a line.
		if cs.Passing < 99.95 {
			d.History = append(d.History, cs)
		}
	}
	sort.SliceStable(d.History, func(i, j int) bool {
		return d.History[i].Failing+d.History[i].Unknown > d.History[j].Failing+d.History[j].Unknown
	})
	if d.Runs, err = s.store.Runs(r.Context(), id, 10); err != nil {
		return err
	}
	if d.Tailoring, err = s.tailoringOf(r, id); err != nil {
		return err
	}
	if err := s.hostExceptions(r, a, d); err != nil {
		return err
	}
	p.Data = d
	if form != nil {
		form(p)
	}
	return s.render(w, status, "host", p)
}

func (s *Server) hostApproveTailoring(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.ApproveTailoring(r.Context(), id, r.PostFormValue("digest")); err != nil {
		if vigil.ErrorCode(err) == vigil.ECONFLICT {
			s.flash(w, r, "The host's tailoring changed since the page was shown: review it again before approving.")
			http.Redirect(w, r, "/hosts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return nil
		}
		return err
	}
	s.flash(w, r, "Approved this host's tailoring.")
	http.Redirect(w, r, "/hosts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) hostRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.RevokeAgent(r.Context(), id); err != nil {
		return err
	}
	s.flash(w, r, "Revoked the agent: its reports are refused from now on.")
	http.Redirect(w, r, "/hosts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) fleetPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Fleet", "hosts")
	rows, err := s.fleetRows(r.Context())
	if err != nil {
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Fail != rows[j].Fail {
			return rows[i].Fail > rows[j].Fail
		}
		return rows[i].Error > rows[j].Error
	})
	p.Data = rows
	return s.render(w, http.StatusOK, "fleet", p)
}

// automatedSection is a control's automated-test record over the audit
// window (or the last 90 days): the proof that it operated all along.
type automatedSection struct {
	From, To time.Time
	Window   string
	Checks   []string
	Passing  float64
	Failing  float64
	Unknown  float64
	Hosts    []vigil.HostShare
	Bars     []timelineBar
}

// timelineBar is one interval drawn on the control's timeline (SVG
// coordinates out of 1000).
type timelineBar struct {
	X, W  float64
	Class string
	Title string
}

func (s *Server) automatedFor(ctx context.Context, controlID string) (*automatedSection, error) {
	if s.monitor == nil {
		return nil, nil
	}
	now := s.now().UTC()
	d := &automatedSection{To: now, From: now.AddDate(0, 0, -90), Window: "the last 90 days"}
	if sc, err := s.store.Scope(ctx); err == nil && sc.WindowStart != "" && sc.WindowEnd != "" && sc.WindowStart.Time().Before(now) {
		d.From = sc.WindowStart.Time()
		if end := sc.WindowEnd.Time().AddDate(0, 0, 1); end.Before(now) {
			d.To = end
		}
		d.Window = "the audit window (" + string(sc.WindowStart) + " to " + string(sc.WindowEnd) + ")"
	}
	h, err := s.monitor.ControlHistory(ctx, controlID, d.From, d.To)
	if err != nil {
		return nil, err
	}
	if len(h.Checks) == 0 {
		return nil, nil
	}
	d.Checks = h.Checks
	d.Passing, d.Failing, d.Unknown = 100*h.Share[vigil.StatePassing], 100*h.Share[vigil.StateFailing], 100*h.Share[vigil.StateUnknown]
	span := d.To.Sub(d.From).Seconds()
	for _, iv := range h.Intervals {
		b := timelineBar{X: 1000 * iv.Start.Sub(d.From).Seconds() / span, W: 1000 * iv.End.Sub(iv.Start).Seconds() / span,
			Class: "tl-" + string(iv.State), Title: string(iv.State) + " " + iv.Start.Format("2006-01-02 15:04") + " to " + iv.End.Format("2006-01-02 15:04")}
		if iv.Reason != "" && iv.State != vigil.StatePassing {
			b.Title += ": " + iv.Reason
		}
		d.Bars = append(d.Bars, b)
	}
	d.Hosts = h.Hosts
	sort.SliceStable(d.Hosts, func(i, j int) bool {
		a, b := d.Hosts[i].Share, d.Hosts[j].Share
		return a[vigil.StateFailing]+a[vigil.StateUnknown] > b[vigil.StateFailing]+b[vigil.StateUnknown]
	})
	if len(d.Hosts) > 20 {
		d.Hosts = d.Hosts[:20]
	}
	return d, nil
}

type integrationsData struct {
	Items []integrationView
	Kinds []kindForm
	JSON  jsonForm
	Test  *api.TestResult
}

// jsonForm is the fallback: any kind, its settings typed as JSON, for
// settings no form names (GitHub's alert days) or a kind without a form.
type jsonForm struct {
	Kinds                               []string
	Open                                bool
	Kind, NameValue, Config, EveryValue string
	KindError, NameError, ConfigError   string
	SecretError, EveryError             string
}

// integrationView is an integration in the list: its results counted from
// the same current results its own page lists, so the two always agree.
type integrationView struct {
	vigil.Integration
	Title                 string
	Every                 string
	Fail, Error, Pass, NA int
}

// kindForm is the form connecting a system of one kind: a named input per
// setting, with help and an example (the JSON form is only a fallback for
// what no form names).
type kindForm struct {
	integrations.KindInfo
	Open                  bool // the form the last post came from: open, with its input and errors
	NameValue, EveryValue string
	NameError, EveryError string
	Fields                []fieldView
	Secret                fieldView
}

type fieldView struct {
	integrations.Field
	ID, Input, Value, Error string
}

// resultCounts counts an integration's current results by verdict.
func resultCounts(res []vigil.CurrentResult) (fail, errs, pass, na int) {
	for _, x := range res {
		switch x.Verdict {
		case "fail":
			fail++
		case "error":
			errs++
		case "pass":
			pass++
		default:
			na++
		}
	}
	return
}

func (s *Server) integrationView(r *http.Request, x vigil.Integration) (integrationView, []vigil.CurrentResult, error) {
	v := integrationView{Integration: x, Title: x.Kind, Every: integrations.FormatInterval(x.Interval)}
	if info, ok := s.integrations.Kinds.Info(x.Kind); ok {
		v.Title = info.Title
	}
	res, err := s.store.CurrentResults(r.Context(), x.AgentID, "")
	if err != nil {
		return v, nil, err
	}
	v.Fail, v.Error, v.Pass, v.NA = resultCounts(res)
	return v, res, nil
}

// integrationsData builds the list and a form per kind; posted, when set,
// is the input of a refused form, shown again with its errors.
func (s *Server) integrationsData(r *http.Request, posted url.Values, errs map[string]string) (*integrationsData, error) {
	xs, err := s.store.Integrations(r.Context())
	if err != nil {
		return nil, err
	}
	d := &integrationsData{JSON: jsonForm{EveryValue: "1h"}}
	viaJSON := posted != nil && posted.Has("config")
	if viaJSON {
		d.JSON = jsonForm{Open: true, Kind: posted.Get("kind"), NameValue: posted.Get("name"), Config: posted.Get("config"), EveryValue: posted.Get("every"),
			KindError: errs["kind"], NameError: errs["name"], SecretError: errs["secret"], EveryError: errs["every"]}
		// A kind names the setting it refuses; here they are all one box.
		for k, m := range errs {
			if k == "config" || strings.HasPrefix(k, "config.") {
				d.JSON.ConfigError = m
			}
		}
	}
	for _, info := range s.integrations.Kinds.Infos() {
		d.JSON.Kinds = append(d.JSON.Kinds, info.Name)
		kf := kindForm{KindInfo: info, EveryValue: "1h"}
		if posted != nil && !viaJSON && posted.Get("kind") == info.Name {
			kf.Open, kf.NameValue, kf.EveryValue = true, posted.Get("name"), posted.Get("every")
			kf.NameError, kf.EveryError = errs["name"], errs["every"]
		}
		for _, f := range info.Fields {
			fv := fieldView{Field: f, ID: "f-" + info.Name + "-" + f.Name, Input: "config." + f.Name}
			if kf.Open {
				fv.Value, fv.Error = posted.Get(fv.Input), errs[fv.Input]
			}
			kf.Fields = append(kf.Fields, fv)
		}
		// The credential is never echoed back, even into its own form.
		kf.Secret = fieldView{Field: info.Secret, ID: "f-" + info.Name + "-secret", Input: "secret"}
		if kf.Open {
			kf.Secret.Error = errs["secret"]
		}
		d.Kinds = append(d.Kinds, kf)
	}
	for _, x := range xs {
		v, _, err := s.integrationView(r, x)
		if err != nil {
			return nil, err
		}
		d.Items = append(d.Items, v)
	}
	return d, nil
}

func (s *Server) integrationsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Integrations", "integrations")
	d, err := s.integrationsData(r, nil, nil)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(w, http.StatusOK, "integrations", p)
}

// integrationCreatePage connects a system from its kind's form: the named
// fields become the settings JSON, which the kind validates as the API's
// would be; a refusal is shown beside the field it names.
func (s *Server) integrationCreatePage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	kind := f.Get("kind")
	x := &vigil.Integration{Kind: kind, Name: strings.TrimSpace(f.Get("name")), Enabled: true}
	err := func() error {
		if _, ok := s.integrations.Kinds.Lookup(kind); !ok {
			return vigil.FieldError("kind", "there is no integration kind %q", kind)
		}
		iv, err := integrations.ParseInterval("every", f.Get("every"))
		if err != nil {
			return err
		}
		if x.Interval = iv; iv == 0 {
			x.Interval = 3600
		}
		// The JSON form posts "config", the settings whole; a kind's form
		// posts each setting by name.
		if x.Config, err = s.integrations.Kinds.BuildConfig(kind, func(n string) string { return f.Get("config." + n) }, f.Get("config")); err != nil {
			return err
		}
		err = s.integrations.Create(r.Context(), x, f.Get("secret"))
		if vigil.ErrorField(err) == "interval_seconds" {
			// The form says "every", and takes durations.
			return vigil.FieldError("every", "run it between every 1m and every 7d (168h)")
		}
		return err
	}()
	if err != nil {
		p := s.newPage(w, r, "Integrations", "integrations")
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		if fld := vigil.ErrorField(err); fld != "" && fld != "kind" && !f.Has("config") {
			p.Error = "Please correct the highlighted field in the " + kind + " form."
		}
		d, derr := s.integrationsData(r, f, p.Errors)
		if derr != nil {
			return derr
		}
		p.Data = d
		f.Del("secret") // never echoed back into the page
		p.Form = f
		return s.render(w, http.StatusUnprocessableEntity, "integrations", p)
	}
	s.flash(w, r, "Connected "+x.Name+". Test it, or wait for its first run.")
	http.Redirect(w, r, "/integrations/"+strconv.FormatInt(x.ID, 10), http.StatusSeeOther)
	return nil
}

// integrationPageData is an integration's own page: what it is and how it
// is set, its runs and its results, each verdict listed with its count.
type integrationPageData struct {
	X        integrationView
	Settings []integrations.Setting
	Runs     []vigil.CheckRun
	Failing  []vigil.CurrentResult
	Errors   []vigil.CurrentResult
	NA       []vigil.CurrentResult
	Passing  []vigil.CurrentResult
}

func (s *Server) integrationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, _, err := s.store.Integration(r.Context(), id)
	if err != nil {
		return err
	}
	v, res, err := s.integrationView(r, *x)
	if err != nil {
		return err
	}
	d := &integrationPageData{X: v, Settings: s.integrations.Kinds.Settings(x.Kind, x.Config)}
	for _, rr := range res {
		switch rr.Verdict {
		case "fail":
			d.Failing = append(d.Failing, rr)
		case "error":
			d.Errors = append(d.Errors, rr)
		case "pass":
			d.Passing = append(d.Passing, rr)
		default:
			d.NA = append(d.NA, rr)
		}
	}
	if d.Runs, err = s.store.Runs(r.Context(), x.AgentID, 10); err != nil {
		return err
	}
	p := s.newPage(w, r, "Integration "+x.Name, "integrations")
	p.Data = d
	return s.render(w, http.StatusOK, "integration", p)
}

// integrationOfAgent finds the integration an agent record belongs to:
// an integration is shown as an integration, not as a host.
func (s *Server) integrationOfAgent(r *http.Request, agentID int64) (int64, bool) {
	if s.integrations == nil {
		return 0, false
	}
	xs, err := s.store.Integrations(r.Context())
	if err != nil {
		return 0, false
	}
	for _, x := range xs {
		if x.AgentID == agentID {
			return x.ID, true
		}
	}
	return 0, false
}

func (s *Server) integrationActionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	back := "/integrations/" + strconv.FormatInt(id, 10)
	switch r.PathValue("action") {
	case "test":
		if err := s.integrations.Test(r.Context(), id); err != nil {
			if c := vigil.ErrorCode(err); c == vigil.ENOTFOUND || c == vigil.EINTERNAL {
				return err
			}
			s.flash(w, r, "Test failed: "+vigil.ErrorMessage(err))
		} else {
			s.flash(w, r, "Connected.")
		}
	case "run":
		rep, err := s.integrations.RunNow(r.Context(), id)
		if err != nil {
			return err
		}
		// Checks only: the results, counted from what was stored, are on
		// the page this redirects to, so no two counts can disagree.
		s.flash(w, r, fmt.Sprintf("Ran %d checks: %d failing, %d could not be judged.", rep.Summary.Checks, rep.Summary.ChecksFailing, rep.Summary.ChecksUnjudged))
	case "delete":
		if err := s.integrations.Delete(r.Context(), id); err != nil {
			return err
		}
		s.flash(w, r, "Disconnected; its results stay as history.")
		back = "/integrations"
	default:
		return vigil.NotFound("action", r.PathValue("action"))
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
