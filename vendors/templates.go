package vendors

import "github.com/vigil-soc/vigil"

// Template is a questionnaire Vigil ships: written for Vigil, each
// question with the answer a well-run vendor gives, which scores.
type Template struct {
	ID        string                 `json:"id"`
	Title     string                 `json:"title"`
	Questions []vigil.VendorQuestion `json:"questions"`
}

func q(id, section, text, expected string) vigil.VendorQuestion {
	return vigil.VendorQuestion{ID: id, Section: section, Text: text, Expected: expected}
}

// baseline is the short set: what any vendor holding data should answer.
var baseline = []vigil.VendorQuestion{
	q("B01", "Governance", "Do you have a written information security policy, approved by management and reviewed at least yearly?", "yes"),
	q("B02", "Governance", "Is a named person accountable for information security?", "yes"),
	q("B03", "Assurance", "Do you hold a current SOC 2 Type II report or ISO/IEC 27001 certificate covering the service you provide us?", "yes"),
	q("B04", "Access", "Is multi-factor authentication required for all staff access to systems holding customer data?", "yes"),
	q("B05", "Access", "Is access to customer data granted by least privilege and reviewed at least quarterly?", "yes"),
	q("B06", "Access", "Is access removed within one business day when staff leave?", "yes"),
	q("B07", "Data", "Is customer data encrypted in transit (TLS 1.2 or later) and at rest?", "yes"),
	q("B08", "Data", "Is customer data stored or processed outside the locations stated in our contract?", "no"),
	q("B09", "Data", "Will you delete or return our data within 30 days of the end of the contract, and confirm it in writing?", "yes"),
	q("B10", "Operations", "Are backups taken, encrypted and restored in a test at least yearly?", "yes"),
	q("B11", "Operations", "Are security patches for critical vulnerabilities applied within 30 days?", "yes"),
	q("B12", "Incidents", "Do you have an incident response plan, tested at least yearly?", "yes"),
	q("B13", "Incidents", "Will you notify us of a security incident affecting our data within 72 hours?", "yes"),
	q("B14", "Incidents", "Have you had a security breach affecting customer data in the last 24 months?", "no"),
	q("B15", "Subprocessors", "Do you keep a list of your subprocessors and notify customers before adding one?", "yes"),
}

// extended adds, to the baseline, what a critical vendor is asked.
var extended = append(append([]vigil.VendorQuestion{}, baseline...),
	q("E01", "Governance", "Do all staff complete security awareness training at hire and yearly?", "yes"),
	q("E02", "Governance", "Are staff with access to customer data background-checked where the law allows?", "yes"),
	q("E03", "Governance", "Do staff and contractors sign confidentiality agreements?", "yes"),
	q("E04", "Risk", "Do you perform a documented risk assessment at least yearly?", "yes"),
	q("E05", "Risk", "Do you assess your own critical vendors' security before onboarding and yearly?", "yes"),
	q("E06", "Assurance", "Does your latest SOC 2 report have a qualified opinion or exceptions relevant to our service?", "no"),
	q("E07", "Assurance", "Is an independent penetration test performed at least yearly, with findings tracked to closure?", "yes"),
	q("E08", "Access", "Is single sign-on used for your internal systems?", "yes"),
	q("E09", "Access", "Are privileged accounts separate from everyday accounts, and their use logged?", "yes"),
	q("E10", "Access", "Are shared or generic accounts used to access production?", "no"),
	q("E11", "Data", "Are encryption keys managed in a key management service or HSM with rotation?", "yes"),
	q("E12", "Data", "Is customer data logically separated from other customers' data?", "yes"),
	q("E13", "Data", "Is production customer data used in development or test environments?", "no"),
	q("E14", "Data", "Do you have a data retention schedule that is enforced?", "yes"),
	q("E15", "Development", "Are code changes peer-reviewed and tested before reaching production?", "yes"),
	q("E16", "Development", "Are dependencies scanned for known vulnerabilities in the build?", "yes"),
	q("E17", "Development", "Can a single engineer deploy unreviewed code to production?", "no"),
	q("E18", "Operations", "Are security events logged centrally, kept at least a year and monitored?", "yes"),
	q("E19", "Operations", "Are production hosts hardened to a documented baseline?", "yes"),
	q("E20", "Operations", "Is endpoint protection and disk encryption enforced on staff devices?", "yes"),
	q("E21", "Continuity", "Do you have a business continuity and disaster recovery plan, tested at least yearly?", "yes"),
	q("E22", "Continuity", "Is the service run in more than one availability zone or site?", "yes"),
	q("E23", "Continuity", "Do you publish a service availability commitment (SLA)?", "yes"),
	q("E24", "Privacy", "Will you sign a data processing agreement covering GDPR (or equivalent) obligations?", "yes"),
	q("E25", "Privacy", "Do you sell or share customer data with third parties for their own purposes?", "no"),
)

// Templates are the questionnaires, by ID.
var Templates = map[string]Template{
	"baseline": {ID: "baseline", Title: "Baseline security questionnaire (15 questions)", Questions: baseline},
	"extended": {ID: "extended", Title: "Extended security questionnaire for critical vendors (40 questions)", Questions: extended},
}

// TemplateIDs lists the templates, shortest first.
var TemplateIDs = []string{"baseline", "extended"}

// LookupTemplate returns a template or a field error naming it.
func LookupTemplate(id string) (Template, error) {
	t, ok := Templates[id]
	if !ok {
		return Template{}, vigil.FieldError("template", "no questionnaire template %q (want baseline or extended)", id)
	}
	return t, nil
}
