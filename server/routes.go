package server

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/readiness"
)

// route is one API operation. The table drives the mux, the role checks and
// the OpenAPI document, so they cannot drift apart.
type route struct {
	name              string // the typed client's method (API routes)
	method            string
	path              string
	perm              vigil.Permission // "" for public routes
	tag               string
	summary           string
	query             []param
	in                any      // request body type, nil for none
	out               any      // response body type, nil for none or non-JSON
	status            int      // success status, 200 when zero
	page              bool     // an HTML page, not part of the API document
	states            []string // pages: session states allowed (default: fully signed in)
	maxBody           int64    // body limit when not MaxBodyBytes; -1 for none (streamed uploads)
	needsEvidence     bool
	stream            bool // a streamed multipart upload: the handler checks CSRF from the first part
	download          bool // a large response (evidence bytes, bundles): deadlines move with progress
	upload            bool // the request body is a file, streamed (not JSON)
	agent             bool // authenticated by an agent credential, not a user's token
	needsMonitor      bool
	needsIntegrations bool
	needsPolicies     bool
	needsPeople       bool
	needsTraining     bool
	needsIncidents    bool
	needsNotify       bool
	needsRisks        bool
	needsVendors      bool
	h                 handlerFunc
}

type param struct{ name, desc string }

var pageParams = []param{{"limit", "items per page, 1 to 1000 (default 100)"}, {"cursor", "next_cursor from the previous page"}}

