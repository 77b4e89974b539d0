package monitor

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-soc/vigil"
)

// Server-side exceptions: the rule. A failing result on a live host that
// reports on schedule, covered by an approved exception that has not
// expired, is excepted: risk accepted keeps it visible as a warning with
// the exception named; not applicable leaves it out of the count. Errors,
// stale hosts and tailoring are never excepted, and history is not
// rewritten: exceptions act on the current view only.

// RequestException validates and stores an exception request as the
// context's actor. It changes nothing until someone else approves it.
func (s *Service) RequestException(ctx context.Context, e *vigil.CheckException) error {
	if err := e.Validate(s.now(), s.checkExists); err != nil {
		return err
	}
	return s.Store.CreateException(ctx, e)
}

func (s *Service) checkExists(id string) bool {
	if s.Checks == nil {
		return false
	}
	return s.Checks.Has(id)
}

// ApproveException approves a pending exception as the context's actor,
// who must not be its requester.
func (s *Service) ApproveException(ctx context.Context, id int64) (*vigil.CheckException, error) {
	return s.Store.ApproveException(ctx, id)
}

// RevokeException ends an exception, or turns a request down.
func (s *Service) RevokeException(ctx context.Context, id int64, reason string) (*vigil.CheckException, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > vigil.MaxJustificationLen || !utf8.ValidString(reason) || strings.ContainsRune(reason, 0) {
		return nil, vigil.FieldError("reason", "the reason is text of at most %d characters", vigil.MaxJustificationLen)
	}
	return s.Store.RevokeException(ctx, id, reason)
}

// Exception returns one exception with its state now.
func (s *Service) Exception(ctx context.Context, id int64) (*vigil.CheckException, error) {
	return s.Store.Exception(ctx, id, s.now())
}

// ExceptionFilter narrows a list of exceptions.
type ExceptionFilter struct {
	State   vigil.ExceptionState // "" for all
	CheckID string
	AgentID int64 // those whose scope takes in this host
}

// Exceptions lists exceptions, newest first, with their states now.
func (s *Service) Exceptions(ctx context.Context, f ExceptionFilter) ([]vigil.CheckException, error) {
	switch f.State {
	case "", vigil.ExceptionPending, vigil.ExceptionActive, vigil.ExceptionExpired, vigil.ExceptionRevoked:
	default:
		return nil, vigil.FieldError("state", "state must be pending, active, expired or revoked, got %q", f.State)
	}
	all, err := s.Store.Exceptions(ctx, s.now())
	if err != nil {
		return nil, err
	}
	var host *vigil.Agent
	if f.AgentID != 0 {
		if host, err = s.Store.Agent(ctx, f.AgentID); err != nil {
			return nil, err
		}
	}
	out := all[:0]
	for _, e := range all {
		if f.State != "" && e.State != f.State || f.CheckID != "" && e.CheckID != f.CheckID || host != nil && !e.CoversAgent(host) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// ExceptionIndex finds the exception in force for a failing result.
type ExceptionIndex struct {
	byCheck map[string][]vigil.CheckException
}

// ActiveExceptions indexes the exceptions in force now.
func (s *Service) ActiveExceptions(ctx context.Context) (*ExceptionIndex, error) {
	xs, err := s.Store.ActiveExceptions(ctx, s.now())
	if err != nil {
		return nil, err
	}
	idx := &ExceptionIndex{byCheck: map[string][]vigil.CheckException{}}
	for _, x := range xs {
		idx.byCheck[x.CheckID] = append(idx.byCheck[x.CheckID], x)
	}
	return idx, nil
}

// Cover returns the exception that excepts a failure of check on host a,
// or nil. Where several apply, risk accepted wins over not applicable (the
// failure stays visible), and then the one that runs longest.
func (x *ExceptionIndex) Cover(checkID string, a *vigil.Agent) *vigil.CheckException {
	if x == nil || a == nil {
		return nil
	}
	var best *vigil.CheckException
	for i := range x.byCheck[checkID] {
		e := &x.byCheck[checkID][i]
		if !e.CoversAgent(a) {
			continue
		}
		if best == nil || better(e, best) {
			best = e
		}
	}
	return best
}

func better(a, b *vigil.CheckException) bool {
	if a.Kind != b.Kind {
		return a.Kind == vigil.ExceptionRiskAccepted
	}
	return a.Expires.After(b.Expires)
}

// SetLabels validates and sets a host's labels.
func (s *Service) SetLabels(ctx context.Context, id int64, labels map[string]string) (*vigil.Agent, error) {
	if err := vigil.ValidateLabels("labels", labels); err != nil {
		return nil, err
	}
	return s.Store.SetAgentLabels(ctx, id, labels)
}

// CreateLabelledEnrolment makes a one-time token whose host starts with
// the given labels.
func (s *Service) CreateLabelledEnrolment(ctx context.Context, name string, labels map[string]string, ttl time.Duration) (*vigil.Enrolment, error) {
	if err := vigil.ValidateLabels("labels", labels); err != nil {
		return nil, err
	}
	return s.createEnrolment(ctx, name, labels, ttl)
}

// Fleet counts, per check, the hosts in each state, with excepted
// failures apart. A host whose excepted check also has a result that
// could not be judged counts as unjudged: an exception covers failures,
// never errors.
func (s *Service) Fleet(ctx context.Context) ([]vigil.FleetCount, error) {
	counts, err := s.Store.FleetByCheck(ctx, s.now())
	if err != nil {
		return nil, err
	}
	out := counts
	idx, err := s.ActiveExceptions(ctx)
	if err != nil || len(idx.byCheck) == 0 {
		return out, err
	}
	pairs, err := s.Store.FailingPairs(ctx, s.now())
	if err != nil {
		return nil, err
	}
	agents, err := s.agentsByID(ctx)
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for i := range out {
		at[out[i].CheckID] = i
	}
	for _, p := range pairs {
		i, ok := at[p.CheckID]
		// The counts and the pairs are two reads: a report between them
		// must not make a count negative.
		if !ok || out[i].Fail == 0 || idx.Cover(p.CheckID, agents[p.AgentID]) == nil {
			continue
		}
		out[i].Fail--
		if p.Error {
			out[i].Error++
		} else {
			out[i].Excepted++
		}
	}
	return out, nil
}

func (s *Service) agentsByID(ctx context.Context) (map[int64]*vigil.Agent, error) {
	agents, err := s.Store.Agents(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*vigil.Agent, len(agents))
	for i := range agents {
		out[agents[i].ID] = &agents[i]
	}
	return out, nil
}
