package vigil

import (
	"strconv"
	"time"
)

// The rules of taking in an agent's report, apart from the store that
// applies them inside one transaction (store.IngestReport).

// ResultKey names one result: a check on a resource.
type ResultKey struct{ CheckID, Resource string }

// Key is the result's key.
func (x CheckResult) Key() ResultKey { return ResultKey{x.CheckID, x.Resource} }

// Status is the run's status: partial when a collector failed (its checks
// could not be judged), else ok.
func (r *AgentReport) Status() string {
	if len(r.Failed) > 0 {
		return "partial"
	}
	return "ok"
}

// maxClockSkew is how far in the future a report may be dated.
const maxClockSkew = 5 * time.Minute

// CheckReportOrder refuses a report that is not the next one of its host:
// a replay or one out of order (by sequence number), one dated in the
// future, or one older than the last accepted (by the host's clock).
// lastSeen is zero before the first report.
func CheckReportOrder(seq, lastSeq int64, at, lastSeen, now time.Time) error {
	switch {
	case seq <= lastSeq:
		return &Error{Code: ECONFLICT, Field: "seq", Message: "report " + strconv.FormatInt(seq, 10) + " was already accepted (last accepted: " + strconv.FormatInt(lastSeq, 10) + "); a replay is not stored"}
	case seq != lastSeq+1:
		return &Error{Code: ECONFLICT, Field: "seq", Message: "report " + strconv.FormatInt(seq, 10) + " is out of order: the next accepted is " + strconv.FormatInt(lastSeq+1, 10)}
	case at.After(now.Add(maxClockSkew)):
		return &Error{Code: EINVALID, Field: "scanned_at", Message: "the report is dated in the future (" + at.Format(time.RFC3339) + "); check the host's clock"}
	case !lastSeen.IsZero() && at.Before(lastSeen):
		return &Error{Code: EINVALID, Field: "scanned_at", Message: "the report is older than the last accepted one; check the host's clock"}
	}
	return nil
}

// ResultChanges compares a report with the host's current results. changed
// are the results that are new or differ in verdict or reason (repeats are
// not changes); gone are the current results the report ends: those it
// names as removed or, when it is full, those it does not carry. A removal
// of a result that does not exist is no change.
func ResultChanges(cur map[ResultKey]CheckResult, r *AgentReport) (changed, gone []CheckResult) {
	seen := make(map[ResultKey]bool, len(r.Results))
	for _, x := range r.Results {
		k := x.Key()
		seen[k] = true
		if old, ok := cur[k]; ok && old.Verdict == x.Verdict && old.Reason == x.Reason {
			continue
		}
		changed = append(changed, x)
	}
	if r.Full {
		for k := range cur {
			if !seen[k] {
				gone = append(gone, CheckResult{CheckID: k.CheckID, Resource: k.Resource})
			}
		}
		return changed, gone
	}
	for _, x := range r.Removed {
		if _, ok := cur[x.Key()]; ok {
			gone = append(gone, CheckResult{CheckID: x.CheckID, Resource: x.Resource})
		}
	}
	return changed, gone
}

// IngestedRun is what a report changed, for IsHeartbeat.
type IngestedRun struct {
	Changes   int
	Status    string
	Input     string // the input's hash
	LastInput string // the previous run's
	// TailoringChanged is whether the host's tailoring differs from the
	// one it reported last.
	TailoringChanged bool
	At, LastSeen     time.Time // LastSeen is zero before the first report
	Interval         int
}

// IsHeartbeat says whether a run changed nothing: no result, the same
// input as the run before, status ok, the same tailoring, and on time.
// Past the run retention only heartbeats are deleted (coverage keeps that
// the host reported).
func (r IngestedRun) IsHeartbeat() bool {
	return r.Changes == 0 && r.Status == "ok" && r.Input != "" && r.Input == r.LastInput && !r.TailoringChanged &&
		!r.LastSeen.IsZero() && r.At.Sub(r.LastSeen) <= (&Agent{Interval: r.Interval}).Grace()
}
