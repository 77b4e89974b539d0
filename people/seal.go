package people

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/store"
)

var sealer = vigil.Actor{Name: "people", Role: vigil.RoleOwner}

// Job seals, every hour, each policy's acknowledgement roster and the
// offboarding log when they changed since their last seal.
func (s *Service) Job() scheduler.Job {
	return scheduler.Job{Name: "seal-people", Every: time.Hour, Run: s.Seal}
}

// ackRosterRecord is what the ledger keeps of a policy's roster on a day.
type ackRosterRecord struct {
	Policy   string                `json:"policy"`
	Title    string                `json:"title"`
	Version  int                   `json:"version_in_force"`
	Required int                   `json:"version_required"`
	SHA256   string                `json:"text_sha256"`
	Day      string                `json:"day"`
	People   []vigil.AckRosterLine `json:"people"`
}

// offboardingRecord is what the ledger keeps of the offboarding log.
type offboardingRecord struct {
	Day       string                  `json:"day"`
	Items     []vigil.OffboardingItem `json:"items"`
	Unmatched []string                `json:"leavers_without_accounts"`
}

// Seal seals each roster and the log that differs from its last seal, as
// evidence of GV-02 and HR-07 (when adopted), answering their evidence
// requests so that a reviewer accepting one fulfils its period. The hash
// compared leaves out the day, so an unchanged roster is not sealed again
// every day. Idempotent.
func (s *Service) Seal(ctx context.Context) error {
	if s.Evidence == nil {
		return nil
	}
	ctx = vigil.WithActor(ctx, sealer)
	day := s.now().UTC().Format(time.DateOnly)
	if ok, err := s.Store.ControlExists(ctx, vigil.AckControl); err != nil {
		return err
	} else if ok {
		reqs, err := s.Store.AckRequirements(ctx)
		if err != nil {
			return err
		}
		for i := range reqs {
			ro, err := s.AckRoster(ctx, reqs[i].PolicyID)
			if err != nil {
				return err
			}
			rec := ackRosterRecord{Policy: reqs[i].Key, Title: reqs[i].Title, Version: reqs[i].Current, Required: reqs[i].Number, SHA256: reqs[i].SHA256, People: ro.People}
			title := fmt.Sprintf("%s %s: acknowledgement roster on %s (%d acknowledged, %d due, %d overdue)", reqs[i].Key, reqs[i].Title, day, ro.Done, ro.Due, ro.Overdue)
			name := fmt.Sprintf("%s-acknowledgements-%s.json", strings.ToLower(reqs[i].Key), day)
			if err := s.sealOne(ctx, "acks:"+reqs[i].Key, vigil.AckControl, day, title, name, &rec, func() { rec.Day = day }); err != nil {
				return err
			}
		}
	}
	if ok, err := s.Store.ControlExists(ctx, vigil.OffboardingControl); err != nil {
		return err
	} else if ok {
		o, err := s.Offboarding(ctx)
		if err != nil {
			return err
		}
		rec := offboardingRecord{Items: o.Items, Unmatched: []string{}}
		for _, p := range o.Unmatched {
			rec.Unmatched = append(rec.Unmatched, p.Email+" (last day "+string(p.End)+")")
		}
		if len(rec.Items) > 0 || len(rec.Unmatched) > 0 {
			exc := 0
			for _, it := range o.Items {
				if it.Exception() {
					exc++
				}
			}
			title := fmt.Sprintf("Offboarding log on %s (%d accounts of leavers, %d exceptions)", day, len(o.Items), exc)
			if err := s.sealOne(ctx, "offboarding", vigil.OffboardingControl, day, title, "offboarding-"+day+".json", &rec, func() { rec.Day = day }); err != nil {
				return err
			}
		}
	}
	return nil
}

// sealOne seals rec under subject unless its content (without the day)
// is what was sealed last.
func (s *Service) sealOne(ctx context.Context, subject, control, day, title, name string, rec any, dated func()) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	last, err := s.Store.LastPeopleSeal(ctx, subject)
	if err != nil {
		return err
	}
	if last != nil && last.SHA256 == hash {
		return nil
	}
	dated()
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	id, err := s.sealJSON(ctx, control, title, name, day, day, b)
	if err != nil {
		return err
	}
	return s.Store.AddPeopleSeal(ctx, store.PeopleSeal{Subject: subject, Day: day, SHA256: hash, EvidenceID: id})
}

// sealJSON seals a roster or log (JSON, personal data: restricted) as
// evidence of control over start..end, answering the control's evidence
// requests so that a reviewer accepting it fulfils their period.
func (s *Service) sealJSON(ctx context.Context, control, title, name, start, end string, b []byte) (int64, error) {
	reqs, err := s.Store.Requests(ctx, control)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	ev, err := s.Evidence.Upload(ctx, evidence.Meta{Restricted: true, Source: vigil.SourceReview, Title: title, Filename: name, MediaType: "application/json",
		EffectiveStart: vigil.Date(start), EffectiveEnd: vigil.Date(end), Controls: []string{control}, Requests: ids, DeclaredSize: int64(len(b))}, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	return ev.ID, nil
}
