package people

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/scheduler"
)

// Mailer sends one plain-text message (mail.Config in the server).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// reminderSenders bounds the mails in flight at once: enough to get
// through a company's digests in a few seconds, few enough that the mail
// server does not see a burst.
const reminderSenders = 4

var reminderActor = vigil.Actor{Name: "reminders", Role: vigil.RoleOwner}

// RemindJob sends, every hour, the acknowledgement digests that are due
// (DefaultReminderEvery after each person's last). Without mail there is
// nothing to do: the roster page says reminders are off.
func (s *Service) RemindJob() scheduler.Job {
	return scheduler.Job{Name: "remind-acks", Every: time.Hour, Run: func(ctx context.Context) error {
		if s.Mailer == nil {
			return nil
		}
		_, err := s.RemindAcks(vigil.WithActor(ctx, reminderActor), 0, false)
		return err
	}}
}

// RemindersOn reports whether reminders can be sent.
func (s *Service) RemindersOn() bool { return s.Mailer != nil }

// RemindAcks mails each person in scope with policies to acknowledge one
// digest of them (with policyID not 0, only people who have that policy
// pending). On the schedule a person hears at most once every
// ReminderEvery; asked by hand (manual), anyone not reminded in the last
// day. Each mail is claimed before it is sent, so a click racing the
// schedule, or another replica, never sends the same reminder twice. A
// failed mail is recorded with its error and tried again on the next run.
func (s *Service) RemindAcks(ctx context.Context, policyID int64, manual bool) (*vigil.ReminderRun, error) {
	if s.Mailer == nil {
		return nil, vigil.Errorf(vigil.EINVALID, "mail is not configured: start vigil serve with --smtp-addr and --base-url to send reminders")
	}
	reqs, err := s.Store.AckRequirements(ctx)
	if err != nil {
		return nil, err
	}
	if policyID != 0 && !hasRequirement(reqs, policyID) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "policy %d has no version in force", policyID)
	}
	people, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	last, err := s.Store.LastReminders(ctx, vigil.ReminderAcks)
	if err != nil {
		return nil, err
	}
	gap := s.reminderEvery()
	if manual {
		gap = vigil.ManualReminderGap
	}
	now := s.now()
	var due []vigil.AckReminder
	if err := s.withLatest(ctx, func(latest func(int64, string) *vigil.PolicyAck) error {
		due = vigil.AckRemindersDue(reqs, people, latest, last, policyID, gap, now)
		return nil
	}); err != nil {
		return nil, err
	}
	run := &vigil.ReminderRun{}
	if len(due) == 0 {
		return run, nil
	}
	org := "Your organization"
	if o, err := s.Store.Organization(ctx); err == nil && o.Name != "" {
		org = o.Name
	}
	by := vigil.ActorFrom(ctx).UserID
	var mu sync.Mutex
	work := make(chan *vigil.AckReminder)
	var wg sync.WaitGroup
	for range min(reminderSenders, len(due)) {
		wg.Go(func() {
			for d := range work {
				err := s.remindOne(ctx, d, org, by)
				mu.Lock()
				switch {
				case err == nil:
					run.Sent++
				case vigil.ErrorCode(err) == vigil.ECONFLICT:
					run.Skipped++
				default:
					run.Failed++
					if len(run.Errors) < 10 {
						run.Errors = append(run.Errors, err.Error())
					}
				}
				mu.Unlock()
			}
		})
	}
	for i := range due {
		if ctx.Err() != nil {
			break
		}
		work <- &due[i]
	}
	close(work)
	wg.Wait()
	// The round's entry is written even when the request was cancelled
	// midway: what went out must be on the record.
	if run.Sent+run.Failed > 0 {
		if err := s.Store.LogReminderRun(context.WithoutCancel(ctx), vigil.ReminderAcks, policyID, run); err != nil {
			return run, err
		}
	}
	return run, nil
}

// remindOne claims, sends and records one digest.
func (s *Service) remindOne(ctx context.Context, d *vigil.AckReminder, org string, by int64) error {
	r := &vigil.Reminder{Kind: vigil.ReminderAcks, Email: d.Email, Items: d.Items(), By: by, At: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.Store.ClaimReminder(ctx, r, d.After); err != nil {
		return err
	}
	subject, body := ackReminderMail(d, org, s.BaseURL, s.reminderEvery())
	sendErr := s.Mailer.Send(ctx, d.Email, subject, body)
	msg := ""
	if sendErr != nil {
		msg = sendErr.Error()
	}
	// Recorded even when ctx is done: the mail may have gone.
	if err := s.Store.FinishReminder(context.WithoutCancel(ctx), r.ID, msg); err != nil {
		return err
	}
	if sendErr != nil {
		return fmt.Errorf("reminder to %s: %w", d.Email, sendErr)
	}
	return nil
}

func (s *Service) reminderEvery() time.Duration {
	if s.ReminderEvery > 0 {
		return s.ReminderEvery
	}
	return vigil.DefaultReminderEvery
}

func hasRequirement(reqs []vigil.AckRequirement, policyID int64) bool {
	for i := range reqs {
		if reqs[i].PolicyID == policyID {
			return true
		}
	}
	return false
}

// ackReminderMail is the digest's subject and text.
func ackReminderMail(d *vigil.AckReminder, org, baseURL string, every time.Duration) (subject, body string) {
	overdue := 0
	for _, p := range d.Policies {
		if p.State == vigil.AckOverdue {
			overdue++
		}
	}
	subject = fmt.Sprintf("%s: %d %s to acknowledge", org, len(d.Policies), vigil.Plural(len(d.Policies), "policy", "policies"))
	if overdue > 0 {
		subject += fmt.Sprintf(" (%d overdue)", overdue)
	}
	var b strings.Builder
	name := d.Name
	if name == "" {
		name = d.Email
	}
	fmt.Fprintf(&b, "Hello %s,\n\n%s asks everyone in scope to read and acknowledge its security policies. These are waiting for you:\n\n", name, org)
	for _, p := range d.Policies {
		when := "due by " + p.Due.UTC().Format(time.DateOnly)
		if p.State == vigil.AckOverdue {
			when = "overdue since " + p.Due.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(&b, "  - %s %s (version %d): %s\n", p.Key, p.Title, p.Current, when)
	}
	if baseURL != "" {
		fmt.Fprintf(&b, "\nOpen %s/tasks to read and acknowledge them.\n", strings.TrimRight(baseURL, "/"))
	} else {
		b.WriteString("\nSign in to Vigil and open My tasks to read and acknowledge them.\n")
	}
	days := max(1, int(every.Round(24*time.Hour)/(24*time.Hour)))
	fmt.Fprintf(&b, "\nVigil sends this reminder while acknowledgements are pending, at most once every %d %s.\n", days, vigil.Plural(days, "day", "days"))
	return subject, b.String()
}