func (s *Server) routeTable() []route {
	const (
		read     = vigil.PermRead
		activity = vigil.PermReadActivity
		manage   = vigil.PermManage
		users    = vigil.PermManageUsers
		ownCtl   = vigil.PermEditOwnControl
	)
	return slices.Concat(s.pageRoutes(), []route{
		{name: "Healthz", method: "GET", path: "/healthz", tag: "operations", summary: "Liveness: the process answers", h: s.healthz},
		{name: "Readyz", method: "GET", path: "/readyz", tag: "operations", summary: "Readiness: database reachable and migrated", out: api.Ready{}, h: s.readyz},
		{name: "Metrics", method: "GET", path: "/metrics", tag: "operations", summary: "Prometheus metrics", h: s.metricsHandler},
		{name: "OpenAPI", method: "GET", path: "/api/v1/openapi.json", tag: "operations", summary: "This OpenAPI document", h: s.openapi},

		{name: "SetupStatus", method: "GET", path: "/api/v1/setup", tag: "setup", summary: "Whether first-run setup is pending", out: api.SetupStatus{}, h: s.setupStatus},
		{name: "Setup", method: "POST", path: "/api/v1/setup", tag: "setup", summary: "Complete first-run setup with the setup token printed on the console", in: api.SetupRequest{}, out: api.SetupResponse{}, status: 201, h: s.setup},
		{name: "Me", method: "GET", path: "/api/v1/me", perm: read, tag: "access", summary: "The caller: user, effective role and token", out: api.Me{}, h: s.me},

		{name: "Catalog", method: "GET", path: "/api/v1/catalog", perm: read, tag: "catalog", summary: "Catalog version, frameworks and library domains", out: api.CatalogSummary{}, h: s.catalogSummary},
		{name: "ListCriteria", method: "GET", path: "/api/v1/catalog/criteria", perm: read, tag: "catalog", summary: "The 61 Trust Services Criteria", query: []param{{"category", "only this category"}}, out: api.Page[api.CriterionView]{}, h: s.listCriteria},
		{name: "GetCriterion", method: "GET", path: "/api/v1/catalog/criteria/{id}", perm: read, tag: "catalog", summary: "A criterion with its crosswalk (related, derived)", query: []param{{"framework", "iso27001, nist_csf, sp800_53 or hipaa"}, {"min_support", "hide mappings with less support"}}, out: api.CriterionDetail{}, h: s.getCriterion},
		{name: "GetFramework", method: "GET", path: "/api/v1/catalog/frameworks/{framework}", perm: read, tag: "catalog", summary: "A framework's requirements", out: api.FrameworkView{}, h: s.getFramework},
		{name: "ListLibrary", method: "GET", path: "/api/v1/catalog/library", perm: read, tag: "catalog", summary: "The control library, ready to adopt", query: []param{{"domain", "only this domain"}}, out: api.Page[api.LibraryView]{}, h: s.listLibrary},

		{name: "GetOrganization", method: "GET", path: "/api/v1/organization", perm: read, tag: "scope", summary: "The organization profile", out: vigil.Organization{}, h: s.getOrganization},
		{name: "PutOrganization", method: "PUT", path: "/api/v1/organization", perm: manage, tag: "scope", summary: "Replace the organization profile", in: vigil.Organization{}, out: vigil.Organization{}, h: s.putOrganization},
		{name: "GetScope", method: "GET", path: "/api/v1/scope", perm: read, tag: "scope", summary: "Categories in scope and the audit target", out: vigil.Scope{}, h: s.getScope},
		{name: "PutScope", method: "PUT", path: "/api/v1/scope", perm: manage, tag: "scope", summary: "Replace the scope", in: api.ScopeRequest{}, out: vigil.Scope{}, h: s.putScope},
		{name: "ListSystems", method: "GET", path: "/api/v1/systems", perm: read, tag: "scope", summary: "In-scope systems", query: pageParams, out: api.Page[vigil.System]{}, h: s.listSystems},
		{name: "CreateSystem", method: "POST", path: "/api/v1/systems", perm: manage, tag: "scope", summary: "Add a system", in: api.SystemRequest{}, out: vigil.System{}, status: 201, h: s.createSystem},
		{name: "GetSystem", method: "GET", path: "/api/v1/systems/{id}", perm: read, tag: "scope", summary: "A system", out: vigil.System{}, h: s.getSystem},
		{name: "UpdateSystem", method: "PATCH", path: "/api/v1/systems/{id}", perm: manage, tag: "scope", summary: "Change a system", in: vigil.SystemPatch{}, out: vigil.System{}, h: s.patchSystem},
		{name: "DeleteSystem", method: "DELETE", path: "/api/v1/systems/{id}", perm: manage, tag: "scope", summary: "Remove a system", status: 204, h: s.deleteSystem},

		{name: "ListControls", method: "GET", path: "/api/v1/controls", perm: read, tag: "controls", summary: "Controls, filtered", query: append([]param{{"status", "implementation status"}, {"owner", "owner user id, or none"}, {"domain", "domain code, e.g. AC"}, {"criterion", "criterion id, e.g. CC6.1"}, {"health", "healthy, at_risk, failing, unknown or not_applicable"}, {"q", "search in id, title and description"}}, pageParams...), out: api.Page[api.ControlView]{}, h: s.listControls},
		{name: "CreateControl", method: "POST", path: "/api/v1/controls", perm: manage, tag: "controls", summary: "Add a custom control", in: api.ControlRequest{}, out: api.ControlView{}, status: 201, h: s.createControl},
		{name: "AdoptControls", method: "POST", path: "/api/v1/controls/adopt", perm: manage, tag: "controls", summary: "Adopt library controls: all, by domain or by id", in: api.AdoptRequest{}, out: vigil.AdoptResult{}, h: s.adoptControls},
		{name: "GetControl", method: "GET", path: "/api/v1/controls/{id}", perm: read, tag: "controls", summary: "A control with its health and derived mappings", out: api.ControlDetail{}, h: s.getControl},
		{name: "UpdateControl", method: "PATCH", path: "/api/v1/controls/{id}", perm: ownCtl, tag: "controls", summary: "Change a control (members: only controls they own, not owner or mappings)", in: vigil.ControlPatch{}, out: api.ControlView{}, h: s.patchControl},
		{name: "UpdateControls", method: "PATCH", path: "/api/v1/controls", perm: ownCtl, tag: "controls", summary: "Set owner, status or frequency on several controls at once: all change, or none (members: only controls they own)", in: api.BulkRequest{}, out: api.BulkResponse{}, h: s.patchControls},
		{name: "DeleteControl", method: "DELETE", path: "/api/v1/controls/{id}", perm: manage, tag: "controls", summary: "Remove a control", status: 204, h: s.deleteControl},
		{name: "SOA", method: "GET", path: "/api/v1/soa", perm: read, tag: "controls", summary: "Statement of applicability (format=json or csv)", query: []param{{"format", "json (default) or csv"}, {"min_support", "hide derived mappings with less support"}}, out: api.SOADocument{}, h: s.soa},

		{name: "Readiness", method: "GET", path: "/api/v1/readiness", perm: read, tag: "readiness", summary: "Readiness per criterion, category and overall, with every gap's reason", out: readiness.Report{}, h: s.readiness},
		{name: "FrameworkReadiness", method: "GET", path: "/api/v1/readiness/frameworks/{framework}", perm: read, tag: "readiness", summary: "Readiness for another framework, derived through the crosswalk", query: []param{{"min_support", "ignore mappings with less support (default 1)"}}, out: readiness.FrameworkReport{}, h: s.frameworkReadiness},

		{name: "ListUsers", method: "GET", path: "/api/v1/users", perm: users, tag: "access", summary: "Users", query: pageParams, out: api.Page[vigil.User]{}, h: s.listUsers},
		{name: "CreateUser", method: "POST", path: "/api/v1/users", perm: users, tag: "access", summary: "Add a user", in: api.UserRequest{}, out: vigil.User{}, status: 201, h: s.createUser},
		{name: "GetUser", method: "GET", path: "/api/v1/users/{id}", perm: users, tag: "access", summary: "A user", out: vigil.User{}, h: s.getUser},
		{name: "UpdateUser", method: "PATCH", path: "/api/v1/users/{id}", perm: users, tag: "access", summary: "Change a user's name, role or disabled flag", in: vigil.UserPatch{}, out: vigil.User{}, h: s.patchUser},
		{name: "ListTokens", method: "GET", path: "/api/v1/tokens", perm: read, tag: "access", summary: "Your API tokens (all=true: everyone's, for admins)", query: []param{{"all", "true to list every user's tokens"}}, out: api.Page[vigil.APIToken]{}, h: s.listTokens},
		{name: "CreateToken", method: "POST", path: "/api/v1/tokens", perm: read, tag: "access", summary: "Create an API token for yourself; the secret is shown once", in: api.TokenRequest{}, out: api.TokenResponse{}, status: 201, h: s.createToken},
		{name: "RevokeToken", method: "DELETE", path: "/api/v1/tokens/{id}", perm: read, tag: "access", summary: "Revoke a token (your own, or any for admins)", status: 204, h: s.revokeToken},

		{name: "ListActivity", method: "GET", path: "/api/v1/activity", perm: activity, tag: "activity", summary: "The activity log, newest first", query: append([]param{{"actor_id", "user id"}, {"action", "exact action, or a prefix ending in a dot"}, {"entity_type", "e.g. control"}, {"entity_id", "e.g. AC-01"}}, pageParams...), out: api.Page[vigil.Activity]{}, h: s.listActivity},
		{name: "VerifyActivity", method: "GET", path: "/api/v1/activity/verify", perm: activity, tag: "activity", summary: "Verify the activity log's hash chain", out: vigil.ChainVerification{}, h: s.verifyActivity},
	}, s.evidenceRoutes(), s.monitorRoutes(), s.integrationRoutes(), s.exceptionRoutes(), s.policyRoutes(), s.peopleRoutes(), s.trainingRoutes(), s.incidentRoutes(), s.notifyRoutes(), s.riskRoutes(), s.vendorRoutes(), s.peopleSourceRoutes(), s.hrRoutes(), s.hrPageRoutes())
}

