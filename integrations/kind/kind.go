// Package kind is what the integrations service and the kinds of
// integration share: the Kind interface, a run's inputs and outputs, the
// declarative description of a kind's settings, and small helpers the
// kinds have in common. It imports no kind and not the service.
package kind

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"sort"
	"time"

	"github.com/vigil-soc/vigil"
)

// Kind is one kind of integration.
type Kind interface {
	Name() string
	// Info describes the kind and its settings for the pages and the CLI.
	Info() Info
	// Validate checks the settings (and whether a secret is needed).
	Validate(cfg json.RawMessage, secret string) error
	// Test connects once and returns what is wrong, in words an operator
	// can act on (the missing permission, the unreachable host).
	Test(ctx context.Context, r *Run) error
	// Collect returns the input of each of the kind's collectors.
	Collect(ctx context.Context, r *Run) (map[string]map[string]any, error)
}

// Run is what a kind gets for one test or collection.
type Run struct {
	ID     int64
	Config json.RawMessage
	Secret string
	// State is what the kind remembered from its last run; it sets
	// NewState to what to remember next.
	State    json.RawMessage
	NewState json.RawMessage
	// Dir is a directory the kind may keep files in (clones, caches).
	Dir string
	Now time.Time
	// Artifacts are documents a kind produces that are evidence in
	// themselves (a change population, a credential report, a user list):
	// the service seals them into the evidence ledger when they change.
	Artifacts []Artifact
	// Accounts is every account the system holds, when the kind lists
	// them in full (AccountsListed): offboarding and access reviews match
	// them to people. A kind that read only some accounts leaves
	// AccountsListed false, since an account missing from a partial list
	// would read as removed.
	Accounts       []vigil.Account
	AccountsListed bool
	// People is everyone the system lists as working here (an HR system,
	// or a directory set to be a people source), when listed in full
	// (PeopleListed): the service keeps the personnel register from it.
	// A person not listed is never removed, so a partial listing harms
	// nothing but is still not marked listed: it would report people as
	// no longer listed.
	People       []vigil.Person
	PeopleListed bool
	// PeopleSkipped are people the kind could not make a person of (no
	// work email), named as the system names them: the run says so.
	PeopleSkipped []vigil.SkippedPerson
	// Apps are the third-party apps the system exposes (Okta's app
	// integrations, Google Workspace's OAuth grants), for vendor
	// discovery, when the kind asked for them (AppsRead). AppsComplete
	// says every app was read; AppsUnreadable says what was not (a scope
	// not granted, users past a cap): an unread listing is never "no
	// apps", and apps missing from a partial one are not gone.
	Apps           []vigil.DiscoveredApp
	AppsRead       bool
	AppsComplete   bool
	AppsUnreadable string
}

// Artifact is a document for the evidence ledger.
type Artifact struct {
	Name  string // file name, e.g. "credential-report.csv"
	Title string
	Data  []byte
}

// scopeKey carries the audit scope to the kinds: the service reads it once
// per run, and a kind that takes its window from the audit needs it.
type scopeKey struct{}

// WithScope gives the kinds the audit scope.
func WithScope(ctx context.Context, sc *vigil.Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, sc)
}

// ScopeFrom is the audit scope the service read for this run, or nil.
func ScopeFrom(ctx context.Context) *vigil.Scope {
	sc, _ := ctx.Value(scopeKey{}).(*vigil.Scope)
	return sc
}

// LoopbackHost: plain http is tolerated only to this machine.
func LoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// SecureURL accepts https, or http to this machine only: a credential is
// never sent in clear over a network.
func SecureURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("%q is not a URL", raw)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && LoopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q must be https:// (credentials are never sent in clear)", raw)
}

// ToAny turns a typed slice into the []any a check reads.
func ToAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// NonNil is xs, or an empty list for nil (a check sees [] rather than null).
func NonNil(xs []any) []any {
	if xs == nil {
		return []any{}
	}
	return xs
}

// UserList is an account list as evidence: the population access reviews
// and offboarding checks sample.
func UserList(title string, in map[string]any) Artifact {
	b, _ := json.MarshalIndent(in, "", " ")
	return Artifact{Name: "users.json", Title: title, Data: b}
}

// Registry is the kinds a build offers, in the order the form lists them.
// cmd/vigil makes the list of built-in kinds, explicitly (no registration
// by init); tests make their own with the kinds they use.
type Registry []Kind

// Lookup finds a kind by name.
func (r Registry) Lookup(name string) (Kind, bool) {
	for _, k := range r {
		if k.Name() == name {
			return k, true
		}
	}
	return nil, false
}

// Names lists the kinds' names, sorted.
func (r Registry) Names() []string {
	out := make([]string, len(r))
	for i, k := range r {
		out[i] = k.Name()
	}
	sort.Strings(out)
	return out
}

// Info returns a kind's description; a kind that describes no settings
// gets a bare one, whose settings are then typed as JSON.
func (r Registry) Info(name string) (Info, bool) {
	k, ok := r.Lookup(name)
	if !ok {
		return Info{}, false
	}
	info := k.Info()
	if info.Name == "" {
		info = Info{Name: name, Title: name, Secret: Field{Name: "secret", Label: "Credential", Type: TypeLong}}
	}
	return info, true
}

// Infos describes every kind, in the registry's order.
func (r Registry) Infos() []Info {
	out := make([]Info, 0, len(r))
	for _, k := range r {
		info, _ := r.Info(k.Name())
		out = append(out, info)
	}
	return out
}

// BuildConfig makes a kind's settings from named form values
// (Info.BuildConfig); an unknown kind takes only the advanced JSON.
func (r Registry) BuildConfig(name string, get func(name string) string, advanced string) (json.RawMessage, error) {
	info, _ := r.Info(name)
	return info.BuildConfig(get, advanced)
}

// FormValues turns a kind's stored settings back into the form's values
// and the advanced JSON (Info.FormValues).
func (r Registry) FormValues(name string, cfg json.RawMessage) (map[string]string, string) {
	info, _ := r.Info(name)
	return info.FormValues(cfg)
}

// Settings lists a kind's stored settings with their labels
// (Info.Settings).
func (r Registry) Settings(name string, cfg json.RawMessage) []Setting {
	info, _ := r.Info(name)
	return info.Settings(cfg)
}
