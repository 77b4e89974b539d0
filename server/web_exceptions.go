package server

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/monitor"
)

type exceptionsData struct {
	Items  []vigil.CheckException
	State  string           // the state filter
	Counts map[string]int   // per state, over all exceptions
	Checks []string         // every check ID, for the request form
	Hosts  []vigil.Agent    // live hosts, for the request form
	Labels []string         // labels in use, for the request form
	Me     int64            // the signed-in user: no approve button on one's own request
	Days   int              // the longest an exception lasts
	Soon   map[int64]string // active exceptions running out within two weeks: when
}

func (s *Server) exceptionsData(r *http.Request, state string) (*exceptionsData, error) {
	all, err := s.monitor.Exceptions(r.Context(), monitor.ExceptionFilter{})
	if err != nil {
		return nil, err
	}
	d := &exceptionsData{State: state, Counts: map[string]int{}, Days: vigil.MaxExceptionDays, Soon: map[int64]string{}}
	if ws := sessionFrom(r.Context()); ws != nil {
		d.Me = ws.user.ID
	}
	for _, e := range all {
		d.Counts[string(e.State)]++
		// Whoever owns the failure should see the end coming: after it,
		// the failure counts again.
		if left := e.Expires.Sub(s.now()); e.State == vigil.ExceptionActive && left < 14*24*time.Hour {
			if left < 24*time.Hour {
				d.Soon[e.ID] = "runs out within a day"
			} else {
				d.Soon[e.ID] = "runs out in " + strconv.Itoa(int((left+24*time.Hour-1)/(24*time.Hour))) + " days"
			}
		}
		if state == "" || string(e.State) == state {
			d.Items = append(d.Items, e)
		}
	}
	// Pending first: they are what needs someone's decision.
	sort.SliceStable(d.Items, func(i, j int) bool {
		return (d.Items[i].State == vigil.ExceptionPending) && (d.Items[j].State != vigil.ExceptionPending)
	})
	for _, c := range s.monitor.Checks.Checks() {
		d.Checks = append(d.Checks, c.ID)
	}
	sort.Strings(d.Checks)
	agents, err := s.store.Agents(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range agents {
		if a.RevokedAt != nil {
			continue
		}
		d.Hosts = append(d.Hosts, a)
		for _, l := range vigil.LabelList(a.Labels) {
			if !seen[l] {
				seen[l] = true
				d.Labels = append(d.Labels, l)
			}
		}
	}
	sort.Strings(d.Labels)
	return d, nil
}

func (s *Server) exceptionsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Exceptions", "exceptions")
	state := r.URL.Query().Get("state")
	switch vigil.ExceptionState(state) {
	case "", vigil.ExceptionPending, vigil.ExceptionActive, vigil.ExceptionExpired, vigil.ExceptionRevoked:
	default:
		return vigil.FieldError("state", "state must be pending, active, expired or revoked")
	}
	d, err := s.exceptionsData(r, state)
	if err != nil {
		return err
	}
	// A link from a failing check on a host page fills the request form.
	q := r.URL.Query()
	p.Form = url.Values{"check": {q.Get("check")}, "agent_id": {q.Get("agent_id")}, "scope": {"host"}, "kind": {"risk_accepted"}}
	if q.Get("agent_id") == "" {
		p.Form.Set("scope", "all")
	}
	p.Data = d
	return s.render(w, http.StatusOK, "exceptions", p)
}

