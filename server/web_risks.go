package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/risk"
)

// The risk pages: the register (/risks) with its filters and the
// inherent and residual heat maps (server-rendered SVG, each cell linking
// to the risks in it), the library to start from (/risks/library), the
// treatment plan (/risks/plan), a page per risk (/risks/{id}) with its
// scoring, controls and acceptance, and the assessments
// (/risks/assessments) with the trend between them.

// heatCell is one cell of a heat map as the SVG draws it.
type heatCell struct {
	X, Y, Count, L, I, Score int
	Band, Href, Label        string
}

// heatSVG lays a heat map out: likelihood up the side (highest at the
// top), impact along the bottom; each cell links to its risks.
type heatSVG struct {
	ID, Title string
	Cells     []heatCell
	Axis      []heatCell // axis labels: X, Y and the level in Label
	W, H      int
	Unscored  int
}

const heatCellSize, heatMargin = 56, 34

func newHeatSVG(id, title string, h vigil.HeatMap) heatSVG {
	ml, mi := h.Scale.Max()
	out := heatSVG{ID: id, Title: title, W: heatMargin + mi*heatCellSize + 4, H: ml*heatCellSize + heatMargin + 4, Unscored: h.Unscored}
	kind := "inherent"
	if h.Residual {
		kind = "residual"
	}
	for l := 1; l <= ml; l++ {
		for i := 1; i <= mi; i++ {
			c := heatCell{X: heatMargin + (i-1)*heatCellSize, Y: (ml - l) * heatCellSize, Count: h.Counts[l-1][i-1], L: l, I: i, Score: l * i}
			c.Band = h.Scale.Band(c.Score)
			q := url.Values{"likelihood": {strconv.Itoa(l)}, "impact": {strconv.Itoa(i)}}
			if h.Residual {
				q.Set("residual", "true")
			}
			c.Href = "/risks?" + q.Encode()
			c.Label = strconv.Itoa(c.Count) + " risks of " + kind + " likelihood " + h.Scale.Likelihood[l-1].Name + " and impact " + h.Scale.Impact[i-1].Name
			out.Cells = append(out.Cells, c)
		}
	}
	for l := 1; l <= ml; l++ {
		out.Axis = append(out.Axis, heatCell{X: heatMargin - 8, Y: (ml-l)*heatCellSize + heatCellSize/2 + 5, Label: strconv.Itoa(l)})
	}
	for i := 1; i <= mi; i++ {
		out.Axis = append(out.Axis, heatCell{X: heatMargin + (i-1)*heatCellSize + heatCellSize/2, Y: ml*heatCellSize + 20, Label: strconv.Itoa(i)})
	}
	return out
}

type riskRow struct {
	vigil.Risk
	Inherent, Residual string // bands
	Acceptance         vigil.AcceptanceState
	Problems           []string
}

func riskRows(rs []vigil.Risk, s vigil.RiskScale, now time.Time) []riskRow {
	out := make([]riskRow, len(rs))
	for i := range rs {
		out[i] = riskRow{Risk: rs[i], Inherent: s.Band(rs[i].InherentScore()), Residual: s.Band(rs[i].ResidualScore()),
			Acceptance: rs[i].AcceptanceAt(now), Problems: vigil.RiskProblems(&rs[i], now)}
	}
	return out
}

const maxRiskRows = 500

type risksData struct {
	Risks              []riskRow
	Total, Shown       int
	Filter             vigil.RiskFilter
	Filtered           bool
	Inherent, Residual heatSVG
	Categories         []vigil.RiskCategory
	Treatments         []vigil.RiskTreatment
	Manage             bool
	Users              []vigil.User
}

