package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/store"
)

type hostsData struct {
	Hosts       []agentView
	Enrolment   *monitor.Enrolment
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
	var e *monitor.Enrolment
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

	Tailoring tailoringView // what the host turns off, and what of it is not approved
	More      int           // checks not shown in History
	Host      agentView
	Failing   []store.StoredResult
	Errors    []store.StoredResult
	Passing   int
	NA        int
	History   []checkShare
	From, To  time.Time
	Runs      []store.CheckRun
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
	Hosts    []monitor.HostShare
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
	Kinds []string
	Test  *testResult
}

type integrationView struct {
	vigil.Integration
	Fail, Error, Pass int
}

func (s *Server) integrationsData(r *http.Request) (*integrationsData, error) {
	xs, err := s.store.Integrations(r.Context())
	if err != nil {
		return nil, err
	}
	d := &integrationsData{}
	for k := range s.integrations.Kinds {
		d.Kinds = append(d.Kinds, k)
	}
	sort.Strings(d.Kinds)
	for _, x := range xs {
		v := integrationView{Integration: x}
		if a, err := s.store.Agent(r.Context(), x.AgentID); err == nil {
			v.Fail, v.Error, v.Pass = a.Fail, a.Error, a.Pass
		}
		d.Items = append(d.Items, v)
	}
	return d, nil
}

func (s *Server) integrationsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Integrations", "integrations")
	d, err := s.integrationsData(r)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(w, http.StatusOK, "integrations", p)
}

func (s *Server) integrationCreatePage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	iv, _ := strconv.Atoi(f.Get("interval_seconds"))
	cfg := strings.TrimSpace(f.Get("config"))
	if cfg == "" {
		cfg = "{}"
	}
	x := &vigil.Integration{Kind: f.Get("kind"), Name: strings.TrimSpace(f.Get("name")), Config: []byte(cfg), Interval: iv, Enabled: true}
	var err error
	if !json.Valid(x.Config) {
		err = vigil.FieldError("config", "the settings are not JSON")
	} else {
		err = s.integrations.Create(r.Context(), x, f.Get("secret"))
	}
	if err != nil {
		p := s.newPage(w, r, "Integrations", "integrations")
		d, derr := s.integrationsData(r)
		if derr != nil {
			return derr
		}
		p.Data = d
		f.Del("secret") // never echoed back into the page
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnprocessableEntity, "integrations", p)
	}
	s.flash(w, r, "Connected "+x.Name+". Test it, or wait for its first run.")
	http.Redirect(w, r, "/integrations", http.StatusSeeOther)
	return nil
}

func (s *Server) integrationActionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
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
		s.flash(w, r, fmt.Sprintf("Ran %d checks: %d failing, %d could not be judged.", rep.Summary.Checks, rep.Summary.ChecksFailing, rep.Summary.ChecksUnjudged))
	case "delete":
		if err := s.integrations.Delete(r.Context(), id); err != nil {
			return err
		}
		s.flash(w, r, "Disconnected; its results stay as history.")
	default:
		return vigil.NotFound("action", r.PathValue("action"))
	}
	http.Redirect(w, r, "/integrations", http.StatusSeeOther)
	return nil
}