// evidenceRoutes are the evidence ledger's API.
func (s *Server) evidenceRoutes() []route {
	const (
		read     = vigil.PermRead
		activity = vigil.PermReadActivity
		manage   = vigil.PermManage
		ownCtl   = vigil.PermEditOwnControl
	)
	upload := int64(-1)
	if s.evidence != nil && s.evidence.MaxUpload > 0 {
		upload = s.evidence.MaxUpload + 1
	}
	rs := []route{
		{name: "UploadEvidence", method: "POST", path: "/api/v1/evidence", perm: ownCtl, tag: "evidence", summary: "Upload a file as evidence: the raw body is the file; metadata in the query (filename, title, control, request, effective_start, effective_end) and headers (Content-Type, X-Content-SHA256)",
			query: []param{{"filename", "file name"}, {"title", "title (default: the file name)"}, {"control", "control id; repeat or comma-separate"}, {"request", "evidence request id; repeat"}, {"effective_start", "day the evidence speaks for, YYYY-MM-DD"}, {"effective_end", "last day it speaks for (default: effective_start)"}, {"redact", "true: redact secrets from text before sealing"}, {"restricted", "true: personal data, listed and read only by owners, admins and auditors"}},
			out:   vigil.Evidence{}, status: 201, maxBody: upload, upload: true, h: s.uploadEvidence},
		{name: "Attest", method: "POST", path: "/api/v1/evidence/attestations", perm: ownCtl, tag: "evidence", summary: "Record an attestation: a statement signed by your account", in: api.AttestRequest{}, out: vigil.Evidence{}, status: 201, h: s.attest},
		{name: "Link", method: "POST", path: "/api/v1/evidence/links", perm: ownCtl, tag: "evidence", summary: "Record a link as evidence", in: api.AttestRequest{}, out: vigil.Evidence{}, status: 201, h: s.link},
		{name: "ListEvidence", method: "GET", path: "/api/v1/evidence", perm: read, tag: "evidence", summary: "Evidence items, newest first", query: append([]param{{"control", "control id"}, {"request", "evidence request id"}}, pageParams...), out: api.Page[vigil.Evidence]{}, h: s.listEvidence},
		{name: "ExportEvidence", method: "GET", path: "/api/v1/evidence/export", perm: read, tag: "evidence", summary: "Export a bundle (zip) that anyone can verify offline with vigil verify", query: []param{{"control", "only this control's evidence"}}, download: true, h: s.exportEvidence},
		{name: "GetEvidence", method: "GET", path: "/api/v1/evidence/{id}", perm: read, tag: "evidence", summary: "An evidence item", out: vigil.Evidence{}, h: s.getEvidence},
		{name: "EvidenceContent", method: "GET", path: "/api/v1/evidence/{id}/content", perm: read, tag: "evidence", summary: "An item's bytes, verified as they are sent", download: true, h: s.evidenceContent},
		{name: "EvidenceProof", method: "GET", path: "/api/v1/evidence/{id}/proof", perm: read, tag: "evidence", summary: "Inclusion proof of an item in the latest signed checkpoint", out: vigil.InclusionProof{}, h: s.evidenceProof},
		{name: "ReviewEvidence", method: "POST", path: "/api/v1/evidence/{id}/review", perm: manage, tag: "evidence", summary: "Accept or reject an item (appended to the log)", in: api.ReviewRequest{}, out: vigil.Evidence{}, h: s.reviewEvidence},
		{name: "Ledger", method: "GET", path: "/api/v1/ledger", perm: read, tag: "evidence", summary: "The ledger's verifier key, origin and size", out: api.LedgerKey{}, h: s.ledgerKey},
		{name: "ListCheckpoints", method: "GET", path: "/api/v1/ledger/checkpoints", perm: read, tag: "evidence", summary: "Signed checkpoints", out: api.Page[vigil.Checkpoint]{}, h: s.listCheckpoints},
		{name: "MakeCheckpoint", method: "POST", path: "/api/v1/ledger/checkpoints", perm: manage, tag: "evidence", summary: "Sign a checkpoint now", out: vigil.Checkpoint{}, status: 201, h: s.makeCheckpoint},
		{name: "LedgerConsistency", method: "GET", path: "/api/v1/ledger/consistency", perm: read, tag: "evidence", summary: "Consistency proof between two tree sizes", query: []param{{"from", "earlier size"}, {"to", "later size"}}, out: api.ConsistencyResponse{}, h: s.ledgerConsistency},
		{name: "VerifyLedger", method: "GET", path: "/api/v1/ledger/verify", perm: activity, tag: "evidence", summary: "Verify the live ledger (blobs=true also reads every blob)", query: []param{{"blobs", "true to hash every blob"}}, out: vigil.LedgerReport{}, h: s.verifyLedger},
		{name: "ListRequests", method: "GET", path: "/api/v1/requests", perm: read, tag: "evidence", summary: "Evidence requests with their periods and freshness", query: []param{{"control", "control id"}}, out: api.Page[api.RequestView]{}, h: s.listRequests},
		{name: "CreateRequest", method: "POST", path: "/api/v1/requests", perm: manage, tag: "evidence", summary: "Ask for evidence for a control on a schedule", in: api.NewRequest{}, out: vigil.EvidenceRequest{}, status: 201, h: s.createRequest},
		{name: "GetRequest", method: "GET", path: "/api/v1/requests/{id}", perm: read, tag: "evidence", summary: "An evidence request with its periods", out: api.RequestView{}, h: s.getRequest},
		{name: "UpdateRequest", method: "PATCH", path: "/api/v1/requests/{id}", perm: manage, tag: "evidence", summary: "Change a request's title, description, grace days or assignee (0: the control's owner)", in: vigil.RequestPatch{}, out: api.RequestView{}, h: s.patchRequest},
		{name: "DeleteRequest", method: "DELETE", path: "/api/v1/requests/{id}", perm: manage, tag: "evidence", summary: "Remove an evidence request (its evidence stays)", status: 204, h: s.deleteRequest},
		{name: "GetEvidenceSettings", method: "GET", path: "/api/v1/settings/evidence", perm: read, tag: "evidence", summary: "Evidence rules: whether a reviewer must be someone other than the submitter", out: vigil.EvidenceSettings{}, h: s.getEvidenceSettings},
		// Turning separation of duties off weakens a control: owners only.
		{name: "PutEvidenceSettings", method: "PUT", path: "/api/v1/settings/evidence", perm: vigil.PermGrantOwner, tag: "evidence", summary: "Replace the evidence rules (owners only)", in: vigil.EvidenceSettings{}, out: vigil.EvidenceSettings{}, h: s.putEvidenceSettings},
	}
	for i := range rs {
		rs[i].needsEvidence = true
	}
	return rs
}

