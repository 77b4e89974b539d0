package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/readiness"
	"github.com/vigil-soc/vigil/store"
)

// nextStep is one control whose fixing closes gaps, for the dashboard.
type nextStep struct {
	ControlID string
	Title     string
	Criteria  []string
	Reasons   []string
}

type dashboardData struct {
	Report        *readiness.Report
	Chart         template.HTML
	Steps         []nextStep
	Uncovered     []readiness.CriterionReadiness
	WithoutOwner  int
	Scope         *vigil.Scope
	ControlsTotal int
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := s.newPage(w, r, "Dashboard", "dashboard")
	rep, err := s.Readiness(ctx)
	if err != nil {
		return err
	}
	sc, err := s.store.Scope(ctx)
	if err != nil {
		return err
	}
	since := s.now().UTC().AddDate(0, 0, -89).Format(time.DateOnly)
	hist, err := s.store.ReadinessHistory(ctx, since)
	if err != nil {
		return err
	}
	d := &dashboardData{Report: rep, Scope: sc, WithoutOwner: rep.Controls.WithoutOwner, ControlsTotal: rep.Controls.Total}
	d.Chart = trendChart(hist, rep, s.now().UTC())
	// Rank controls by how many criteria their problems hold back: fixing
	// the first one closes the most gaps.
	byCtl := map[string]*nextStep{}
	for _, cr := range rep.Criteria {
		if len(cr.Controls) == 0 {
			d.Uncovered = append(d.Uncovered, cr)
		}
		for _, g := range cr.Gaps {
			if g.ControlID == "" {
				continue
			}
			st := byCtl[g.ControlID]
			if st == nil {
				h, _ := rep.ControlHealth(g.ControlID)
				st = &nextStep{ControlID: g.ControlID, Title: h.Title}
				byCtl[g.ControlID] = st
			}
			if !slices.Contains(st.Criteria, cr.ID) {
				st.Criteria = append(st.Criteria, cr.ID)
			}
			if !slices.Contains(st.Reasons, g.Reason) {
				st.Reasons = append(st.Reasons, g.Reason)
			}
		}
	}
	for _, st := range byCtl {
		d.Steps = append(d.Steps, *st)
	}
	sort.Slice(d.Steps, func(i, j int) bool {
		if len(d.Steps[i].Criteria) != len(d.Steps[j].Criteria) {
			return len(d.Steps[i].Criteria) > len(d.Steps[j].Criteria)
		}
		return d.Steps[i].ControlID < d.Steps[j].ControlID
	})
	if len(d.Steps) > 8 {
		d.Steps = d.Steps[:8]
	}
	p.Data = d
	return s.render(w, http.StatusOK, "dashboard", p)
}

// trendChart draws overall readiness per day as an SVG line, carrying each
// day's value forward until the next recorded change, and ending with the
// live value today. Every value in it is a number or a date we format, so
// it is safe to emit as HTML.
func trendChart(hist []store.HistoryPoint, rep *readiness.Report, now time.Time) template.HTML {
	const W, H, left, bottom, top = 720, 150, 34, 22, 8
	days := 90
	start := now.AddDate(0, 0, -(days - 1))
	byDay := map[string]float64{}
	for _, h := range hist {
		if h.Total > 0 {
			byDay[h.Day] = float64(h.Ready) * 100 / float64(h.Total)
		}
	}
	byDay[now.Format(time.DateOnly)] = rep.Overall.Percent
	var pts []string
	last, have := 0.0, false
	for i := 0; i < days; i++ {
		day := start.AddDate(0, 0, i).Format(time.DateOnly)
		if v, ok := byDay[day]; ok {
			last, have = v, true
		}
		if !have {
			continue
		}
		x := left + float64(i)*float64(W-left-4)/float64(days-1)
		y := top + (100-last)*float64(H-top-bottom)/100
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="Overall readiness over the last %d days, now %.1f%%">`, W, H, days, rep.Overall.Percent)
	for _, v := range []int{0, 50, 100} {
		y := top + float64(100-v)*float64(H-top-bottom)/100
		fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke-dasharray="2,3"/><text x="0" y="%.1f">%d%%</text>`, left, W, y, y, y+4, v)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">today</text>`, left, H-4, start.Format("Jan 2"), W, H-4)
	if len(pts) > 0 {
		first := strings.Split(pts[0], ",")[0]
		lastX := strings.Split(pts[len(pts)-1], ",")[0]
		fmt.Fprintf(&b, `<polygon class="area" points="%s,%d %s %s,%d"/>`, first, H-bottom, strings.Join(pts, " "), lastX, H-bottom)
		fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(pts, " "))
		xy := strings.Split(pts[len(pts)-1], ",")
		fmt.Fprintf(&b, `<circle class="dot" cx="%s" cy="%s" r="4"/>`, xy[0], xy[1])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type criteriaData struct {
	Report *readiness.Report
	Groups []criteriaGroup
}

type criteriaGroup struct {
	Title    string
	Score    readiness.Score
	Criteria []readiness.CriterionReadiness
}

func (s *Server) criteriaPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Criteria", "criteria")
	rep, err := s.Readiness(r.Context())
	if err != nil {
		return err
	}
	d := &criteriaData{Report: rep}
	for _, c := range rep.Categories {
		g := criteriaGroup{Title: c.Title, Score: c.Score}
		for _, cr := range rep.Criteria {
			if cr.Category == c.Category {
				g.Criteria = append(g.Criteria, cr)
			}
		}
		d.Groups = append(d.Groups, g)
	}
	p.Data = d
	return s.render(w, http.StatusOK, "criteria", p)
}