func (s *Server) activeUsers(r *http.Request) ([]vigil.User, error) {
	us, err := s.store.ListUsers(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	out := us[:0]
	for _, u := range us {
		if !u.Disabled {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) renderRisks(w http.ResponseWriter, r *http.Request, status int, form url.Values, ferr error) error {
	ctx := r.Context()
	f, err := riskFilter(r.URL.Query())
	if err != nil {
		return err
	}
	all, err := s.risks.Risks(ctx, vigil.RiskFilter{})
	if err != nil {
		return err
	}
	scale := s.risks.Scale()
	d := &risksData{Total: len(all), Filter: f, Filtered: f != (vigil.RiskFilter{}), Categories: vigil.RiskCategories, Treatments: vigil.RiskTreatments,
		Manage:   sessionFrom(ctx).user.Role.Can(vigil.PermManage),
		Inherent: newHeatSVG("heat-inherent", "Inherent risk", vigil.NewHeatMap(all, scale, false)),
		Residual: newHeatSVG("heat-residual", "Residual risk", vigil.NewHeatMap(all, scale, true))}
	var shown []vigil.Risk
	for i := range all {
		if f.Match(&all[i]) {
			shown = append(shown, all[i])
		}
	}
	// A page shows at most maxRiskRows; filters and the heat map's
	// cells narrow a large register down.
	if d.Shown = len(shown); len(shown) > maxRiskRows {
		shown = shown[:maxRiskRows]
	}
	d.Risks = riskRows(shown, scale, time.Now())
	if d.Manage {
		if d.Users, err = s.activeUsers(r); err != nil {
			return err
		}
	}
	p := s.newPage(w, r, "Risks", "risks")
	if form == nil {
		form = url.Values{"likelihood": {"3"}, "impact": {"3"}}
	}
	p.Data, p.Form = d, form
	if ferr != nil {
		if e := formError(p, ferr); e != nil {
			return e
		}
	}
	return s.render(w, status, "risks", p)
}

func (s *Server) risksPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRisks(w, r, http.StatusOK, nil, nil)
}

func riskFormInt(f url.Values, name string) (int, error) {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, vigil.FieldError(name, "%s must be a whole number, got %q", strings.ReplaceAll(name, "_", " "), truncate(v, 20))
	}
	return n, nil
}

func riskFormInt64(f url.Values, name string) (int64, error) {
	n, err := riskFormInt(f, name)
	return int64(n), err
}

func (s *Server) riskCreatePage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	req := api.RiskRequest{Title: f.Get("title"), Description: f.Get("description"), Category: vigil.RiskCategory(f.Get("category")),
		Asset: f.Get("asset"), Threat: f.Get("threat"), Vulnerability: f.Get("vulnerability")}
	var err error
	for name, dst := range map[string]*int{"likelihood": &req.Likelihood, "impact": &req.Impact} {
		if *dst, err = riskFormInt(f, name); err != nil {
			return s.renderRisks(w, r, http.StatusUnprocessableEntity, f, err)
		}
	}
	if req.OwnerID, err = riskFormInt64(f, "owner_id"); err != nil {
		return s.renderRisks(w, r, http.StatusUnprocessableEntity, f, err)
	}
	x := riskFromRequest(req)
	if err := s.risks.Create(r.Context(), x); err != nil {
		return s.renderRisks(w, r, http.StatusUnprocessableEntity, f, err)
	}
	s.flash(w, r, x.Key+" "+x.Title+" is in the register: score its residual risk and link its controls.")
	http.Redirect(w, r, "/risks/"+strconv.FormatInt(x.ID, 10), http.StatusSeeOther)
	return nil
}

type libraryData struct {
	Items  []vigil.LibraryRisk
	Added  map[string]string // library id: the register key
	Users  []vigil.User
	Manage bool
}

func (s *Server) renderLibrary(w http.ResponseWriter, r *http.Request, status int, form url.Values, ferr error) error {
	lib, err := risk.Library()
	if err != nil {
		return err
	}
	rs, err := s.risks.Risks(r.Context(), vigil.RiskFilter{})
	if err != nil {
		return err
	}
	d := &libraryData{Items: lib, Added: map[string]string{}, Manage: sessionFrom(r.Context()).user.Role.Can(vigil.PermManage)}
	for _, x := range rs {
		if x.LibraryID != "" {
			d.Added[x.LibraryID] = x.Key
		}
	}
	if d.Manage {
		if d.Users, err = s.activeUsers(r); err != nil {
			return err
		}
	}
	p := s.newPage(w, r, "Risk library", "risks")
	if form == nil {
		form = url.Values{}
	}
	p.Data, p.Form = d, form
	if ferr != nil {
		if e := formError(p, ferr); e != nil {
			return e
		}
	}
	return s.render(w, status, "risk_library", p)
}

func (s *Server) riskLibraryPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderLibrary(w, r, http.StatusOK, nil, nil)
}

