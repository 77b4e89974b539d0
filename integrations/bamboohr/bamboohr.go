// Package bamboohr is the bamboohr kind: BambooHR as the source of the
// personnel register, through its published REST API. It has no checks
// of its own; what it gives is people (kind.Run.People): who works here,
// their title, department and manager, when they started and when they
// left.
package bamboohr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// BambooHR reads a company's employees with an API key. The key belongs
// to a BambooHR user and sees what that user may see: a user without
// access to job information or termination dates gives people with
// those fields empty.
type BambooHR struct {
	// Timeout bounds each call (default 60 seconds).
	Timeout time.Duration
}

type config struct {
	// Subdomain is the company's domain at BambooHR: acme for
	// acme.bamboohr.com.
	Subdomain string `json:"subdomain"`
	// BaseURL replaces https://api.bamboohr.com (tests replay the API on
	// this machine); it must be https, or http to this machine.
	BaseURL string `json:"base_url,omitempty"`
}

// Name is the kind's name.
func (BambooHR) Name() string { return "bamboohr" }

var subdomainRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func parse(raw json.RawMessage) (*config, error) {
	var c config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "bamboohr settings: %v (fields: subdomain)", err)
	}
	c.Subdomain = strings.ToLower(strings.TrimSpace(c.Subdomain))
	// People paste the whole address; the company domain is its first label.
	c.Subdomain = strings.TrimPrefix(strings.TrimPrefix(c.Subdomain, "https://"), "http://")
	c.Subdomain = strings.TrimSuffix(strings.TrimSuffix(c.Subdomain, "/"), ".bamboohr.com")
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return &c, nil
}

// Validate checks the settings and that there is an API key.
func (BambooHR) Validate(raw json.RawMessage, secretText string) error {
	c, err := parse(raw)
	if err != nil {
		return err
	}
	if !subdomainRE.MatchString(c.Subdomain) {
		return vigil.FieldError("config.subdomain", "subdomain is the company's domain at BambooHR: acme for https://acme.bamboohr.com")
	}
	if c.BaseURL != "" {
		if err := kind.SecureURL(c.BaseURL); err != nil {
			return vigil.FieldError("config.base_url", "base_url: %v", err)
		}
	}
	if strings.TrimSpace(secretText) == "" {
		return vigil.FieldError("secret", "an API key is required (BambooHR: your name, API Keys, Add New Key)")
	}
	return nil
}

func (c *config) api() string {
	base := c.BaseURL
	if base == "" {
		base = "https://api.bamboohr.com"
	}
	return base + "/api/gateway.php/" + url.PathEscape(c.Subdomain) + "/v1"
}

// reportFields are the fields of the custom report Collect asks for, by
// BambooHR's field names. The custom report, unlike the employee
// directory (GET /v1/employees/directory, current employees only, and
// which a company can switch off), lists former employees too, status
// Inactive, with their termination date: it is what offboarding needs,
// so the directory is not read at all.
var reportFields = []string{"id", "status", "employmentHistoryStatus", "workEmail", "firstName", "lastName", "displayName",
	"jobTitle", "department", "location", "supervisorEmail", "hireDate", "terminationDate"}

type employee struct {
	ID                      flexString `json:"id"`
	Status                  string     `json:"status"`
	EmploymentHistoryStatus string     `json:"employmentHistoryStatus"`
	WorkEmail               string     `json:"workEmail"`
	FirstName               string     `json:"firstName"`
	LastName                string     `json:"lastName"`
	DisplayName             string     `json:"displayName"`
	JobTitle                string     `json:"jobTitle"`
	Department              string     `json:"department"`
	Location                string     `json:"location"`
	SupervisorEmail         string     `json:"supervisorEmail"`
	HireDate                string     `json:"hireDate"`
	TerminationDate         string     `json:"terminationDate"`
}

// flexString reads an ID BambooHR gives as a string or a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

type report struct {
	Employees []employee `json:"employees"`
}