type criterionPageData struct {
	Criterion  catalog.Criterion
	InScope    bool
	Readiness  readiness.CriterionReadiness
	Controls   []readiness.ControlHealth
	Crosswalk  []crosswalkGroup
	Related    int // related requirements shown, each once
	Frameworks []*catalog.Framework
	Framework  string
	MinSupport int
	Library    []string
}

func (s *Server) criterionPage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	c, ok := s.cat.Criterion(id)
	if !ok {
		return vigil.NotFound("criterion", id)
	}
	p := s.newPage(w, r, c.ID+" "+c.Title, "criteria")
	rep, err := s.Readiness(r.Context())
	if err != nil {
		return err
	}
	d := &criterionPageData{Criterion: c, Frameworks: s.cat.Frameworks, Framework: r.URL.Query().Get("framework")}
	if _, ok := s.cat.Framework(d.Framework); d.Framework != "" && !ok {
		return vigil.FieldError("framework", "unknown framework %q", d.Framework)
	}
	if d.MinSupport, err = queryInt(r, "min_support", 0); err != nil {
		return err
	}
	d.Readiness, d.InScope = rep.Criterion(id)
	for _, cid := range append(slices.Clone(d.Readiness.Controls), d.Readiness.NotApplicable...) {
		if h, ok := rep.ControlHealth(cid); ok {
			d.Controls = append(d.Controls, h)
		}
	}
	d.Crosswalk, d.Related = s.crosswalkGroups(s.cat.MappingsFor(c.ID, d.Framework, d.MinSupport), d.Framework != "")
	for _, lc := range s.cat.Library {
		if slices.Contains(lc.Criteria, c.ID) {
			d.Library = append(d.Library, lc.ID)
		}
	}
	p.Data = d
	return s.render(w, http.StatusOK, "criterion", p)
}

// crosswalkGroup is one framework's related requirements on a criterion's
// page, folded away by default: a criterion can relate to hundreds.
type crosswalkGroup struct {
	Framework *catalog.Framework
	Open      bool
	Rows      []crosswalkRow
}

// crosswalkRow is one related requirement, once, however many published
// mappings relate it: their sources, published IDs, best confidence and
// support are merged.
type crosswalkRow struct {
	RequirementID, RequirementTitle string
	Label                           string
	Targets                         []string // published IDs other than the requirement's own (PS-6a for PS-6)
	Sources                         []string
	Confidence                      string
	Support                         int
	Mappings                        int
}