func (s *Server) riskLibraryPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	owner, err := riskFormInt64(f, "owner_id")
	if err == nil {
		var rs []vigil.Risk
		if rs, err = s.risks.AddFromLibrary(r.Context(), f["ids"], owner); err == nil {
			s.flash(w, r, strconv.Itoa(len(rs))+" risks are in the register, linked to the controls you have adopted: score them, set their treatment and review dates.")
			http.Redirect(w, r, "/risks", http.StatusSeeOther)
			return nil
		}
	}
	return s.renderLibrary(w, r, http.StatusUnprocessableEntity, f, err)
}

func (s *Server) riskPlanPage(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.risks.Risks(r.Context(), vigil.RiskFilter{})
	if err != nil {
		return err
	}
	groups := map[string][]riskRow{}
	for _, row := range riskRows(rs, s.risks.Scale(), time.Now()) {
		k := string(row.Treatment)
		if k == "" {
			k = "none"
		}
		groups[k] = append(groups[k], row)
	}
	p := s.newPage(w, r, "Treatment plan", "risks")
	p.Data = map[string]any{"Groups": groups, "Order": []string{"none", "mitigate", "accept", "transfer", "avoid"}}
	return s.render(w, http.StatusOK, "risk_plan", p)
}

type riskData struct {
	R          riskRow
	Scale      vigil.RiskScale
	Manage     bool
	MayApprove bool
	Users      []vigil.User
	Controls   []vigil.Control // the organization's, to link
	Linked     map[string]bool
	Categories []vigil.RiskCategory
	Sim        *vigil.Simulation
	Curve      string // the loss-exceedance curve's SVG points
	CurveTop   float64
}

// curveW and curveH are the loss-exceedance curve's plot size.
const curveW, curveH = 320.0, 160.0

// curvePoints lays the curve out: loss along the bottom up to its last
// point, the chance of exceeding it up the side (0 to 100%).
func curvePoints(c []vigil.LossPoint) (string, float64) {
	if len(c) == 0 {
		return "", 0
	}
	top := c[len(c)-1].Loss
	var b strings.Builder
	for i, p := range c {
		x := 40.0
		if top > 0 {
			x += p.Loss / top * curveW
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x, 10+curveH*(1-p.Probability))
	}
	return b.String(), top
}

