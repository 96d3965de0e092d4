package flow

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Schedule shapes how often Jenkins is asked about a queue item and a build.
// Every poll costs Jenkins a request and every wait delays what the user
// sees, so the waits follow what is likely to change: short while the
// console grows and around the build's expected end, growing while nothing
// happens, never longer than Max.
type Schedule struct {
	// Flow is the wait while the console grows, so that lines appear about
	// this long after Jenkins writes them; it is also the first wait of a
	// quiet spell.
	Flow time.Duration
	// Near is the first wait once a build is due to end by Jenkins'
	// estimatedDuration.
	Near time.Duration
	// Max caps every wait: it bounds how late an unexpected end, or a
	// start, is noticed.
	Max time.Duration
	// Multiplier grows the wait while nothing changes.
	Multiplier float64
	// consoles is how many consoles the step reads at once (sharedBy).
	consoles int
}

// defaultSchedule shows flowing console lines within about a second, and
// notices a build that ends when Jenkins expects within half a second:
// Jenkins tells its time to the second, so the expected end is known to a
// second, which a poll in its middle and one at its end cover. Otherwise
// it asks at most every 12 s, about fifty times for a quiet ten minutes.
var defaultSchedule = Schedule{Flow: time.Second, Near: 500 * time.Millisecond, Max: 12 * time.Second, Multiplier: 2}

// consoleShare is the time each console followed at once takes of the
// step's polls while they grow.
const consoleShare = 300 * time.Millisecond

// sharedBy is the schedule of each of n builds whose consoles the step
// reads at once: while they all grow, the step reads about one console
// every consoleShare however many it follows, and shows their lines a
// little later. The waits around a build's expected end are kept, so that
// its end is noticed as soon as a lone build's, and so are the queue's.
func (s Schedule) sharedBy(n int) Schedule {
	s.consoles = n
	return s
}

// flow is the wait while a console grows: Flow, or longer when consoles
// share the step's polls.
func (s Schedule) flow() time.Duration {
	return min(max(s.Flow, time.Duration(s.consoles)*consoleShare), s.Max)
}

// dateResolution is the precision of Jenkins' clock as its Date header
// tells it.
const dateResolution = time.Second

func (s Schedule) backOff(initial time.Duration) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.MaxInterval = s.Max
	b.Multiplier = s.Multiplier
	b.RandomizationFactor = 0
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// queuePacer schedules the polls of a queue item. Its cap stays far below
// the five minutes a left item is kept, so none expires unseen.
type queuePacer struct {
	s Schedule
	b *backoff.ExponentialBackOff
}

// queue starts a schedule for a queue item. An item not started when its
// quiet period is over waits for an executor, usually for long, so its
// backoff starts a step later than a quiet console's.
func (s Schedule) queue() *queuePacer {
	return &queuePacer{s: s, b: s.backOff(time.Duration(float64(s.Flow) * s.Multiplier))}
}

// next returns the wait before the next poll of an item whose quiet period
// ends in about due (zero or less: not in one). Nothing happens to an item
// in its quiet period, so the next poll comes once it has surely ended.
func (q *queuePacer) next(due time.Duration) time.Duration {
	if due > 0 {
		q.b.Reset()
		return min(due+dateResolution/2, q.s.Max)
	}
	return q.b.NextBackOff()
}

// pacer schedules the polls of a running build.
type pacer struct {
	s     Schedule
	quiet *backoff.ExponentialBackOff
	// busy is set when the latest poll brought output.
	busy bool
	// end is when the build is expected to finish by Jenkins' estimate, on
	// our clock; zero when there is none.
	end time.Time
	// late paces the polls once end has passed; nil until then.
	late *backoff.ExponentialBackOff
}

// pacer starts a schedule for a build expected to finish in remaining
// (zero or less: no estimate).
func (s Schedule) pacer(remaining time.Duration) *pacer {
	p := &pacer{s: s, quiet: s.backOff(s.flow())}
	if remaining > 0 {
		p.end = time.Now().Add(remaining)
	}
	return p
}

// next returns the wait before the next poll, given whether the latest one
// brought output.
func (p *pacer) next(output bool) time.Duration {
	var d time.Duration
	switch {
	case output && p.busy:
		// Output poll after poll: keep up with it, and start backing off
		// afresh once it stops.
		p.quiet.Reset()
		d = p.s.flow()
	case output:
		// A line after a quiet spell may open a burst: look again soon, and
		// go back to the quiet pace if it does not.
		d = p.s.flow()
	default:
		d = p.quiet.NextBackOff()
	}
	p.busy = output
	return p.aim(d)
}

// aim fits a wait to the build's expected end: it never sleeps past it,
// stretches a wait that would end just short of it, and polls densely just
// after it, when a build that runs about as long as usual ends.
func (p *pacer) aim(d time.Duration) time.Duration {
	if p.end.IsZero() {
		return d
	}
	left := time.Until(p.end)
	if left > 0 {
		if left-d < p.s.Near && left <= p.s.Max {
			return left
		}
		return d
	}
	if p.late == nil {
		p.late = p.s.backOff(p.s.Near)
	}
	return min(d, p.late.NextBackOff())
}

// jenkinsClock tells Jenkins' time from the Date of its latest answer: Date
// has whole seconds, so the middle of the second it names is the best
// guess, and our clock tells how long ago the answer came. Each answer
// carries its own Date, so builds followed at once never mix theirs up.
type jenkinsClock struct {
	// date is the latest Date seen, and at our clock when it was read;
	// zero until an answer had one.
	date, at time.Time
}

// saw notes the Date of an answer read at at; zero says nothing.
func (j *jenkinsClock) saw(date, at time.Time) {
	if !date.IsZero() && !date.Before(j.date) {
		j.date, j.at = date, at
	}
}

// now is Jenkins' time when ours reads ours; without any Date, Jenkins'
// clock is taken to agree with ours.
func (j jenkinsClock) now(ours time.Time) time.Time {
	if j.date.IsZero() {
		return ours
	}
	return j.date.Add(dateResolution / 2).Add(ours.Sub(j.at))
}

// until is how long, when ours reads ours, until ms on Jenkins' clock.
func (j jenkinsClock) until(ms int64, ours time.Time) time.Duration {
	return time.UnixMilli(ms).Sub(j.now(ours))
}
