package vigil

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// t0 is a fixed instant the monitoring tests count minutes from.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func tr(min int, verdict, reason string) Transition {
	return Transition{AgentID: 1, CheckID: "linux.x", Resource: "r", Verdict: verdict, Reason: reason, At: at(min)}
}

func cov(start, end int) Coverage { return Coverage{Start: at(start), End: at(end)} }

// show renders intervals as "start-end:state" in minutes from t0, so that a
// failure shows the whole timeline.
func show(ivs []Interval) string {
	var parts []string
	for _, iv := range ivs {
		parts = append(parts, fmt.Sprintf("%d-%d:%s", int(iv.Start.Sub(t0).Minutes()), int(iv.End.Sub(t0).Minutes()), iv.State))
	}
	return strings.Join(parts, " ")
}

// wellFormed checks that intervals tile [from, to) exactly, in order, with
// no empty interval and no two equal neighbours left unmerged.
func wellFormed(t *testing.T, ivs []Interval, from, to time.Time, mergedByReason bool) {
	t.Helper()
	if len(ivs) == 0 {
		t.Fatalf("no intervals for a non-empty window")
	}
	if !ivs[0].Start.Equal(from) || !ivs[len(ivs)-1].End.Equal(to) {
		t.Fatalf("intervals %s do not span the window", show(ivs))
	}
	for i, iv := range ivs {
		if !iv.Start.Before(iv.End) {
			t.Fatalf("empty or backwards interval %d in %s", i, show(ivs))
		}
		if i > 0 {
			p := ivs[i-1]
			if !p.End.Equal(iv.Start) {
				t.Fatalf("gap or overlap before interval %d in %s", i, show(ivs))
			}
			if p.State == iv.State && (!mergedByReason || p.Reason == iv.Reason) {
				t.Fatalf("equal neighbours %d and %d not merged in %s", i-1, i, show(ivs))
			}
		}
	}
}