// crosswalkGroups merges mapping rows by (framework, requirement), in the
// catalog's order of frameworks and of first appearance.
func (s *Server) crosswalkGroups(ms []catalog.Mapping, open bool) ([]crosswalkGroup, int) {
	byFW := map[string]*crosswalkGroup{}
	at := map[[2]string]int{}
	n := 0
	for _, m := range ms {
		g := byFW[m.Framework]
		if g == nil {
			f, _ := s.cat.Framework(m.Framework)
			g = &crosswalkGroup{Framework: f, Open: open}
			byFW[m.Framework] = g
		}
		k := [2]string{m.Framework, m.RequirementID}
		i, ok := at[k]
		if !ok {
			req, _ := g.Framework.Requirement(m.RequirementID)
			g.Rows = append(g.Rows, crosswalkRow{RequirementID: m.RequirementID, RequirementTitle: req.Title, Label: m.Label()})
			i = len(g.Rows) - 1
			at[k] = i
			n++
		}
		row := &g.Rows[i]
		row.Mappings++
		if m.TargetID != m.RequirementID && !slices.Contains(row.Targets, m.TargetID) {
			row.Targets = append(row.Targets, m.TargetID)
		}
		if !slices.Contains(row.Sources, m.Source) {
			row.Sources = append(row.Sources, m.Source)
		}
		if row.Confidence != "high" {
			row.Confidence = m.Confidence
		}
		row.Support = max(row.Support, m.Support)
	}
	var out []crosswalkGroup
	for _, f := range s.cat.Frameworks {
		if g := byFW[f.ID]; g != nil {
			out = append(out, *g)
		}
	}
	return out, n
}

type controlsPageData struct {
	Page     api.Page[api.ControlView]
	Query    url.Values
	NextURL  string
	Users    []vigil.User
	Domains  []catalog.Domain
	Criteria []catalog.Criterion
	Statuses []vigil.ControlStatus
	Healths  []vigil.HealthState
	Adopted  int
	Filtered bool
	Bulk     *bulkForm
}

// bulkForm is the controls list's bulk change: a checkbox per control the
// user may edit and a bar to set owner, status or frequency on the ticked.
type bulkForm struct {
	Freqs    []vigil.Frequency
	Owners   []vigil.User // users who may own controls; nil: the user may not change owners
	CanNA    bool         // may mark not applicable (managers only)
	Editable map[string]bool
	Selected map[string]bool
	Back     string // the list's query, to come back to it
	// Failures are the reasons a refused change gave, each with the
	// controls it named; none changed.
	Failures []store.FailureGroup
	Refused  map[string]bool // the rows to mark
}

func (s *Server) controlsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Controls", "controls")
	return s.renderControls(w, r, p, nil, http.StatusOK)
}

// renderControls draws the controls list for r's query. bulk, when not
// nil, is a refused bulk change to show again with its selection.
func (s *Server) renderControls(w http.ResponseWriter, r *http.Request, p *webPage, bulk *bulkForm, status int) error {
	res, err := s.queryControls(r)
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		res = api.Page[api.ControlView]{Items: []api.ControlView{}}
	}
	users, err := s.store.ListUsers(r.Context(), 0, 0)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &controlsPageData{Page: res, Query: q, Users: users, Domains: s.cat.Domains, Criteria: s.cat.Criteria,
		Statuses: vigil.ControlStatuses, Healths: healthStates}
	for _, k := range []string{"status", "owner", "domain", "criterion", "health", "q"} {
		d.Filtered = d.Filtered || q.Get(k) != ""
	}
	if res.NextCursor != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", res.NextCursor)
		d.NextURL = "/controls?" + nq.Encode()
	}
	all, err := s.store.ListControls(r.Context(), vigil.ControlFilter{Limit: 1})
	if err != nil {
		return err
	}
	d.Adopted = len(all)
	if a := vigil.ActorFrom(r.Context()); a.Role.Can(vigil.PermEditOwnControl) {
		if bulk == nil {
			bulk = &bulkForm{Selected: map[string]bool{}}
		}
		bulk.Freqs, bulk.CanNA, bulk.Back, bulk.Editable = vigil.Frequencies, a.Role.Can(vigil.PermManage), q.Encode(), map[string]bool{}
		if a.Role.Can(vigil.PermManage) {
			bulk.Owners = []vigil.User{}
			for _, u := range users {
				if !u.Disabled && u.Role.Can(vigil.PermEditOwnControl) {
					bulk.Owners = append(bulk.Owners, u)
				}
			}
		}
		for i := range res.Items {
			bulk.Editable[res.Items[i].ID] = a.MayEditControl(&res.Items[i].Control)
		}
		d.Bulk = bulk
	}
	p.Data = d
	return s.render(w, status, "controls", p)
}