func (s *Server) renderRisk(w http.ResponseWriter, r *http.Request, id int64, status int, form url.Values, ferr error) error {
	ctx := r.Context()
	x, err := s.risks.Risk(ctx, id)
	if err != nil {
		return err
	}
	ws := sessionFrom(ctx)
	now := time.Now()
	d := &riskData{R: riskRows([]vigil.Risk{*x}, s.risks.Scale(), now)[0], Scale: s.risks.Scale(), Manage: ws.user.Role.Can(vigil.PermManage),
		Linked: map[string]bool{}, Categories: vigil.RiskCategories}
	d.MayApprove = vigil.Actor{UserID: ws.user.ID, Role: ws.user.Role}.MayApproveAcceptance(x, now) == nil
	for _, c := range x.Controls {
		d.Linked[c] = true
	}
	if x.Quant != nil {
		if d.Sim, err = s.risks.Simulate(ctx, id, 0); err != nil {
			return err
		}
		d.Curve, d.CurveTop = curvePoints(d.Sim.Curve)
	}
	if d.Manage {
		if d.Users, err = s.activeUsers(r); err != nil {
			return err
		}
		if d.Controls, err = s.store.ListControls(ctx, vigil.ControlFilter{}); err != nil {
			return err
		}
		// The linked controls first: the list is long and scrolls.
		slices.SortStableFunc(d.Controls, func(a, b vigil.Control) int {
			switch {
			case d.Linked[a.ID] && !d.Linked[b.ID]:
				return -1
			case !d.Linked[a.ID] && d.Linked[b.ID]:
				return 1
			}
			return 0
		})
	}
	p := s.newPage(w, r, x.Key+" "+x.Title, "risks")
	if form == nil {
		form = url.Values{"likelihood": {strconv.Itoa(x.Likelihood)}, "impact": {strconv.Itoa(x.Impact)},
			"residual_likelihood": {strconv.Itoa(x.ResidualLikelihood)}, "residual_impact": {strconv.Itoa(x.ResidualImpact)},
			"treatment": {string(x.Treatment)}, "treatment_plan": {x.TreatmentPlan}, "review_date": {string(x.ReviewDate)},
			"owner_id": {strconv.FormatInt(x.OwnerID, 10)}}
		if q := x.Quant; q != nil {
			for k, v := range map[string]float64{"frequency": q.Frequency, "loss_low": q.LossLow, "loss_likely": q.LossLikely, "loss_high": q.LossHigh} {
				form.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
	}
	p.Data, p.Form = d, form
	if ferr != nil {
		if e := formError(p, ferr); e != nil {
			return e
		}
	}
	return s.render(w, status, "risk", p)
}

func (s *Server) riskPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	return s.renderRisk(w, r, id, http.StatusOK, nil, nil)
}

// riskAction runs one step from a risk's page: on success back to it
// with a message, refused the page again with the reason beside its field.
func (s *Server) riskAction(w http.ResponseWriter, r *http.Request, act func(id int64) (string, error)) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	msg, err := act(id)
	if err != nil {
		return s.renderRisk(w, r, id, http.StatusUnprocessableEntity, r.PostForm, err)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/risks/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// riskPatchForm reads the scoring form: every field it shows is set.
func riskPatchForm(f url.Values) (*vigil.RiskPatch, error) {
	p := &vigil.RiskPatch{}
	ints := map[string]**int{"likelihood": &p.Likelihood, "impact": &p.Impact, "residual_likelihood": &p.ResidualLikelihood, "residual_impact": &p.ResidualImpact}
	for _, name := range []string{"likelihood", "impact", "residual_likelihood", "residual_impact"} {
		n, err := riskFormInt(f, name)
		if err != nil {
			return nil, err
		}
		*ints[name] = &n
	}
	owner, err := riskFormInt64(f, "owner_id")
	if err != nil {
		return nil, err
	}
	treat, plan, review := vigil.RiskTreatment(f.Get("treatment")), f.Get("treatment_plan"), vigil.Date(strings.TrimSpace(f.Get("review_date")))
	p.OwnerID, p.TreatmentPlan, p.ReviewDate = &owner, &plan, &review
	// The select shows accept while a risk is accepted; choosing it here
	// changes nothing (acceptance has its own form).
	if treat != vigil.TreatAccept || f.Get("accepted") != "1" {
		p.Treatment = &treat
	}
	// The estimate: all four empty leave it; a frequency of 0 removes it.
	var q vigil.LossEstimate
	given := false
	for name, dst := range map[string]*float64{"frequency": &q.Frequency, "loss_low": &q.LossLow, "loss_likely": &q.LossLikely, "loss_high": &q.LossHigh} {
		v := strings.TrimSpace(strings.ReplaceAll(f.Get(name), ",", ""))
		if v == "" {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, vigil.FieldError(name, "%s must be a number, got %q", strings.ReplaceAll(name, "_", " "), truncate(v, 20))
		}
		*dst, given = n, true
	}
	if given {
		if q.Frequency == 0 {
			q = vigil.LossEstimate{}
		}
		p.Quant = &q
	}
	if f.Has("controls_shown") {
		ctls := f["controls"]
		p.Controls = &ctls
	}
	return p, nil
}

func (s *Server) riskPost(w http.ResponseWriter, r *http.Request) error {
	return s.riskAction(w, r, func(id int64) (string, error) {
		p, err := riskPatchForm(r.PostForm)
		if err != nil {
			return "", err
		}
		x, err := s.risks.Update(r.Context(), id, p)
		if err != nil {
			return "", err
		}
		return x.Key + " is saved.", nil
	})
}

func (s *Server) riskAcceptPost(w http.ResponseWriter, r *http.Request) error {
	return s.riskAction(w, r, func(id int64) (string, error) {
		f := r.PostForm
		approver, err := riskFormInt64(f, "approver_id")
		if err != nil {
			return "", err
		}
		x, err := s.risks.RequestAcceptance(r.Context(), id, approver, vigil.Date(strings.TrimSpace(f.Get("acceptance_expires"))), f.Get("acceptance_note"))
		if err != nil {
			return "", err
		}
		return "The acceptance of " + x.Key + " awaits the approval of " + x.ApproverName + ".", nil
	})
}

func (s *Server) riskApprovePost(w http.ResponseWriter, r *http.Request) error {
	return s.riskAction(w, r, func(id int64) (string, error) {
		x, err := s.risks.ApproveAcceptance(r.Context(), id)
		if err != nil {
			return "", err
		}
		return "You approved the acceptance of " + x.Key + " until " + string(x.AcceptanceExpires) + ".", nil
	})
}

type assessmentsData struct {
	Items   []vigil.RiskAssessment
	Trend   []vigil.AssessmentTrend
	Current *vigil.RiskAssessment
	Manage  bool
	Bands   []string
}

func (s *Server) renderAssessments(w http.ResponseWriter, r *http.Request, status int, form url.Values, ferr error) error {
	as, err := s.risks.Assessments(r.Context())
	if err != nil {
		return err
	}
	d := &assessmentsData{Items: as, Trend: vigil.Trend(as, s.risks.Scale()), Current: vigil.CurrentAssessment(as, time.Now()),
		Manage: sessionFrom(r.Context()).user.Role.Can(vigil.PermManage), Bands: []string{"critical", "high", "medium", "low", "unscored"}}
	p := s.newPage(w, r, "Risk assessments", "risks")
	if form == nil {
		form = url.Values{"performed_on": {time.Now().UTC().Format(time.DateOnly)}, "months": {strconv.Itoa(vigil.DefaultAssessmentMonths)}}
	}
	p.Data, p.Form = d, form
	if ferr != nil {
		if e := formError(p, ferr); e != nil {
			return e
		}
	}
	return s.render(w, status, "risk_assessments", p)
}

func (s *Server) riskAssessmentsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAssessments(w, r, http.StatusOK, nil, nil)
}

func (s *Server) riskAssessmentRunPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	months, err := riskFormInt(f, "months")
	if err == nil {
		var parts []string
		for _, line := range strings.Split(f.Get("participants"), "\n") {
			parts = append(parts, strings.TrimSpace(line))
		}
		a := &vigil.RiskAssessment{PerformedOn: vigil.Date(strings.TrimSpace(f.Get("performed_on"))), Method: f.Get("method"), Participants: parts, Months: months}
		if err = s.risks.RunAssessment(r.Context(), a); err == nil {
			s.flash(w, r, a.Key+" records the register as it stands: read it and sign it off.")
			http.Redirect(w, r, "/risks/assessments/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
			return nil
		}
	}
	return s.renderAssessments(w, r, http.StatusUnprocessableEntity, f, err)
}

func (s *Server) renderAssessment(w http.ResponseWriter, r *http.Request, id int64, status int, ferr error) error {
	a, err := s.risks.Assessment(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, a.Key+" risk assessment", "risks")
	p.Data = map[string]any{"A": a, "Manage": sessionFrom(r.Context()).user.Role.Can(vigil.PermManage), "Scale": s.risks.Scale()}
	if ferr != nil {
		if e := formError(p, ferr); e != nil {
			return e
		}
	}
	return s.render(w, status, "risk_assessment", p)
}

func (s *Server) riskAssessmentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	return s.renderAssessment(w, r, id, http.StatusOK, nil)
}