func TestResultIntervals(t *testing.T) {
	grace := 10 * time.Minute
	cases := []struct {
		name     string
		ts       []Transition
		cov      []Coverage
		from, to int
		want     string
	}{
		{
			name: "state_from_latest_transition",
			ts:   []Transition{tr(0, "pass", ""), tr(30, "fail", "root may sign in"), tr(45, "pass", "")},
			cov:  []Coverage{cov(0, 60)}, from: 0, to: 60,
			want: "0-30:passing 30-45:failing 45-60:passing",
		},
		{
			name: "unknown_before_first_transition",
			ts:   []Transition{tr(20, "pass", "")},
			cov:  []Coverage{cov(0, 60)}, from: 0, to: 60,
			want: "0-20:unknown 20-60:passing",
		},
		{
			name: "no_transitions_at_all",
			cov:  []Coverage{cov(0, 60)}, from: 0, to: 60,
			want: "0-60:unknown",
		},
		{
			name: "no_coverage_at_all_is_unknown_not_pass",
			ts:   []Transition{tr(0, "pass", "")},
			from: 0, to: 60,
			want: "0-60:unknown",
		},
		{
			name: "coverage_vouches_for_grace_after_last_report",
			ts:   []Transition{tr(0, "pass", "")},
			cov:  []Coverage{cov(0, 30)}, from: 0, to: 60,
			want: "0-40:passing 40-60:unknown",
		},
		{
			name: "gap_beyond_grace_is_unknown_never_pass",
			ts:   []Transition{tr(0, "pass", "")},
			cov:  []Coverage{cov(0, 20), cov(60, 90)}, from: 0, to: 100,
			want: "0-30:passing 30-60:unknown 60-100:passing",
		},
		{
			name: "gap_while_failing_is_unknown",
			ts:   []Transition{tr(0, "fail", "bad")},
			cov:  []Coverage{cov(0, 20), cov(60, 90)}, from: 0, to: 100,
			want: "0-30:failing 30-60:unknown 60-100:failing",
		},
		{
			name: "change_inside_a_gap_shows_after_the_gap",
			ts:   []Transition{tr(0, "pass", ""), tr(60, "fail", "bad")},
			cov:  []Coverage{cov(0, 20), cov(60, 90)}, from: 0, to: 100,
			want: "0-30:passing 30-60:unknown 60-100:failing",
		},
		{
			name: "window_clips_and_earlier_transition_sets_state",
			ts:   []Transition{tr(-500, "fail", "bad"), tr(-100, "pass", "")},
			cov:  []Coverage{cov(-600, 200)}, from: 0, to: 60,
			want: "0-60:passing",
		},
		{
			name: "window_starts_before_coverage_and_ends_after",
			ts:   []Transition{tr(0, "pass", "")},
			cov:  []Coverage{cov(0, 30)}, from: -60, to: 120,
			want: "-60-0:unknown 0-40:passing 40-120:unknown",
		},
		{
			name: "transitions_after_window_ignored",
			ts:   []Transition{tr(0, "pass", ""), tr(90, "fail", "later")},
			cov:  []Coverage{cov(0, 200)}, from: 0, to: 60,
			want: "0-60:passing",
		},
		{
			name: "coverage_before_window_ignored",
			ts:   []Transition{tr(0, "pass", "")},
			cov:  []Coverage{cov(-300, -200), cov(50, 200)}, from: 0, to: 100,
			want: "0-50:unknown 50-100:passing",
		},
		{
			name: "overlapping_stretches_merge",
			ts:   []Transition{tr(0, "pass", "")},
			cov:  []Coverage{cov(0, 20), cov(25, 50)}, from: 0, to: 60,
			want: "0-60:passing",
		},
		{
			name: "unsorted_coverage",
			ts:   []Transition{tr(0, "pass", "")},
			cov:  []Coverage{cov(60, 90), cov(0, 20)}, from: 0, to: 100,
			want: "0-30:passing 30-60:unknown 60-100:passing",
		},
		{
			name: "repeated_equal_verdict_merged",
			ts:   []Transition{tr(0, "pass", ""), tr(10, "pass", ""), tr(20, "pass", "")},
			cov:  []Coverage{cov(0, 60)}, from: 0, to: 60,
			want: "0-60:passing",
		},
		{
			name: "error_is_unknown_and_na_and_skip",
			ts:   []Transition{tr(0, "error", "collector failed"), tr(10, "not_applicable", ""), tr(20, "skip", ""), tr(30, "pass", "")},
			cov:  []Coverage{cov(0, 60)}, from: 0, to: 60,
			want: "0-10:unknown 10-30:not_applicable 30-60:passing",
		},
		{
			name: "removed_resource_is_absent",
			ts:   []Transition{tr(0, "fail", "bad"), tr(30, "", "")},
			cov:  []Coverage{cov(0, 60)}, from: 0, to: 60,
			want: "0-30:failing 30-60:absent",
		},
		{
			name: "transition_exactly_at_window_start",
			ts:   []Transition{tr(0, "pass", ""), tr(30, "fail", "bad")},
			cov:  []Coverage{cov(0, 60)}, from: 30, to: 60,
			want: "30-60:failing",
		},
		{
			name: "transition_exactly_at_window_end_not_shown",
			ts:   []Transition{tr(0, "pass", ""), tr(60, "fail", "bad")},
			cov:  []Coverage{cov(0, 100)}, from: 0, to: 60,
			want: "0-60:passing",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from, to := at(tc.from), at(tc.to)
			got := ResultIntervals(tc.ts, tc.cov, grace, from, to)
			if s := show(got); s != tc.want {
				t.Fatalf("intervals\n got %s\nwant %s", s, tc.want)
			}
			wellFormed(t, got, from, to, true)
		})
	}
}

func TestResultIntervalsReasons(t *testing.T) {
	ts := []Transition{tr(0, "fail", "root may sign in"), tr(20, "fail", "root may sign in with a key"), tr(40, "pass", "")}
	got := ResultIntervals(ts, []Coverage{cov(0, 50)}, 10*time.Minute, at(-10), at(70))
	want := []struct {
		state  IntervalState
		reason string
	}{
		{StateUnknown, "no report from the host in this time"},
		{StateFailing, "root may sign in"},
		{StateFailing, "root may sign in with a key"}, // a new reason is its own interval
		{StatePassing, ""},
		{StateUnknown, "no report from the host in this time"},
	}
	if len(got) != len(want) {
		t.Fatalf("intervals %s, want %d", show(got), len(want))
	}
	for i, w := range want {
		if got[i].State != w.state || got[i].Reason != w.reason {
			t.Errorf("interval %d: %s %q, want %s %q", i, got[i].State, got[i].Reason, w.state, w.reason)
		}
	}
	// Before the first result, while reporting: unknown, saying why.
	got = ResultIntervals([]Transition{tr(30, "pass", "")}, []Coverage{cov(0, 60)}, 0, at(0), at(60))
	if got[0].State != StateUnknown || got[0].Reason != "no result yet" {
		t.Fatalf("before the first result: %+v", got[0])
	}
}