// pageRoutes are the web interface's pages. Public ones check a
// double-submit CSRF token on POST; the rest need a session in one of the
// allowed states, its CSRF token on POST, and the permission.
func (s *Server) pageRoutes() []route {
	const (
		read     = vigil.PermRead
		activity = vigil.PermReadActivity
		manage   = vigil.PermManage
		users    = vigil.PermManageUsers
		ownCtl   = vigil.PermEditOwnControl
	)
	anyState := []string{vigil.SessionFull, vigil.SessionMFA, vigil.SessionEnrol}
	enrol := []string{vigil.SessionFull, vigil.SessionEnrol}
	pg := func(method, path string, perm vigil.Permission, h handlerFunc, states ...string) route {
		return route{method: method, path: path, perm: perm, page: true, states: states, h: h}
	}
	rs := []route{
		pg("GET", "/login", "", s.loginPage),
		pg("POST", "/login", "", s.loginPost),
		pg("GET", "/login/mfa", read, s.mfaPage, vigil.SessionMFA),
		pg("POST", "/login/mfa", read, s.mfaPost, vigil.SessionMFA),
		pg("GET", "/login/sso", "", s.ssoStart),
		pg("GET", "/auth/oidc/callback", "", s.ssoCallback),
		pg("POST", "/logout", read, s.logout, anyState...),
		pg("GET", "/forgot", "", s.forgotPage),
		pg("POST", "/forgot", "", s.forgotPost),
		pg("GET", "/reset", "", s.resetPage),
		pg("POST", "/reset", "", s.resetPost),
		pg("GET", "/setup", "", s.setupPageGet),
		pg("POST", "/setup", "", s.setupPagePost),

		pg("GET", "/{$}", read, s.dashboard),
		pg("GET", "/criteria", read, s.criteriaPage),
		pg("GET", "/criteria/{id}", read, s.criterionPage),
		pg("GET", "/controls", read, s.controlsPage),
		pg("POST", "/controls/adopt", manage, s.adoptPost),
		pg("POST", "/controls/bulk", ownCtl, s.controlsBulkPost),
		pg("GET", "/controls/new", manage, s.newControlPage),
		pg("POST", "/controls/new", manage, s.newControlPost),
		pg("GET", "/controls/{id}", read, s.controlPage),
		pg("POST", "/controls/{id}", ownCtl, s.controlPost),
		pg("GET", "/scope", read, s.scopePage),
		pg("POST", "/scope", manage, s.scopePost),
		pg("POST", "/systems", manage, s.systemCreate),
		pg("GET", "/systems/{id}", read, s.systemPage),
		pg("POST", "/systems/{id}", manage, s.systemPost),
		pg("POST", "/systems/{id}/delete", manage, s.systemDelete),
		pg("GET", "/settings", manage, s.settingsPage),
		pg("POST", "/settings/organization", manage, s.settingsOrgPost),
		// Sign-in settings decide who can become anyone: owners only.
		pg("POST", "/settings/auth", vigil.PermGrantOwner, s.settingsAuthPost),
		pg("POST", "/settings/evidence", vigil.PermGrantOwner, s.settingsEvidencePost),
		pg("GET", "/users", users, s.usersPage),
		pg("POST", "/users", users, s.userCreate),
		pg("GET", "/users/{id}", users, s.userPage),
		pg("POST", "/users/{id}", users, s.userPost),
		pg("POST", "/users/{id}/reset-link", users, s.userResetLink),
		pg("GET", "/tokens", read, s.tokensPage),
		pg("POST", "/tokens", read, s.tokenCreate),
		pg("POST", "/tokens/{id}/revoke", read, s.tokenRevoke),
		pg("GET", "/activity", activity, s.activityPage),
		pg("GET", "/account", read, s.accountPage),
		pg("POST", "/account/password", read, s.accountPassword),
		pg("GET", "/account/mfa", read, s.mfaEnrolPage, enrol...),
		pg("POST", "/account/mfa", read, s.mfaEnrolPost, enrol...),
		pg("POST", "/account/mfa/disable", read, s.mfaDisable),
		pg("POST", "/account/logout-everywhere", read, s.logoutEverywhere),
	}
	if s.monitor != nil {
		rs = append(rs,
			pg("GET", "/hosts", read, s.hostsPage),
			pg("POST", "/hosts/enrol", manage, s.hostsEnrol),
			pg("GET", "/hosts/{id}", read, s.hostPage),
			pg("POST", "/hosts/{id}/revoke", manage, s.hostRevoke),
			pg("POST", "/hosts/{id}/tailoring/approve", manage, s.hostApproveTailoring),
			pg("POST", "/hosts/{id}/labels", manage, s.hostLabels),
			pg("GET", "/exceptions", read, s.exceptionsPage),
			pg("POST", "/exceptions", ownCtl, s.exceptionRequestPage),
			pg("POST", "/exceptions/{id}/approve", manage, s.exceptionApprovePage),
			pg("POST", "/exceptions/{id}/revoke", manage, s.exceptionRevokePage),
			pg("GET", "/fleet", read, s.fleetPage))
	}
	// The policy pages need the ledger too: publications are sealed.
	if s.policies != nil && s.evidence != nil {
		policyUpload := pg("POST", "/policies/upload", manage, s.policyUploadPage)
		policyUpload.stream, policyUpload.maxBody = true, policy.MaxAttachment+64<<10
		rs = append(rs,
			pg("GET", "/policies", read, s.policiesPage),
			pg("POST", "/policies/adopt", manage, s.policyAdoptPage),
			policyUpload,
			pg("GET", "/policies/{id}", read, s.policyPage),
			pg("GET", "/policies/{id}/versions/{number}", read, s.policyVersionPage),
			dl(pg("GET", "/policies/{id}/versions/{number}/export", read, s.exportPolicyVersion)),
			dl(pg("GET", "/policies/export", read, s.exportPolicies)),
			pg("POST", "/policies/{id}/draft", ownCtl, s.policyDraftPage),
			pg("POST", "/policies/{id}/versions", ownCtl, s.policyNewVersionPage),
			pg("POST", "/policies/{id}/submit", ownCtl, s.policySubmitPage),
			pg("POST", "/policies/{id}/approve", ownCtl, s.policyApprovePage),
			pg("POST", "/policies/{id}/reject", ownCtl, s.policyRejectPage),
			pg("POST", "/policies/{id}/publish", ownCtl, s.policyPublishPage),
			pg("POST", "/policies/{id}/review", ownCtl, s.policyReviewPage),
			pg("POST", "/policies/{id}/settings", manage, s.policySettingsPage),
			pg("POST", "/policies/{id}/retire", manage, s.policyRetirePage))
	}
	if s.people != nil {
		people := vigil.PermReadPeople
		imp := pg("POST", "/people/import", manage, s.peopleImportPage)
		imp.stream, imp.maxBody = true, vigil.MaxPeopleCSV+64<<10
		rs = append(rs,
			pg("GET", "/tasks", read, s.myTasksPage),
			pg("GET", "/people", people, s.peoplePage),
			imp,
			pg("POST", "/people/imports/{id}/confirm", manage, s.peopleConfirmPage),
			pg("GET", "/people/{id}", people, s.personPage),
			pg("POST", "/people/{id}", manage, s.personPost),
			pg("GET", "/offboarding", people, s.offboardingPage))
		if s.policies != nil {
			rs = append(rs,
				pg("GET", "/policies/{id}/acknowledgements", people, s.policyRosterPage),
				pg("POST", "/policies/{id}/remind", manage, s.policyRemindPage),
				pg("POST", "/policies/{id}/acknowledge", read, s.policyAckPage))
		}
	}
	if s.training != nil {
		rs = append(rs,
			pg("GET", "/training", read, s.trainingPage),
			pg("POST", "/training/courses", manage, s.trainingCreatePage),
			pg("GET", "/training/mine", read, s.myTrainingPage),
			pg("GET", "/training/{id}", read, s.coursePage),
			pg("POST", "/training/{id}/assign", manage, s.courseAssignPage),
			pg("POST", "/training/{id}/assignments/{assignment}/delete", manage, s.courseUnassignPage),
			pg("POST", "/training/{id}/completions", manage, s.courseCompletionPage),
			pg("GET", "/training/{id}/take", read, s.courseTakePage),
			// Any signed-in person takes the quiz: it records only their own
			// attempt and completion.
			pg("POST", "/training/{id}/quiz", read, s.courseQuizPage))
	}
	if s.notify != nil {
		rs = append(rs,
			pg("GET", "/settings/notifications", manage, s.notificationsPage),
			pg("POST", "/settings/notifications", manage, s.notificationChannelPage),
			pg("POST", "/settings/notifications/{id}/test", manage, s.notificationTestPage),
			pg("POST", "/settings/notifications/{id}/delete", manage, s.notificationDeletePage))
	}
	if s.incidents != nil {
		exercise := pg("POST", "/exercises", manage, s.exerciseRecordPage)
		exercise.stream, exercise.maxBody = true, maxExerciseFile+64<<10
		rs = append(rs,
			pg("GET", "/incidents", read, s.incidentsPage),
			pg("POST", "/incidents", ownCtl, s.incidentOpenPage),
			pg("GET", "/incidents/{id}", read, s.incidentPage),
			pg("POST", "/incidents/{id}/events", ownCtl, s.incidentEventPage),
			pg("POST", "/incidents/{id}/update", manage, s.incidentUpdatePage),
			pg("POST", "/incidents/{id}/notifications", manage, s.incidentNotificationPage),
			pg("POST", "/incidents/{id}/notifications/{notification}/sent", manage, s.incidentSentPage),
			pg("POST", "/incidents/{id}/review", manage, s.incidentReviewPage),
			pg("POST", "/incidents/{id}/actions/{action}/done", manage, s.incidentActionDonePage),
			pg("POST", "/incidents/{id}/close", manage, s.incidentClosePage),
			pg("GET", "/exercises", read, s.exercisesPage),
			pg("POST", "/exercises/rules", manage, s.incidentRulesPage),
			exercise)
	}
	// Signing an assessment seals it: the risk pages need the ledger too.
	if s.risks != nil && s.evidence != nil {
		rs = append(rs,
			pg("GET", "/risks", read, s.risksPage),
			pg("POST", "/risks", manage, s.riskCreatePage),
			pg("GET", "/risks/library", read, s.riskLibraryPage),
			pg("POST", "/risks/library", manage, s.riskLibraryPost),
			pg("GET", "/risks/plan", read, s.riskPlanPage),
			pg("GET", "/risks/import", manage, s.riskImportPage),
			pg("POST", "/risks/import", manage, s.riskImportPost),
			pg("GET", "/risks/assessments", read, s.riskAssessmentsPage),
			pg("POST", "/risks/assessments", manage, s.riskAssessmentRunPost),
			pg("GET", "/risks/assessments/{id}", read, s.riskAssessmentPage),
			pg("POST", "/risks/assessments/{id}/sign", manage, s.riskAssessmentSignPost),
			pg("GET", "/risks/{id}", read, s.riskPage),
			pg("POST", "/risks/{id}", manage, s.riskPost),
			pg("POST", "/risks/{id}/accept", manage, s.riskAcceptPost),
			// The approver the acceptance names, whoever may operate
			// controls; the domain refuses anyone else and the owner.
			pg("POST", "/risks/{id}/approve", ownCtl, s.riskApprovePost))
	}
	// The vendor pages need the ledger: documents and answers are sealed.
	if s.vendors != nil && s.evidence != nil {
		doc := pg("POST", "/vendors/{id}/documents", manage, s.vendorDocumentPage)
		doc.stream, doc.maxBody = true, -1
		// The questionnaire link is public: the vendor has no account. Its
		// form is multipart (attachments), bounded and token-checked by
		// its handler.
		imp := pg("POST", "/vendors/import", manage, s.vendorImportPage)
		imp.stream, imp.maxBody = true, -1
		link := pg("POST", "/q/{secret}", "", s.vendorLinkPost)
		link.stream, link.maxBody = true, -1
		rs = append(rs,
			pg("GET", "/vendors", read, s.vendorsPage),
			pg("POST", "/vendors", manage, s.vendorCreatePage),
			pg("POST", "/vendor-suggestions/{id}/confirm", manage, s.vendorSuggestionConfirmPage),
			pg("POST", "/vendor-suggestions/{id}/dismiss", manage, s.vendorSuggestionDismissPage),
			imp,
			pg("POST", "/vendors/import/confirm", manage, s.vendorImportConfirmPage),
			pg("GET", "/vendors/{id}", read, s.vendorPage),
			pg("POST", "/vendors/{id}", manage, s.vendorPost),
			doc,
			pg("POST", "/vendors/{id}/questionnaires", manage, s.vendorSendPage),
			pg("POST", "/vendor-documents/{id}/review", manage, s.vendorDocumentReviewPage),
			pg("POST", "/vendor-cuecs/{id}", manage, s.vendorCUECPage),
			pg("GET", "/questionnaires/{id}", read, s.questionnairePage),
			pg("POST", "/questionnaires/{id}/review", manage, s.questionnaireReviewPage),
			pg("GET", "/q/{secret}", "", s.vendorLinkPage),
			link)
	}
	if s.integrations != nil {
		rs = append(rs,
			pg("GET", "/integrations", read, s.integrationsPage),
			pg("POST", "/integrations", manage, s.integrationCreatePage),
			pg("GET", "/integrations/{id}", read, s.integrationPage),
			pg("POST", "/integrations/{id}/{action}", manage, s.integrationActionPage))
	}
	if s.evidence != nil {
		rs = append(rs,
			pg("GET", "/evidence", read, s.ledgerPage),
			dl(pg("GET", "/evidence/export", read, s.exportPage)),
			dl(pg("GET", "/evidence/{id}/download", read, s.downloadPage)),
			pg("POST", "/evidence/{id}/review", manage, s.reviewPage),
			route{method: "POST", path: "/controls/{id}/evidence", perm: ownCtl, page: true, stream: true, maxBody: -1, needsEvidence: true, h: s.uploadPage},
			pg("POST", "/controls/{id}/attest", ownCtl, s.attestPage),
			pg("POST", "/controls/{id}/requests", manage, s.requestCreatePage),
			pg("POST", "/requests/{id}/delete", manage, s.requestDeletePage),
		)
	}
	return rs
}