// call makes one request: Basic auth with the API key as the user name
// and "x" as the password, as BambooHR documents, and JSON back.
func (b BambooHR) call(ctx context.Context, r *kind.Run, method, u string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		bs, _ := json.Marshal(body)
		rd = bytes.NewReader(bs)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.SetBasicAuth(r.Secret, "x")
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	timeout := b.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	// No redirects: the key goes only to the address it was given for.
	cl := &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("BambooHR could not be reached: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != 200 {
		return describe(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("BambooHR's answer is not the JSON expected: %v", err)
	}
	return nil
}

// describe turns an error answer into what to do. BambooHR says why in
// the X-BambooHR-Error-Message header.
func describe(resp *http.Response, body []byte) error {
	why := strings.TrimSpace(resp.Header.Get("X-BambooHR-Error-Message"))
	if why == "" {
		why = strings.TrimSpace(string(body))
		if len(why) > 200 {
			why = why[:200]
		}
	}
	if why != "" {
		why = " (" + why + ")"
	}
	switch resp.StatusCode {
	case 401:
		return fmt.Errorf("BambooHR refused the API key (401)%s: the key is wrong, revoked, or its user is disabled; make a new key and save it again", why)
	case 403:
		return fmt.Errorf("the API key's BambooHR user lacks a permission (403)%s: it needs access to employees' job, contact and employment fields and to custom reports", why)
	case 404:
		return fmt.Errorf("BambooHR knows no such company (404)%s: check the subdomain (acme for acme.bamboohr.com)", why)
	case 429, 503:
		return fmt.Errorf("BambooHR is limiting requests (HTTP %d)%s; the next run will try again", resp.StatusCode, why)
	}
	return fmt.Errorf("BambooHR answered HTTP %d%s", resp.StatusCode, why)
}

func (b BambooHR) report(ctx context.Context, r *kind.Run, c *config, fields []string) (*report, error) {
	var rep report
	err := b.call(ctx, r, "POST", c.api()+"/reports/custom?format=JSON", map[string]any{"title": "Vigil personnel register", "fields": fields}, &rep)
	return &rep, err
}

// Test asks for the report Collect uses with one field: it needs the same
// permission, and is cheap.
func (b BambooHR) Test(ctx context.Context, r *kind.Run) error {
	c, err := parse(r.Config)
	if err != nil {
		return err
	}
	_, err = b.report(ctx, r, c, []string{"id"})
	return err
}

// Collect reads every employee, current and former, as people.
func (b BambooHR) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parse(r.Config)
	if err != nil {
		return nil, err
	}
	rep, err := b.report(ctx, r, c, reportFields)
	if err != nil {
		return nil, err
	}
	r.People, r.PeopleSkipped = people(rep.Employees)
	r.PeopleListed = true
	return map[string]map[string]any{}, nil
}

// date reads a BambooHR date: "0000-00-00" (its empty date) and "" are
// none.
func date(s string) vigil.Date {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0000-00-00") {
		return ""
	}
	return vigil.Date(s)
}

// people turns the report's rows into people. An employee with no work
// email cannot be matched to anything and is skipped, named by ID.
func people(es []employee) ([]vigil.Person, []vigil.SkippedPerson) {
	var out []vigil.Person
	var skipped []vigil.SkippedPerson
	for _, e := range es {
		name := strings.TrimSpace(e.DisplayName)
		if name == "" {
			name = strings.TrimSpace(e.FirstName + " " + e.LastName)
		}
		ref := "employee " + string(e.ID)
		if name != "" {
			ref += " (" + name + ")"
		}
		p := vigil.Person{Email: e.WorkEmail, Name: name, Title: e.JobTitle, Department: e.Department, Location: e.Location,
			ManagerEmail: e.SupervisorEmail, Start: date(e.HireDate), End: date(e.TerminationDate)}
		if strings.Contains(strings.ToLower(e.EmploymentHistoryStatus), "contract") {
			p.Type = vigil.Contractor
		} else if e.EmploymentHistoryStatus != "" {
			p.Type = vigil.Employee
		}
		// A person rehired keeps the old termination date in BambooHR
		// while active again: the end is past only if it follows the hire.
		if p.End != "" && p.Start != "" && p.End < p.Start && e.Status == "Active" {
			p.End = ""
		}
		// Inactive with no termination date: taking them would show them
		// working here; the run names them for HR to complete the record.
		if strings.EqualFold(e.Status, "Inactive") && p.End == "" {
			skipped = append(skipped, vigil.SkippedPerson{Ref: ref, Field: "terminationDate", Message: "inactive with no termination date"})
			continue
		}
		if strings.TrimSpace(p.Email) == "" {
			skipped = append(skipped, vigil.SkippedPerson{Ref: ref, Field: "workEmail", Message: "no work email"})
			continue
		}
		if err := p.Validate(); err != nil {
			skipped = append(skipped, vigil.SkippedPerson{Ref: ref, Field: vigil.ErrorField(err), Message: vigil.ErrorMessage(err)})
			continue
		}
		out = append(out, p)
	}
	return out, skipped
}