// controlsBulkPost sets owner, status or frequency on the ticked controls,
// all or none, through the same path as the API. A refusal shows the list
// again with the selection kept and every control at fault named.
func (s *Server) controlsBulkPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	back, err := url.ParseQuery(f.Get("back"))
	if err != nil {
		back = url.Values{}
	}
	back.Del("cursor") // the page may have changed under the change
	ids := f["id"]
	err = func() error {
		var set api.BulkSet
		switch v := f.Get("owner_id"); v {
		case "":
		case "none":
			set.OwnerID = new(int64)
		default:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return vigil.FieldError("owner_id", "choose an owner from the list")
			}
			set.OwnerID = &n
		}
		if v := f.Get("status"); v != "" {
			st := vigil.ControlStatus(v)
			set.Status = &st
			if st == vigil.StatusNotApplicable {
				j := f.Get("justification")
				set.Justification = &j
			}
		}
		if v := f.Get("frequency"); v != "" {
			fr := vigil.Frequency(v)
			set.Frequency = &fr
		}
		if len(ids) == 0 {
			return vigil.FieldError("ids", "tick at least one control in the list first")
		}
		norm, err := normalizeIDs(ids)
		if err != nil {
			return err
		}
		p, err := bulkPatch(set)
		if err != nil {
			return vigil.FieldError("set", "choose an owner, a status or a frequency to set on the ticked controls")
		}
		cs, unchanged, err := s.updateControls(r.Context(), norm, p)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Updated %d control(s)", len(cs)-len(unchanged))
		var changed []string
		for _, c := range cs {
			if !slices.Contains(unchanged, c.ID) {
				changed = append(changed, c.ID)
			}
		}
		if len(changed) > 0 {
			msg += ": " + listIDs(changed)
		}
		msg += "."
		if len(unchanged) > 0 {
			msg += fmt.Sprintf(" %d already had these values: %s.", len(unchanged), listIDs(unchanged))
		}
		s.flash(w, r, msg)
		return nil
	}()
	if err == nil {
		http.Redirect(w, r, "/controls?"+back.Encode(), http.StatusSeeOther)
		return nil
	}
	p := s.newPage(w, r, "Controls", "controls")
	p.Form = f
	bulk := &bulkForm{Selected: map[string]bool{}}
	for _, id := range ids {
		bulk.Selected[vigil.CanonicalControlID(id)] = true
	}
	var be *store.BulkError
	if errors.As(err, &be) {
		bulk.Failures, bulk.Refused = be.Groups(), map[string]bool{}
		for _, fl := range be.Failures {
			bulk.Refused[fl.ControlID] = true
		}
		p.Error = fmt.Sprintf("Nothing was changed: %d of the %d ticked control(s) cannot take this change. Fix them, or untick them, and apply again.", len(be.Failures), len(bulk.Selected))
		// The fields at fault are marked on the bar.
		for _, fl := range be.Failures {
			if fl.Field != "" {
				p.Errors["bulk_"+fl.Field] = fl.Message
			}
		}
	} else {
		var ve *vigil.Error
		if !errors.As(err, &ve) || ve.Code == vigil.EINTERNAL || ve.Code == vigil.EUNAVAILABLE {
			return err
		}
		p.Error = ve.Message
		if ve.Field != "" {
			p.Errors["bulk_"+ve.Field] = ve.Message
		}
	}
	// Drawn for the list the change was made from.
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = back.Encode()
	return s.renderControls(w, r2, p, bulk, http.StatusBadRequest)
}

// listIDs names controls for a message, the first ten of them.
func listIDs(ids []string) string {
	if len(ids) <= 10 {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:10], ", ") + fmt.Sprintf(" and %d more", len(ids)-10)
}

type historyEntry struct {
	At     time.Time
	Actor  string
	Action string
	Change string
}