func iv(start, end int, st IntervalState) Interval {
	return Interval{Start: at(start), End: at(end), State: st}
}

func TestCombine(t *testing.T) {
	cases := []struct {
		name  string
		parts [][]Interval
		want  string
	}{
		{
			name: "fail_beats_unknown_beats_pass_beats_na",
			parts: [][]Interval{
				{iv(0, 10, StatePassing), iv(10, 20, StatePassing), iv(20, 30, StatePassing), iv(30, 40, StateNotApplicable)},
				{iv(0, 10, StateNotApplicable), iv(10, 20, StateUnknown), iv(20, 30, StateFailing), iv(30, 40, StateNotApplicable)},
				{iv(0, 10, StatePassing), iv(10, 20, StatePassing), iv(20, 30, StateUnknown), iv(30, 40, StateNotApplicable)},
			},
			want: "0-10:passing 10-20:unknown 20-30:failing 30-40:not_applicable",
		},
		{
			name: "absent_ignored",
			parts: [][]Interval{
				{iv(0, 20, StateFailing), iv(20, 40, StateAbsent)},
				{iv(0, 40, StatePassing)},
			},
			want: "0-20:failing 20-40:passing",
		},
		{
			name:  "only_absent_is_unknown",
			parts: [][]Interval{{iv(0, 20, StatePassing), iv(20, 40, StateAbsent)}},
			want:  "0-20:passing 20-40:unknown",
		},
		{
			name:  "nothing_is_unknown",
			parts: nil,
			want:  "0-40:unknown",
		},
		{
			name:  "parts_not_spanning_window_leave_unknown",
			parts: [][]Interval{{iv(10, 20, StatePassing)}},
			want:  "0-10:unknown 10-20:passing 20-40:unknown",
		},
		{
			name: "different_cuts_merge_equal_neighbours",
			parts: [][]Interval{
				{iv(0, 15, StatePassing), iv(15, 40, StateNotApplicable)},
				{iv(0, 25, StatePassing), iv(25, 40, StatePassing)},
			},
			want: "0-40:passing",
		},
		{
			name:  "clipped_to_window",
			parts: [][]Interval{{iv(-30, 10, StateFailing), iv(10, 90, StatePassing)}},
			want:  "0-10:failing 10-40:passing",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Combine(at(0), at(40), tc.parts...)
			if s := show(got); s != tc.want {
				t.Fatalf("combined\n got %s\nwant %s", s, tc.want)
			}
			wellFormed(t, got, at(0), at(40), false)
		})
	}
	// The reason comes from the part in the worst state.
	got := Combine(at(0), at(10),
		[]Interval{{Start: at(0), End: at(10), State: StatePassing}},
		[]Interval{{Start: at(0), End: at(10), State: StateFailing, Reason: "root may sign in"}},
		[]Interval{{Start: at(0), End: at(10), State: StateUnknown, Reason: "collector failed"}})
	if len(got) != 1 || got[0].State != StateFailing || got[0].Reason != "root may sign in" {
		t.Fatalf("combined %+v, want failing with the failure's reason", got)
	}
}

func TestCombineOfResultIntervals(t *testing.T) {
	// Two resources of one check on one host, with a gap in reports.
	c := []Coverage{cov(0, 20), cov(60, 90)}
	a := ResultIntervals([]Transition{tr(0, "pass", "")}, c, 10*time.Minute, at(0), at(100))
	b := ResultIntervals([]Transition{tr(0, "pass", ""), tr(70, "fail", "bad")}, c, 10*time.Minute, at(0), at(100))
	got := Combine(at(0), at(100), a, b)
	if s := show(got); s != "0-30:passing 30-60:unknown 60-70:passing 70-100:failing" {
		t.Fatalf("combined %s", s)
	}
}

