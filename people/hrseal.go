package people

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/store"
)

// hrSealer is who seals the HR logs: the module itself, whoever's action
// led to it.
var hrSealer = vigil.Actor{Name: "people", Role: vigil.RoleOwner}

// The kinds of monthly HR record sealed into the ledger.
const (
	sealOnboarding = "onboarding"
	sealBackground = "background_checks"
)

// monthRecord is what the ledger keeps of one month's cohort of starters:
// their onboarding checklists (HR-06) or their background checks (HR-01),
// as they stood on Day.
type monthRecord struct {
	Kind    string `json:"kind"`
	Month   string `json:"month"`
	Control string `json:"control"`
	Day     string `json:"day"`
	Items   any    `json:"items"`
}

// backgroundLine is one starter on the background-check roster.
type backgroundLine struct {
	Email  string                `json:"email"`
	Name   string                `json:"name"`
	Start  vigil.Date            `json:"start_date"`
	State  vigil.OnboardingState `json:"state"`
	Record string                `json:"record,omitempty"`
	Reason string                `json:"reason"`
}

// HRJob seals, every hour, each month's onboarding log and
// background-check roster that changed since its last seal.
func (s *Service) HRJob() scheduler.Job {
	return scheduler.Job{Name: "seal-hr", Every: time.Hour, Run: s.SealHR}
}

// SealHR seals, for each month in the period with people who have
// started, the onboarding checklists of that month's starters (against
// HR-06) and their background checks (against HR-01), when the record
// differs from the last one sealed for that month. A control the
// organization has not adopted waits: the ledger links every item to a
// control. Idempotent.
func (s *Service) SealHR(ctx context.Context) error {
	if s.Evidence == nil {
		return nil
	}
	ctx = vigil.WithActor(ctx, hrSealer)
	h, err := s.loadHR(ctx)
	if err != nil {
		return err
	}
	today := h.now.UTC().Format(time.DateOnly)
	cohorts := map[string][]vigil.OnboardingChecklist{}
	for _, c := range h.checklists() {
		if c.Person.Start.Time().After(h.now) {
			continue // not started: nothing of theirs to keep yet
		}
		m := string(c.Person.Start)[:7]
		cohorts[m] = append(cohorts[m], c)
	}
	months := make([]string, 0, len(cohorts))
	for m := range cohorts {
		months = append(months, m)
	}
	slices.Sort(months)
	for _, month := range months {
		lists := cohorts[month]
		var roster []backgroundLine
		for _, c := range lists {
			for _, it := range c.Items {
				if it.Kind == vigil.OnboardBackground {
					roster = append(roster, backgroundLine{Email: c.Person.Email, Name: c.Person.Name, Start: c.Person.Start, State: it.State, Record: it.Record, Reason: it.Reason})
				}
			}
		}
		for _, k := range []struct {
			kind, ctl, what string
			items           any
		}{
			{sealOnboarding, vigil.OnboardingControl, "onboarding log", lists},
			{sealBackground, vigil.BackgroundCheckControl, "background-check roster", roster},
		} {
			if err := s.sealMonth(ctx, k.kind, k.ctl, k.what, month, today, k.items); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) sealMonth(ctx context.Context, kind, ctl, what, month, today string, items any) error {
	if ok, err := s.Store.ControlExists(ctx, ctl); err != nil || !ok {
		return err
	}
	// The hash is of the items alone: the same standing sealed on another
	// day is not a change.
	body, err := json.Marshal(items)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	last, err := s.Store.LastHRSeal(ctx, kind, month)
	if err != nil {
		return err
	}
	if last != nil && last.SHA256 == hash {
		return nil
	}
	b, err := json.MarshalIndent(monthRecord{Kind: kind, Month: month, Control: ctl, Day: today, Items: items}, "", "  ")
	if err != nil {
		return err
	}
	// The record speaks for the month, up to today.
	start, _ := time.Parse("2006-01", month)
	end := start.AddDate(0, 1, -1).Format(time.DateOnly)
	if end > today {
		end = today
	}
	id, err := s.sealJSON(ctx, ctl, fmt.Sprintf("%s of people who started in %s, on %s", what, month, today),
		fmt.Sprintf("%s-%s-%s.json", kind, month, today), start.Format(time.DateOnly), end, b)
	if err != nil {
		return err
	}
	return s.Store.AddHRSeal(ctx, store.HRSeal{Kind: kind, Month: month, SHA256: hash, EvidenceID: id})
}
