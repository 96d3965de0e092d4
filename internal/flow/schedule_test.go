package flow

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

var testSchedule = Schedule{Flow: time.Second, Near: 250 * time.Millisecond, Max: 12 * time.Second, Multiplier: 2}

const ms = time.Millisecond

func TestPacer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		remaining time.Duration // Jenkins' estimate of what is left; 0: none
		polls     string        // one poll each: x brought output, . did not
		want      []time.Duration
	}{
		{"quiet backs off to the cap", 0, ".......", []time.Duration{1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 12000 * ms, 12000 * ms, 12000 * ms}},
		{"flowing output is read every Flow", 0, "xxxx", []time.Duration{1000 * ms, 1000 * ms, 1000 * ms, 1000 * ms}},
		{"after a burst the backoff starts afresh", 0, "....xx...", []time.Duration{1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 1000 * ms, 1000 * ms, 1000 * ms, 2000 * ms, 4000 * ms}},
		{"a lone line is looked at again, then the quiet pace resumes", 0, ".....x...", []time.Duration{1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 12000 * ms, 1000 * ms, 12000 * ms, 12000 * ms, 12000 * ms}},
		{"never past the expected end, dense just after it", 20 * time.Second, ".........", []time.Duration{1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 5000 * ms, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms}},
		{"late polls back off to the cap", 1 * time.Second, "........", []time.Duration{1000 * ms, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 12000 * ms}},
		{"a wait ending just short of the end is stretched to it", 7200 * ms, "....", []time.Duration{1000 * ms, 2000 * ms, 4200 * ms, 250 * ms}},
		{"but never beyond the cap", 27100 * ms, "......", []time.Duration{1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 12000 * ms, 100 * ms}},
		{"flowing output near the end", 2500 * ms, "xxxxx", []time.Duration{1000 * ms, 1000 * ms, 500 * ms, 250 * ms, 500 * ms}},
		{"late output is read every Flow", 500 * ms, "xxxxxx", []time.Duration{500 * ms, 250 * ms, 500 * ms, 1000 * ms, 1000 * ms, 1000 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := testSchedule.pacer(tt.remaining)
				var got []time.Duration
				for _, c := range tt.polls {
					d := p.next(c == 'x')
					got = append(got, d)
					time.Sleep(d)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("waits %v, want %v", got, tt.want)
				}
			})
		})
	}
}

func TestQueuePacer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dues []time.Duration // per poll: how long until the quiet period ends; 0: not in one
		want []time.Duration
	}{
		{"a quiet period is waited out, with the slack of Date's whole seconds", []time.Duration{5000 * ms}, []time.Duration{5500 * ms}},
		{"a long quiet period is polled at the cap", []time.Duration{60 * time.Second}, []time.Duration{12000 * ms}},
		{"waiting for an executor backs off from twice Flow to the cap", []time.Duration{5000 * ms, 0, 0, 0, 0, 0}, []time.Duration{5500 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 12000 * ms, 12000 * ms}},
		{"a new quiet period starts the backoff afresh", []time.Duration{0, 0, 0, 3000 * ms, 0}, []time.Duration{2000 * ms, 4000 * ms, 8000 * ms, 3500 * ms, 2000 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := testSchedule.queue()
			var got []time.Duration
			for _, due := range tt.dues {
				got = append(got, q.next(due))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("waits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJenkinsClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// date was read at now-ago; then is when, on Jenkins' clock.
		date time.Time
		ago  time.Duration
		then time.Time
		want time.Duration
	}{
		{"from the middle of Jenkins' second", now.Add(-time.Hour), 0, now.Add(-time.Hour + 10*time.Second), 9500 * ms},
		{"without a Date, on our clock", time.Time{}, 0, now.Add(10 * time.Second), 10 * time.Second},
		{"in the past", now, 0, now.Add(-time.Second), -1500 * ms},
		{"counting the time since the answer", now.Add(-time.Hour), 4 * time.Second, now.Add(-time.Hour + 10*time.Second), 5500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var j jenkinsClock
			j.saw(tt.date, now.Add(-tt.ago))
			if got := j.until(tt.then.UnixMilli(), now); got != tt.want {
				t.Errorf("until = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSharedBy: consoles read at once share the step's polls while they
// grow; the waits around the expected end stay.
func TestSharedBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		consoles int
		flow     time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{3, time.Second},
		{4, 1200 * ms},
		{5, 1500 * ms},
		{20, 6 * time.Second},
		{100, 12 * time.Second},
	}
	for _, tt := range tests {
		if got := testSchedule.sharedBy(tt.consoles).flow(); got != tt.flow {
			t.Errorf("sharedBy(%d).flow() = %v, want %v", tt.consoles, got, tt.flow)
		}
	}
}