func (s *Server) exceptionRequestPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	req := api.ExceptionRequest{Check: f.Get("check"), Kind: f.Get("kind"), Scope: f.Get("scope"), Label: f.Get("label"),
		Justification: f.Get("justification"), ExpiresAt: f.Get("expires_at")}
	// The form has a host list and a label field side by side: only the
	// one the scope names counts.
	switch req.Scope {
	case "host":
		req.Label = ""
		if v := f.Get("agent_id"); v != "" {
			// Not a number: left 0, so validation asks for the host.
			req.AgentID, _ = strconv.ParseInt(v, 10, 64)
		}
	case "label":
	default:
		req.Label = ""
	}
	e, err := exceptionFrom(&req)
	if err == nil {
		err = s.monitor.RequestException(r.Context(), e)
	}
	if err != nil {
		p := s.newPage(w, r, "Exceptions", "exceptions")
		d, derr := s.exceptionsData(r, "")
		if derr != nil {
			return derr
		}
		p.Data, p.Form = d, f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnprocessableEntity, "exceptions", p)
	}
	s.flash(w, r, "Requested exception #"+strconv.FormatInt(e.ID, 10)+" for "+e.CheckID+" on "+e.ScopeText()+
		". It changes nothing until another admin or owner approves it.")
	http.Redirect(w, r, "/exceptions?state=pending", http.StatusSeeOther)
	return nil
}

// exceptionDecision runs an approval or revocation from the page. What
// the person can act on (someone else decided first, their own request)
// is said on the list, not as an error page.
func (s *Server) exceptionDecision(w http.ResponseWriter, r *http.Request, act func(int64) (*vigil.CheckException, error), done string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	e, err := act(id)
	switch c := vigil.ErrorCode(err); {
	case err == nil:
		s.flash(w, r, done+" exception #"+strconv.FormatInt(e.ID, 10)+" ("+e.CheckID+" on "+e.ScopeText()+").")
	case c == vigil.ECONFLICT || c == vigil.EFORBIDDEN || c == vigil.EINVALID:
		// Said on the list, as an alert, with nothing changed.
		p := s.newPage(w, r, "Exceptions", "exceptions")
		d, derr := s.exceptionsData(r, "")
		if derr != nil {
			return derr
		}
		p.Data, p.Error = d, "Exception #"+strconv.FormatInt(id, 10)+": "+vigil.ErrorMessage(err)
		return s.render(w, statusOf(c), "exceptions", p)
	default:
		return err
	}
	back := "/exceptions"
	if ref := r.PostFormValue("back"); strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, "//") {
		back = ref
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func (s *Server) exceptionApprovePage(w http.ResponseWriter, r *http.Request) error {
	return s.exceptionDecision(w, r, func(id int64) (*vigil.CheckException, error) {
		return s.monitor.ApproveException(r.Context(), id)
	}, "Approved")
}

func (s *Server) exceptionRevokePage(w http.ResponseWriter, r *http.Request) error {
	return s.exceptionDecision(w, r, func(id int64) (*vigil.CheckException, error) {
		return s.monitor.RevokeException(r.Context(), id, r.PostFormValue("reason"))
	}, "Revoked")
}

func (s *Server) hostLabels(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	back := "/hosts/" + strconv.FormatInt(id, 10)
	labels, err := vigil.ParseLabels("labels", r.PostFormValue("labels"))
	if err == nil {
		_, err = s.monitor.SetLabels(r.Context(), id, labels)
	}
	if err != nil {
		// Shown beside the field, with what was typed kept.
		var ferr error
		rerr := s.renderHost(w, r, id, http.StatusUnprocessableEntity, func(p *webPage) {
			p.Form = r.PostForm
			ferr = formError(p, err)
		})
		if ferr != nil {
			return ferr
		}
		return rerr
	}
	s.flash(w, r, "Labels saved: "+orNone(strings.Join(vigil.LabelList(labels), ", "))+".")
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// hostExceptions adds to a host page its labels, which exception covers
// each failing check, and the exceptions that take the host in.
func (s *Server) hostExceptions(r *http.Request, a *vigil.Agent, d *hostData) error {
	d.Labels = vigil.LabelList(a.Labels)
	idx, err := s.monitor.ActiveExceptions(r.Context())
	if err != nil {
		return err
	}
	d.Excepted = map[string]*vigil.CheckException{}
	// A stale host's failures are unknown, not excepted: the signal says so.
	if !d.Host.Stale {
		for _, f := range d.Failing {
			if x := idx.Cover(f.CheckID, a); x != nil {
				d.Excepted[f.CheckID] = x
			}
		}
	}
	d.Exceptions, err = s.monitor.Exceptions(r.Context(), monitor.ExceptionFilter{AgentID: a.ID})
	return err
}
