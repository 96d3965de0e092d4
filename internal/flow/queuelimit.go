package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// QueueTimeoutError means queue_timeout passed while a build waited in the
// queue. It says why Jenkins kept the build waiting, and what became of
// its queue item.
type QueueTimeoutError struct {
	Job   string
	Limit time.Duration
	// Why is the queue's last reason for the wait; "" when it gave none.
	Why string
	// Fate is what became of the queue item: cancelled, left in the queue.
	Fate string
}

func (e *QueueTimeoutError) Error() string {
	s := fmt.Sprintf("%s was still in the queue after %s (queue_timeout)", e.Job, report.Rough(e.Limit))
	if e.Why != "" {
		s += ": " + e.Why
	}
	return s + "; " + e.Fate
}

// queueDeadline is when, on our clock, the run's item has waited
// queue_timeout: from when this step began to wait for it, or for an item
// it follows, from when Jenkins queued it, since the limit is on the
// build's wait, however much of it an earlier step saw.
func (r *run) queueDeadline(waitingSince time.Time) time.Time {
	limit := r.opts.Policy.QueueTimeout
	if !r.owned && r.inQueueSince > 0 {
		now := time.Now()
		return now.Add(r.untilJenkins(r.inQueueSince)).Add(limit)
	}
	return waitingSince.Add(limit)
}

// queueTimedOut ends the wait of an item still queued at its deadline: it
// is cancelled when abort_on_stop says so, as on a stop. An item that left
// the queue meanwhile has its build, which is followed on: it did not wait
// longer than queue_timeout, only the last poll came too early to see it.
func (r *run) queueTimedOut(ctx context.Context, why *string) (build.Result, error) {
	qt := &QueueTimeoutError{Job: r.label(), Limit: r.opts.Policy.QueueTimeout}
	if why != nil {
		qt.Why = *why
	}
	if !r.opts.Policy.AbortsOnStop(r.owned) {
		qt.Fate = fmt.Sprintf("queue item %d was left in the queue (%s)", r.queue, r.leftBecause())
		return build.None, qt
	}
	cancelCtx, cancel := r.graceContext(ctx)
	defer cancel()
	err := r.Client.CancelQueueItem(cancelCtx, r.queue)
	switch {
	case err == nil:
		r.log.Status("Cancelled queue item %d", r.queue)
		qt.Fate = fmt.Sprintf("queue item %d was cancelled", r.queue)
	case errors.Is(err, jenkins.ErrAlreadyLeft):
		if n := r.buildOfLeftItem(ctx, r.queue); n > 0 {
			r.log.Status("Queue item %d left the queue as queue_timeout passed: following its build", r.queue)
			r.announce(n, nil)
			return build.None, nil
		}
		qt.Fate = fmt.Sprintf("queue item %d left the queue as queue_timeout passed, and names no build", r.queue)
	default:
		qt.Fate = fmt.Sprintf("queue item %d could not be cancelled: %v", r.queue, err)
	}
	return build.None, qt
}

// leftBecause says why an item is not cancelled at a stop.
func (r *run) leftBecause() string {
	if r.opts.Policy.AbortOnStop == nil {
		return "this step did not trigger it; set abort_on_stop to true to cancel it"
	}
	return "abort_on_stop is false"
}