// limitParam parses ?limit=, default 100, at most 1000.
func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, vigil.FieldError("limit", "limit must be a whole number from 1 to 1000, got %q", v)
	}
	return n, nil
}

// Cursors are opaque to clients: the last key of the page, base64-encoded.
func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeCursor(r *http.Request) (string, error) {
	v := r.URL.Query().Get("cursor")
	if v == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || bytes.IndexByte(b, 0) >= 0 {
		return "", vigil.FieldError("cursor", "cursor is not one this server issued")
	}
	return string(b), nil
}

// intCursor decodes a cursor holding a numeric key.
func intCursor(r *http.Request) (int64, error) {
	c, err := decodeCursor(r)
	if err != nil || c == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 {
		return 0, vigil.FieldError("cursor", "cursor is not one this server issued")
	}
	return n, nil
}

// pathInt parses a numeric path value.
func pathInt(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, vigil.FieldError(name, "%s must be a positive whole number, got %q", name, v)
	}
	return n, nil
}

// queryInt parses an optional numeric query value.
func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, vigil.FieldError(name, "%s must be a whole number, got %q", name, v)
	}
	return n, nil
}

// pageOf builds a page from up to limit+1 fetched items.
func pageOf[T any](items []T, limit int, key func(T) string) api.Page[T] {
	p := api.Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = encodeCursor(key(items[limit-1]))
	}
	return p
}