type controlPageData struct {
	Evidence  *evidenceSection
	Automated *automatedSection
	Control   api.ControlView
	Related   map[string][]api.Related
	FWNames   map[string]string
	History   []historyEntry
	Users     []vigil.User
	CanEdit   bool
	CanManage bool
	Statuses  []vigil.ControlStatus
	Freqs     []vigil.Frequency
	// NotShown is set when the control's only gap is that nothing shows
	// it operating yet: the page then says what would.
	NotShown bool
	// Continuous is set for controls that operate continuously or daily:
	// an automated test, not a request, shows them operating.
	Continuous *continuousNote
}

// continuousNote tells what can show a continuous control operating: the
// kinds of systems whose checks test it, and whether any reports yet.
type continuousNote struct {
	Sources   []string // collector families (host, aws, github, ...)
	Reporting bool
}

func (s *Server) controlPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Control(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.newPage(w, r, c.ID+" "+c.Title, "controls")
	return s.renderControl(w, r, p, c, http.StatusOK)
}

func (s *Server) renderControl(w http.ResponseWriter, r *http.Request, p *webPage, c *vigil.Control, status int) error {
	ctx := r.Context()
	a := vigil.ActorFrom(ctx)
	d := &controlPageData{Control: s.view(c, s.signals(ctx)), Related: map[string][]api.Related{}, FWNames: map[string]string{},
		CanEdit: a.MayEditControl(c), CanManage: a.Role.Can(vigil.PermManage), Statuses: vigil.ControlStatuses, Freqs: vigil.Frequencies}
	for _, rel := range s.relatedTo(c.Criteria, 0) {
		d.Related[rel.Framework] = append(d.Related[rel.Framework], rel)
	}
	for _, f := range s.cat.Frameworks {
		d.FWNames[f.ID] = f.Name + " " + f.Version
	}
	acts, err := s.store.ListActivity(ctx, vigil.ActivityFilter{EntityType: "control", EntityID: c.ID, Limit: 50})
	if err != nil {
		return err
	}
	for _, ac := range acts {
		d.History = append(d.History, historyEntry{At: ac.At, Actor: ac.ActorName, Action: ac.Action, Change: describeChange(ac)})
	}
	if d.CanManage {
		if d.Users, err = s.store.ListUsers(ctx, 0, 0); err != nil {
			return err
		}
	}
	if d.Evidence, err = s.evidenceFor(r, c); err != nil {
		return err
	}
	if d.Automated, err = s.automatedFor(ctx, c.ID); err != nil {
		return err
	}
	d.NotShown = d.Control.Health.NotShown()
	if c.ShownByTests() {
		d.Continuous = &continuousNote{Sources: s.testSources(c.ID)}
		for _, sig := range d.Control.Health.Signals {
			d.Continuous.Reporting = d.Continuous.Reporting || sig.Source == "test"
		}
	}
	if !d.CanEdit {
		p.ReadOnly = a.Role == vigil.RoleAuditor || a.Role == vigil.RoleViewer
	}
	p.Data = d
	return s.render(w, status, "control", p)
}

// testSources names the kinds of systems (collector families: host, aws,
// github, ...) whose built-in or custom checks test a control.
func (s *Server) testSources(controlID string) []string {
	if s.monitor == nil || s.monitor.Checks == nil {
		return nil
	}
	var out []string
	for _, ch := range s.monitor.Checks.Checks() {
		if !slices.Contains(ch.Controls, controlID) {
			continue
		}
		if fam, _, _ := strings.Cut(ch.Collector, "."); !slices.Contains(out, fam) {
			out = append(out, fam)
		}
	}
	slices.Sort(out)
	return out
}

// describeChange summarises an activity entry's before and after for the
// status history: the fields that changed.
func describeChange(a vigil.Activity) string {
	var before, after map[string]any
	_ = json.Unmarshal(a.Before, &before)
	_ = json.Unmarshal(a.After, &after)
	if before == nil {
		if a.Action == "control.adopt" || a.Action == "control.create" {
			return "created"
		}
		return ""
	}
	var parts []string
	for _, k := range []string{"status", "owner_name", "justification", "title", "frequency", "criteria", "evidence", "description"} {
		b, a := fmt.Sprint(before[k]), fmt.Sprint(after[k])
		if b == a {
			continue
		}
		if k == "description" || k == "evidence" {
			parts = append(parts, k+" edited")
			continue
		}
		if b == "<nil>" || b == "" {
			b = "none"
		}
		if a == "<nil>" || a == "" {
			a = "none"
		}
		parts = append(parts, strings.ReplaceAll(k, "_name", "")+": "+strings.ReplaceAll(b, "_", " ")+" → "+strings.ReplaceAll(a, "_", " "))
	}
	return strings.Join(parts, "; ")
}