func (s *Server) riskAssessmentSignPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.risks.SignAssessment(r.Context(), id)
	if err != nil {
		return s.renderAssessment(w, r, id, http.StatusUnprocessableEntity, err)
	}
	s.flash(w, r, a.Key+" is signed and sealed into the evidence ledger as item "+strconv.FormatInt(a.EvidenceID, 10)+".")
	http.Redirect(w, r, "/risks/assessments/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) riskImportPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Import a risk register", "risks")
	p.Data = map[string]any{"Columns": risk.Columns}
	return s.render(w, http.StatusOK, "risk_import", p)
}

// riskImportPost previews the pasted register, or with confirm (the
// preview's SHA-256) imports it.
func (s *Server) riskImportPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	data := []byte(strings.ReplaceAll(f.Get("csv"), "\r\n", "\n"))
	res, err := s.risks.Import(r.Context(), data, f.Get("confirm"))
	if err == nil && res.Imported {
		s.flash(w, r, "Imported "+strconv.Itoa(len(res.Keys))+" risks: "+strings.Join(res.Keys, ", ")+".")
		http.Redirect(w, r, "/risks", http.StatusSeeOther)
		return nil
	}
	p := s.newPage(w, r, "Import a risk register", "risks")
	p.Data, p.Form = map[string]any{"Columns": risk.Columns, "Result": res}, f
	status := http.StatusOK
	if err != nil {
		if e := formError(p, err); e != nil {
			return e
		}
		status = http.StatusUnprocessableEntity
	} else if len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "risk_import", p)
}
