package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
	"github.com/jenkins-trigger/jenkins-trigger/internal/wait"
)

// trigger queues a build of the run's job; the step owns that build from
// then on. A trigger whose answer is on its way when the step is stopped is
// given the client's settle time to arrive, so that the item it names can
// be cancelled; an answer lost then is looked for as any lost answer is.
func (r *run) trigger(ctx context.Context) error {
	what := "without parameters"
	if n := len(r.opts.Params) + len(r.opts.Files); n > 0 {
		what = "with " + report.Plural(n, "parameter")
	}
	r.log.Status("Triggering %s %s", r.job.Name, what)
	// When the trigger was sent, on Jenkins' clock: the Date of the answer
	// that gave the job's definition, or, without one, ours.
	sentAt := time.Now()
	if r.info != nil && !r.info.Date.IsZero() {
		sentAt = r.info.Date
	}
	r.owned = true
	r.sent(sentAt.UnixMilli())
	id, err := r.Client.Trigger(ctx, r.job, jenkins.TriggerRequest{
		Params:        r.opts.Params,
		Files:         r.opts.Files,
		Parameterized: r.info != nil && len(r.info.Params) > 0,
		ByToken:       r.info == nil && r.opts.TokenOnly,
		Cause:         r.cause(),
	})
	var lost *jenkins.AnswerLostError
	if errors.As(err, &lost) || ctx.Err() != nil && mayHaveQueued(err) {
		if lost == nil {
			// The settle time ran out with the trigger sent.
			lost = &jenkins.AnswerLostError{Err: err}
		}
		searchCtx := ctx
		if ctx.Err() != nil {
			// Stopped while the answer was on its way: look for the item
			// within the grace time, so the stop can cancel it.
			var cancel context.CancelFunc
			searchCtx, cancel = r.graceContext(ctx)
			defer cancel()
		}
		id, err = r.recoverLostTrigger(searchCtx, sentAt, lost)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The stop is what the step reports; this is what it left.
			r.log.Warning("the step was stopped while triggering %s, and %v", r.job.Name, err)
			return fmt.Errorf("%w (while triggering: %w)", context.Cause(ctx), err)
		}
		return err
	}
	r.queued(id)
	r.log.Status("Queued as item %d: %s", id, r.queueURL())
	if ctx.Err() != nil {
		r.log.Status("The step was stopped while Jenkins answered the trigger")
		return context.Cause(ctx)
	}
	return nil
}

// cause is the note to send with the trigger. Jenkins reads each of a
// job's parameters from the query too, so a job with a parameter named
// cause would take the note as its value, or refuse two values for it:
// the note is not sent then.
func (r *run) cause() string {
	if r.info != nil && r.opts.Cause != "" {
		for _, p := range r.info.Params {
			if p.Name == "cause" {
				r.log.Warning("%s has a parameter named cause, so the cause note is not sent: Jenkins would read it as that parameter", r.job.Name)
				return ""
			}
		}
	}
	return r.opts.Cause
}

// mayHaveQueued reports whether a trigger that failed with err may still
// have queued a build: any answer from Jenkins or its front door says it
// did not, and so do the failures that prove nothing was sent.
func mayHaveQueued(err error) bool {
	var he *jenkins.HTTPError
	var fd *jenkins.FrontDoorError
	return err != nil && !errors.As(err, &he) && !errors.As(err, &fd) && !jenkins.NotSent(err)
}

// lostSearchWaits are the waits between looks for the build a trigger
// whose answer was lost queued: Jenkins may act on a request whose
// connection the client already gave up on a moment later.
var lostSearchWaits = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// recoverLostTrigger looks for the queue item or build that a trigger whose
// answer was lost caused: one queued since sentAt, on Jenkins' clock.
// Resending could queue a second build, so it only adopts a single
// unambiguous match; it looks again a few times while there is none, and
// otherwise gives up.
func (r *run) recoverLostTrigger(ctx context.Context, sentAt time.Time, lost error) (int, error) {
	r.log.Warning("the answer to the trigger of %s was lost (%v); looking for the build it queued instead of sending it again", r.job.Name, errors.Unwrap(lost))
	for i := 0; ; i++ {
		found, err := r.findTriggered(ctx, sentAt)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%w; and then: %w", lost, err)
		case len(found) == 1:
			r.log.Status("Found the build the trigger queued: queue item %d", found[0])
			return found[0], nil
		case len(found) > 1 || i == len(lostSearchWaits):
			return 0, fmt.Errorf("%w; %d queued or started builds of %s match it, so it was not sent again: check %s",
				lost, len(found), r.job.Name, r.Client.URL(r.job.Path))
		}
		if err := wait.Sleep(ctx, lostSearchWaits[i]); err != nil {
			return 0, fmt.Errorf("%w; and then: %w", lost, err)
		}
	}
}

// findTriggered lists the queue items and builds of the job, with the
// step's parameters, queued since sentAt on Jenkins' clock.
func (r *run) findTriggered(ctx context.Context, sentAt time.Time) ([]int, error) {
	params := r.opts.Params
	queue, err := r.Client.QueueTasks(ctx)
	if err != nil {
		return nil, err
	}
	builds, err := r.Client.RecentBuilds(ctx, r.job, 10)
	if err != nil {
		return nil, err
	}
	// With slack for the Date header's one-second precision.
	sinceMS := sentAt.Add(-2 * time.Second).UnixMilli()
	var found []int
	for _, it := range queue.Items {
		if it.InQueueSince >= sinceMS && r.job.IsTask(it.Task.URL) && sameQueueParams(it.Params, params) {
			found = append(found, it.ID)
		}
	}
	for _, b := range builds {
		if b.Timestamp >= sinceMS && sameBuildParams(b.Parameters(), params) {
			found = append(found, b.QueueID)
		}
	}
	return found, nil
}

// sameQueueParams compares against a queue item's params text, "\nK=v"
// for each parameter.
func sameQueueParams(text string, params []build.Param) bool {
	have := make(map[string]bool)
	for line := range strings.SplitSeq(text, "\n") {
		if line != "" {
			have[line] = true
		}
	}
	for _, p := range params {
		if !have[p.Name+"="+p.Value] {
			return false
		}
	}
	return true
}

func sameBuildParams(got map[string]string, params []build.Param) bool {
	for _, p := range params {
		if v, ok := got[p.Name]; !ok || v != p.Value {
			return false
		}
	}
	return true
}