func (s *Server) controlPost(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	before, err := s.store.Control(ctx, id)
	if err != nil {
		return err
	}
	f := r.PostForm
	patch := vigil.ControlPatch{}
	str := func(k string) *string { v := f.Get(k); return &v }
	patch.Title, patch.Description, patch.Evidence = str("title"), str("description"), str("evidence")
	st := vigil.ControlStatus(f.Get("status"))
	patch.Status = &st
	fr := vigil.Frequency(f.Get("frequency"))
	patch.Frequency = &fr
	if st == vigil.StatusNotApplicable {
		patch.Justification = str("justification")
	}
	a := vigil.ActorFrom(ctx)
	if a.Role.Can(vigil.PermManage) {
		var owner int64
		if v := f.Get("owner_id"); v != "" {
			if owner, err = strconv.ParseInt(v, 10, 64); err != nil {
				return vigil.FieldError("owner_id", "choose an owner from the list")
			}
		}
		patch.OwnerID = &owner
		crit := splitCSV(f.Get("criteria"))
		patch.Criteria = &crit
	}
	c, err := s.updateControl(ctx, id, patch)
	if err != nil {
		p := s.newPage(w, r, before.ID+" "+before.Title, "controls")
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.renderControl(w, r, p, before, http.StatusBadRequest)
	}
	s.flash(w, r, "Saved "+c.ID+".")
	http.Redirect(w, r, "/controls/"+url.PathEscape(c.ID), http.StatusSeeOther)
	return nil
}

func splitCSV(s string) []string {
	out := []string{}
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		out = append(out, strings.ToUpper(p))
	}
	return out
}

func (s *Server) adoptPost(w http.ResponseWriter, r *http.Request) error {
	req := api.AdoptRequest{All: r.PostFormValue("all") == "1", Domains: r.PostForm["domain"]}
	cs, err := s.adoptSelection(req)
	if err != nil {
		s.flash(w, r, vigil.ErrorMessage(err))
		http.Redirect(w, r, "/controls", http.StatusSeeOther)
		return nil
	}
	res, err := s.store.AdoptControls(r.Context(), cs)
	if err != nil {
		return err
	}
	s.flash(w, r, fmt.Sprintf("Adopted %d control(s); %d were already adopted.", len(res.Adopted), len(res.Skipped)))
	http.Redirect(w, r, "/controls", http.StatusSeeOther)
	return nil
}

type newControlData struct {
	Users []vigil.User
	Freqs []vigil.Frequency
}

func (s *Server) newControlPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "New control", "controls")
	return s.renderNewControl(w, r, p, http.StatusOK)
}

func (s *Server) renderNewControl(w http.ResponseWriter, r *http.Request, p *webPage, status int) error {
	users, err := s.store.ListUsers(r.Context(), 0, 0)
	if err != nil {
		return err
	}
	p.Data = &newControlData{Users: users, Freqs: vigil.Frequencies}
	return s.render(w, status, "control_new", p)
}

func (s *Server) newControlPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	owner, _ := strconv.ParseInt(f.Get("owner_id"), 10, 64)
	c := &vigil.Control{ID: vigil.CanonicalControlID(f.Get("id")), Title: f.Get("title"), Description: f.Get("description"),
		OwnerID: owner, Frequency: vigil.Frequency(f.Get("frequency")), Evidence: f.Get("evidence"), Criteria: splitCSV(f.Get("criteria")), Custom: true}
	err := s.createCustomControl(r.Context(), c)
	if err != nil {
		p := s.newPage(w, r, "New control", "controls")
		p.Form = f
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.renderNewControl(w, r, p, http.StatusBadRequest)
	}
	s.flash(w, r, "Added "+c.ID+".")
	http.Redirect(w, r, "/controls/"+url.PathEscape(c.ID), http.StatusSeeOther)
	return nil
}