func TestShare(t *testing.T) {
	sh := Share([]Interval{iv(0, 30, StatePassing), iv(30, 40, StateFailing), iv(40, 60, StateUnknown), iv(60, 120, StatePassing)})
	want := map[IntervalState]float64{StatePassing: 0.75, StateFailing: 10.0 / 120, StateUnknown: 20.0 / 120}
	if len(sh) != len(want) {
		t.Fatalf("share %v, want %v", sh, want)
	}
	var sum float64
	for k, w := range want {
		if math.Abs(sh[k]-w) > 1e-9 {
			t.Errorf("share of %s: %v, want %v", k, sh[k], w)
		}
		sum += sh[k]
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares sum to %v", sum)
	}
	if sh := Share(nil); len(sh) != 0 {
		t.Errorf("share of nothing: %v, want empty", sh)
	}
}

func TestFixTimes(t *testing.T) {
	cases := []struct {
		name string
		ts   []Transition
		want []time.Duration
	}{
		{"none", nil, nil},
		{"never_failed", []Transition{tr(0, "pass", ""), tr(10, "pass", "x")}, nil},
		{"one_fix", []Transition{tr(0, "pass", ""), tr(10, "fail", "bad"), tr(70, "pass", "")}, []time.Duration{time.Hour}},
		{"open_failure_not_counted", []Transition{tr(0, "fail", "bad")}, nil},
		{"fixed_then_open", []Transition{tr(0, "fail", "bad"), tr(30, "pass", ""), tr(40, "fail", "bad")}, []time.Duration{30 * time.Minute}},
		{"reason_change_keeps_first_failure", []Transition{tr(0, "fail", "a"), tr(20, "fail", "b"), tr(50, "pass", "")}, []time.Duration{50 * time.Minute}},
		{"error_while_failing_keeps_the_failure", []Transition{tr(0, "fail", "a"), tr(20, "error", "x"), tr(45, "pass", "")}, []time.Duration{45 * time.Minute}},
		{"two_fixes", []Transition{tr(0, "fail", "a"), tr(5, "pass", ""), tr(10, "fail", "a"), tr(30, "pass", "")}, []time.Duration{5 * time.Minute, 20 * time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FixTimes(tc.ts)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("FixTimes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAgentStaleGraceCompliance(t *testing.T) {
	now := t0
	seen := func(d time.Duration) *time.Time { x := now.Add(-d); return &x }
	a := Agent{Interval: 60}
	if g := a.Grace(); g != 3*time.Minute {
		t.Fatalf("grace at 60 s: %v, want 3m", g)
	}
	if !a.Stale(now) {
		t.Fatalf("an agent that never reported must be stale")
	}
	a.LastSeen = seen(3 * time.Minute)
	if a.Stale(now) {
		t.Fatalf("seen exactly one grace ago: stale, want fresh")
	}
	a.LastSeen = seen(3*time.Minute + time.Second)
	if !a.Stale(now) {
		t.Fatalf("seen just over one grace ago: fresh, want stale")
	}
	a.LastSeen = seen(0)
	if a.Stale(now) {
		t.Fatalf("seen now: stale")
	}
	for _, iv := range []int{0, -5} {
		if g := (&Agent{Interval: iv}).Grace(); g != 31*time.Minute {
			t.Errorf("grace for interval %d: %v, want 31m (15 min default)", iv, g)
		}
	}
	if g := (&Agent{Interval: 900}).Grace(); g != 31*time.Minute {
		t.Errorf("grace for 900 s: %v", g)
	}
	for _, tc := range []struct {
		a    Agent
		want int
	}{
		{Agent{}, -1},
		{Agent{NotApplicable: 5}, -1},
		{Agent{Pass: 3, Fail: 1}, 75},
		{Agent{Pass: 2, Error: 1}, 66},
		{Agent{Pass: 4, NotApplicable: 10}, 100},
		{Agent{Fail: 2}, 0},
	} {
		if got := tc.a.Compliance(); got != tc.want {
			t.Errorf("compliance of %+v: %d, want %d", tc.a, got, tc.want)
		}
	}
}
