// Package service runs integrations: it stores them with their
// credentials sealed, runs their kinds (given by its caller) through the
// scheduler, keeps their results like a host's (history, fleet,
// readiness) and seals their artifacts as evidence. It knows no kind: the
// kinds implement kind.Kind in their own packages.
package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/scan"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

// storedState is the integration's state row: the kind's own, and the
// hashes of the artifacts last sealed.
type storedState struct {
	Kind     json.RawMessage   `json:"kind,omitempty"`
	Evidence map[string]string `json:"evidence,omitempty"`
}

// Service manages integrations.
type Service struct {
	Store   *store.Store
	Box     *secret.Box
	Monitor *monitor.Service
	Checks  *check.Registry
	// Evidence, when set, receives the runs' artifacts.
	Evidence *evidence.Service
	// Kinds are the kinds this build offers (cmd/vigil lists them).
	Kinds   kind.Registry
	DataDir string
	Now     func() time.Time

	locks sync.Map // integration ID => *sync.Mutex: one run at a time each
}

func (s *Service) lock(id int64) func() {
	m, _ := s.locks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func (s *Service) dir(id int64) string { return fmt.Sprintf("%s/integrations/%d", s.DataDir, id) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func sealContext(id int64) string { return "integration:" + strconv.FormatInt(id, 10) }

func (s *Service) kind(name string) (kind.Kind, error) {
	k, ok := s.Kinds.Lookup(name)
	if !ok {
		return nil, vigil.FieldError("kind", "there is no integration kind %q (kinds: %s)", name, strings.Join(s.Kinds.Names(), ", "))
	}
	return k, nil
}

// Create validates and stores a new integration; the secret is sealed.
func (s *Service) Create(ctx context.Context, x *vigil.Integration, secretText string) error {
	k, err := s.kind(x.Kind)
	if err != nil {
		return err
	}
	if err := k.Validate(x.Config, secretText); err != nil {
		return err
	}
	// The seal is bound to the row's ID, which comes with the insert: seal
	// after creating, in a second step.
	if err := s.Store.CreateIntegration(ctx, x, ""); err != nil {
		return err
	}
	if secretText != "" {
		sealed, err := s.Box.Seal(secretText, sealContext(x.ID))
		if err != nil {
			return err
		}
		if err := s.Store.UpdateIntegration(ctx, x, &sealed); err != nil {
			return err
		}
	}
	return nil
}

// Update replaces an integration's settings; secret nil keeps the stored
// credential.
func (s *Service) Update(ctx context.Context, x *vigil.Integration, secretText *string) error {
	cur, sealed, err := s.Store.Integration(ctx, x.ID)
	if err != nil {
		return err
	}
	k, err := s.kind(cur.Kind)
	if err != nil {
		return err
	}
	defer s.lock(x.ID)()
	changed := !sameJSON(cur.Config, x.Config)
	// A stored credential is never sent to a destination its owner did not
	// give it for: new settings need the credential again.
	if changed && sealed != "" && secretText == nil {
		return vigil.FieldError("secret", "changing the settings of an integration with a stored credential needs the credential again")
	}
	plain := ""
	if secretText != nil {
		plain = *secretText
	} else if sealed != "" {
		if plain, err = s.Box.Open(sealed, sealContext(x.ID)); err != nil {
			return err
		}
	}
	if err := k.Validate(x.Config, plain); err != nil {
		return err
	}
	var newSealed *string
	if secretText != nil {
		v := ""
		if *secretText != "" {
			if v, err = s.Box.Seal(*secretText, sealContext(x.ID)); err != nil {
				return err
			}
		}
		newSealed = &v
	}
	if err := s.Store.UpdateIntegration(ctx, x, newSealed); err != nil {
		return err
	}
	if changed {
		// What was remembered (a mirror, a head, cached reviews) belongs to
		// the old settings.
		os.RemoveAll(s.dir(x.ID))
		return s.Store.SetIntegrationState(ctx, x.ID, "{}")
	}
	return nil
}

// Delete disconnects an integration and removes its files (mirrors,
// known hosts); its results stay as history.
func (s *Service) Delete(ctx context.Context, id int64) error {
	defer s.lock(id)()
	if err := s.Store.DeleteIntegration(ctx, id); err != nil {
		return err
	}
	return os.RemoveAll(s.dir(id))
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// run prepares a run of integration id: its kind, the run's inputs, and
// the hashes of the artifacts last sealed.
func (s *Service) run(ctx context.Context, id int64) (*vigil.Integration, kind.Kind, kind.Run, map[string]string, error) {
	x, sealed, err := s.Store.Integration(ctx, id)
	if err != nil {
		return nil, nil, kind.Run{}, nil, err
	}
	k, err := s.kind(x.Kind)
	if err != nil {
		return nil, nil, kind.Run{}, nil, err
	}
	r := kind.Run{ID: id, Config: x.Config, Now: s.now(), Dir: s.dir(id)}
	if sealed != "" {
		if r.Secret, err = s.Box.Open(sealed, sealContext(id)); err != nil {
			return nil, nil, kind.Run{}, nil, err
		}
	}
	st, err := s.Store.IntegrationState(ctx, id)
	if err != nil {
		return nil, nil, kind.Run{}, nil, err
	}
	var ss storedState
	_ = json.Unmarshal([]byte(st), &ss)
	r.State = ss.Kind
	hashes := ss.Evidence
	if hashes == nil {
		hashes = map[string]string{}
	}
	return x, k, r, hashes, nil
}

// Test checks the connection now.
func (s *Service) Test(ctx context.Context, id int64) error {
	defer s.lock(id)()
	_, k, r, _, err := s.run(ctx, id)
	if err != nil {
		return err
	}
	if ctx, err = s.withAuditScope(ctx); err != nil {
		return err
	}
	if err := k.Test(ctx, &r); err != nil {
		return &vigil.Error{Code: vigil.EINVALID, Message: "connection test failed: " + redact(err.Error(), r.Secret)}
	}
	return nil
}

// redact keeps a credential out of messages that quote a tool's output.
func redact(msg, secretText string) string {
	if secretText == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secretText, "[redacted]")
}

// redactValue is redact over every string in a collector's input.
func redactValue(v any, secretText string) any {
	if secretText == "" {
		return v
	}
	switch x := v.(type) {
	case string:
		return redact(x, secretText)
	case map[string]any:
		for k, e := range x {
			x[k] = redactValue(e, secretText)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = redactValue(e, secretText)
		}
		return x
	case []string:
		for i, e := range x {
			x[i] = redact(e, secretText)
		}
		return x
	case []map[string]any:
		for i, e := range x {
			x[i] = redactValue(e, secretText).(map[string]any)
		}
		return x
	}
	return v
}

// RunNow collects, runs the kind's checks and stores the results.
func (s *Service) RunNow(ctx context.Context, id int64) (*scan.Report, error) {
	defer s.lock(id)()
	x, k, r, sealed, err := s.run(ctx, id)
	if err != nil {
		return nil, err
	}
	if ctx, err = s.withAuditScope(ctx); err != nil {
		return nil, err
	}
	started := s.now()
	inputs, cerr := k.Collect(ctx, &r)
	// An API's error text or a tool's output can quote the credential: it
	// never reaches results, stored inputs or evidence.
	for n, in := range inputs {
		inputs[n] = redactValue(in, r.Secret).(map[string]any)
	}
	names := map[string]bool{}
	for _, c := range s.Checks.Checks() {
		if strings.HasPrefix(c.Collector, x.Kind+".") {
			names[c.Collector] = true
		}
	}
	var cs []collect.Collector
	for n := range names {
		in := inputs[n]
		msg := ""
		if cerr != nil {
			msg = redact(cerr.Error(), r.Secret)
		} else if in == nil {
			msg = "the integration gave no input for " + n
		}
		cs = append(cs, fixed{n, in, msg})
	}
	rep := scan.Run(ctx, scan.Options{Checks: s.Checks, Collectors: collect.NewRegistry(cs...),
		Select: func(c *check.Check) bool { return names[c.Collector] }})
	status, msg := "ok", ""
	if cerr != nil {
		status, msg = "error", redact(cerr.Error(), r.Secret)
	} else if rep.Summary.ChecksUnjudged > 0 {
		// The run worked, but not everything was judged: the integration
		// says so beside its status instead of a bare "ok".
		var parts []string
		for _, f := range rep.Findings {
			if string(f.Verdict) == "error" && len(parts) < 3 {
				parts = append(parts, f.CheckID+" "+f.Resource+": "+f.Reason)
			}
		}
		msg = redact(fmt.Sprintf("%d checks could not be judged: %s", rep.Summary.ChecksUnjudged, strings.Join(parts, "; ")), r.Secret)
	}
	if err := s.ingest(ctx, x, rep, started); err != nil {
		// The run is recorded as failed: its results were not kept, and the
		// integration must not go on showing the last run's "ok".
		msg := "the results could not be stored: " + redact(vigil.ErrorMessage(err), r.Secret)
		if rerr := s.Store.RecordIntegrationRun(ctx, id, s.now(), "error", msg); rerr != nil {
			return rep, fmt.Errorf("%w (and recording the failed run: %v)", err, rerr)
		}
		return rep, err
	}
	if cerr == nil && r.AccountsListed {
		// Only a full listing updates the accounts: one missing from a
		// failed or partial run would read as removed.
		if err := s.Store.ReplaceAccounts(ctx, id, r.Accounts, started.UTC(), s.now().UTC()); err != nil {
			_ = s.Store.RecordIntegrationRun(ctx, id, s.now(), "error", "the accounts could not be stored: "+vigil.ErrorMessage(err))
			return rep, err
		}
	}
	if cerr == nil && r.AppsRead {
		// Third-party apps for vendor discovery; what could not be read is
		// kept with the listing and said beside the run's status.
		if err := s.Store.RecordApps(ctx, id, r.Apps, r.AppsComplete, redact(r.AppsUnreadable, r.Secret), s.now().UTC()); err != nil {
			_ = s.Store.RecordIntegrationRun(ctx, id, s.now(), "error", "the apps could not be stored: "+vigil.ErrorMessage(err))
			return rep, err
		}
		if r.AppsUnreadable != "" {
			if msg != "" {
				msg += "; "
			}
			msg += redact(r.AppsUnreadable, r.Secret)
		}
	}
	if cerr == nil && r.PeopleListed {
		// The register follows the source; what was skipped or is no
		// longer listed is said beside the run's status, never dropped.
		res, err := s.Store.SyncPeople(ctx, id, x.Kind+":"+x.Name, r.People, s.now().UTC())
		if err != nil {
			_ = s.Store.RecordIntegrationRun(ctx, id, s.now(), "error", "the people could not be stored: "+redact(vigil.ErrorMessage(err), r.Secret))
			return rep, err
		}
		res.Skipped = append(r.PeopleSkipped, res.Skipped...)
		if m := res.Message(); m != "" {
			if msg != "" {
				msg += "; "
			}
			msg += redact(m, r.Secret)
		}
	}
	if cerr == nil {
		if err := s.seal(ctx, x, &r, sealed); err != nil {
			status, msg = "error", "the run's evidence could not be sealed: "+err.Error()
		}
		kindState := r.NewState
		if len(kindState) == 0 {
			kindState = r.State
		}
		b, _ := json.Marshal(storedState{Kind: kindState, Evidence: sealed})
		if err := s.Store.SetIntegrationState(ctx, id, string(b)); err != nil {
			_ = s.Store.RecordIntegrationRun(ctx, id, s.now(), "error", "the run's state could not be kept: "+vigil.ErrorMessage(err))
			return rep, err
		}
	}
	return rep, s.Store.RecordIntegrationRun(ctx, id, s.now(), status, msg)
}

// fixed is a collector whose input was collected by the integration.
type fixed struct {
	name string
	in   map[string]any
	err  string
}

func (f fixed) Name() string { return f.name }

func (f fixed) Collect(context.Context) (map[string]any, error) {
	if f.err != "" {
		return nil, fmt.Errorf("%s", f.err)
	}
	return f.in, nil
}

func (s *Service) ingest(ctx context.Context, x *vigil.Integration, rep *scan.Report, started time.Time) error {
	a, err := s.Store.Agent(ctx, x.AgentID)
	if err != nil {
		return err
	}
	r := &vigil.AgentReport{Seq: a.LastSeq + 1, ScannedAt: started.UTC(), Duration: rep.Duration.Milliseconds(), Full: true,
		Host: vigil.HostInfo{Hostname: x.Name, OS: x.Kind, Version: "server", Interval: x.Interval}}
	for _, f := range rep.Findings {
		r.Results = append(r.Results, vigil.CheckResult{CheckID: f.CheckID, Resource: f.Resource, Verdict: string(f.Verdict), Reason: monitor.ClipReason(f.Reason)})
	}
	r.Results = monitor.MergeResults(r.Results)
	for _, c := range rep.Collectors {
		if c.Err != "" {
			r.Failed = append(r.Failed, c.Collector)
		}
	}
	// What the checks were judged on, kept by hash like an agent's input.
	if err := r.AttachInput(rep.Inputs); err != nil {
		return err
	}
	return s.Monitor.Ingest(ctx, a, r)
}

// Jobs are the scheduler's jobs: one per enabled integration.
func (s *Service) Jobs(ctx context.Context) ([]scheduler.Job, error) {
	xs, err := s.Store.Integrations(ctx)
	if err != nil {
		return nil, err
	}
	var out []scheduler.Job
	for _, x := range xs {
		if !x.Enabled {
			continue
		}
		id := x.ID
		out = append(out, scheduler.Job{Name: "integration:" + strconv.FormatInt(id, 10), Every: time.Duration(x.Interval) * time.Second,
			Run: func(ctx context.Context) error { _, err := s.RunNow(ctx, id); return err }})
	}
	return out, nil
}

// seal puts the run's artifacts that changed since the last sealed ones
// into the evidence ledger, linked to the adopted controls the kind's
// checks map to; sealed holds the hashes of the artifacts last sealed, by
// name, and is updated.
func (s *Service) seal(ctx context.Context, x *vigil.Integration, r *kind.Run, sealed map[string]string) error {
	if s.Evidence == nil || len(r.Artifacts) == 0 {
		return nil
	}
	controls, err := s.Store.AdoptedControls(ctx, s.Checks.ControlsFor(x.Kind+"."))
	if err != nil {
		return err
	}
	if len(controls) == 0 {
		// Evidence belongs to controls; none of the kind's is adopted yet.
		return nil
	}
	day := vigil.Date(r.Now.UTC().Format(time.DateOnly))
	for _, a := range r.Artifacts {
		sum := sha256.Sum256(a.Data)
		h := hex.EncodeToString(sum[:])
		if sealed[a.Name] == h {
			continue
		}
		actx := vigil.WithActor(ctx, vigil.Actor{Name: "integration:" + x.Name, Role: vigil.RoleOwner})
		if _, err := s.Evidence.Upload(actx, evidence.Meta{Source: vigil.SourceCollector, Title: x.Name + ": " + a.Title, Filename: a.Name,
			EffectiveStart: day, EffectiveEnd: day, Controls: controls, DeclaredSize: int64(len(a.Data))}, bytes.NewReader(a.Data)); err != nil {
			return err
		}
		sealed[a.Name] = h
	}
	return nil
}

// withAuditScope reads the audit scope for a run's kinds (a git
// integration takes its window from it). An organization not set up yet
// has no scope; any other failure to read it fails the run rather than
// silently judging another window.
func (s *Service) withAuditScope(ctx context.Context) (context.Context, error) {
	sc, err := s.Store.Scope(ctx)
	if err != nil {
		if vigil.ErrorCode(err) == vigil.ENOTFOUND {
			return ctx, nil
		}
		return ctx, err
	}
	return kind.WithScope(ctx, sc), nil
}
