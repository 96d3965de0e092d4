package flow

import (
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
)

// Schedule shapes how often Jenkins is asked about the queue and the build.
type Schedule struct {
	// Initial is the first wait, and the wait while output flows.
	Initial time.Duration
	// Max caps every wait, which bounds how late a finished build is
	// noticed.
	Max time.Duration
	// Multiplier grows the wait while nothing changes.
	Multiplier float64
}

// DefaultSchedule polls fast at first and while the build writes output,
// and backs off to Max while it is quiet.
var DefaultSchedule = Schedule{Initial: 500 * time.Millisecond, Max: 5 * time.Second, Multiplier: 1.5}

func (s Schedule) backOff(c clock.Clock) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = s.Initial
	b.MaxInterval = s.Max
	b.Multiplier = s.Multiplier
	b.RandomizationFactor = 0
	b.MaxElapsedTime = 0
	b.Clock = c
	b.Reset()
	return b
}

// queue returns the schedule for polling a queue item. Its cap stays far
// below the five minutes a left item is kept, so none expires unseen.
func (s Schedule) queue(c clock.Clock) backoff.BackOff { return s.backOff(c) }

// pacer schedules the polls of a running build.
type pacer struct {
	b     *backoff.ExponentialBackOff
	s     Schedule
	clock clock.Clock
	// end is when the build is expected to finish, from Jenkins' estimate;
	// zero when there is none.
	end time.Time
	// overdue is set once end has passed and the schedule was reset for it.
	overdue bool
}

// pacer starts a schedule for a build expected to finish in remaining
// (zero or less: no estimate).
func (s Schedule) pacer(c clock.Clock, remaining time.Duration) *pacer {
	p := &pacer{b: s.backOff(c), s: s, clock: c}
	if remaining > 0 {
		p.end = c.Now().Add(remaining)
	}
	return p
}

// next returns the wait before the next poll. Fresh output means the build
// is busy, so the schedule goes back to fast; near the expected end it
// never waits past that end.
func (p *pacer) next(output bool) time.Duration {
	if output {
		p.b.Reset()
	}
	now := p.clock.Now()
	if !p.end.IsZero() && !p.overdue && !now.Before(p.end) {
		p.overdue = true
		p.b.Reset()
	}
	d := p.b.NextBackOff()
	if !p.end.IsZero() && now.Before(p.end) {
		if left := p.end.Sub(now); d > left {
			d = max(left, p.s.Initial)
		}
	}
	return d
}
