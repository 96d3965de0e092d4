package flow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// Trigger checks the job, queues a build and returns its queue item; the
// step owns that build from then on. A trigger whose answer is on its way
// when the run is stopped is given graceTimeout to arrive, so that the item
// it names can be cancelled; an answer lost then is looked for as any lost
// answer is.
func (r *Run) Trigger(ctx context.Context) (Queued, error) {
	info, err := r.checkJob(ctx)
	if err != nil {
		return Queued{}, err
	}
	what := "without parameters"
	if n := len(r.opts.Params) + len(r.opts.Files); n > 0 {
		what = "with " + plural(n, "parameter")
	}
	r.Report.Status("Triggering %s %s", r.opts.Job.Name, what)
	// When the trigger was sent, on Jenkins' clock: the Date of its latest
	// answer, given just before (or, without one, ours).
	sentAt := r.Client.ServerDate()
	if sentAt.IsZero() {
		sentAt = r.Clock.Now()
	}
	r.progress.Owned = true
	id, err := r.Client.Trigger(ctx, r.opts.Job, jenkins.TriggerRequest{
		Params:        r.opts.Params,
		Files:         r.opts.Files,
		Parameterized: info != nil && len(info.Params) > 0,
		ByToken:       info == nil && r.opts.TokenOnly,
	})
	var lost *jenkins.AnswerLostError
	if errors.As(err, &lost) || ctx.Err() != nil && mayHaveQueued(err) {
		if lost == nil {
			// The grace period ran out with the trigger sent.
			lost = &jenkins.AnswerLostError{Err: err}
		}
		searchCtx := ctx
		if ctx.Err() != nil {
			// Stopped while the answer was on its way: look for the item
			// within the grace period, so the stop can cancel it.
			var cancel context.CancelFunc
			searchCtx, cancel = r.graceContext(ctx)
			defer cancel()
		}
		id, err = r.recoverLostTrigger(searchCtx, sentAt, lost)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The stop is what the run reports; this is what it left.
			r.Report.Warning("the step was stopped while triggering, and %v", err)
			return Queued{}, fmt.Errorf("%w (while triggering: %w)", context.Cause(ctx), err)
		}
		return Queued{}, err
	}
	q := r.queued(id)
	r.Report.Status("Queued as item %d: %s", id, r.queueURL())
	if ctx.Err() != nil {
		r.Report.Status("The step was stopped while Jenkins answered the trigger")
		return q, context.Cause(ctx)
	}
	return q, nil
}

// mayHaveQueued reports whether a trigger that failed with err may still
// have queued a build: any answer from Jenkins says it did not, and so do
// the failures that prove nothing was sent.
func mayHaveQueued(err error) bool {
	var he *jenkins.HTTPError
	return err != nil && !errors.As(err, &he) && !jenkins.NotSent(err)
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
func (r *Run) recoverLostTrigger(ctx context.Context, sentAt time.Time, lost error) (int, error) {
	r.Report.Warning("the answer to the trigger was lost (%v); looking for the build it queued instead of sending it again", errors.Unwrap(lost))
	for i := 0; ; i++ {
		found, err := r.findTriggered(ctx, sentAt)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%w; and then: %w", lost, err)
		case len(found) == 1:
			r.Report.Status("Found the build the trigger queued: queue item %d", found[0])
			return found[0], nil
		case len(found) > 1 || i == len(lostSearchWaits):
			return 0, fmt.Errorf("%w; %d queued or started builds of %s match it, so it was not sent again: check %s",
				lost, len(found), r.opts.Job.Name, r.Client.URL(r.opts.Job.Path))
		}
		if err := r.Clock.Sleep(ctx, lostSearchWaits[i]); err != nil {
			return 0, fmt.Errorf("%w; and then: %w", lost, err)
		}
	}
}

// findTriggered lists the queue items and builds of the job, with this
// run's parameters, queued since sentAt on Jenkins' clock.
func (r *Run) findTriggered(ctx context.Context, sentAt time.Time) ([]int, error) {
	params := r.opts.Params
	items, err := r.Client.QueuedItems(ctx)
	if err != nil {
		return nil, err
	}
	builds, err := r.Client.RecentBuilds(ctx, r.opts.Job, 10)
	if err != nil {
		return nil, err
	}
	// With slack for the Date header's one-second precision.
	sinceMS := sentAt.Add(-2 * time.Second).UnixMilli()
	var found []int
	for _, it := range items {
		if it.InQueueSince >= sinceMS && sameJob(it.Task.URL, r.opts.Job) && sameQueueParams(it.Params, params) {
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

func sameJob(taskURL string, job jenkins.Job) bool {
	u, err := url.Parse(taskURL)
	return err == nil && strings.HasSuffix(u.EscapedPath(), job.Path)
}

// sameQueueParams compares against a queue item's params text, "\nK=v"
// for each parameter.
func sameQueueParams(text string, params []jenkins.Param) bool {
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

func sameBuildParams(got map[string]string, params []jenkins.Param) bool {
	for _, p := range params {
		if v, ok := got[p.Name]; !ok || v != p.Value {
			return false
		}
	}
	return true
}
