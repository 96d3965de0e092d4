package flow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// trigger checks the job, queues the build and records its queue item.
func (r *run) trigger(ctx context.Context) error {
	info, err := r.checkJob(ctx)
	if err != nil {
		return err
	}
	params := make([]jenkins.Param, len(r.cfg.Parameters))
	for i, p := range r.cfg.Parameters {
		params[i] = jenkins.Param{Name: p.Name, Value: p.Value}
	}
	files := make([]jenkins.FileParam, len(r.cfg.Files))
	for i, f := range r.cfg.Files {
		files[i] = jenkins.FileParam{Name: f.Name, Path: f.Path}
	}
	what := "without parameters"
	if n := len(params) + len(files); n > 0 {
		what = "with " + plural(n, "parameter")
	}
	r.Report.Status("Triggering %s %s", r.job.Name, what)
	sentAt := r.Clock.Now()
	id, err := r.Client.Trigger(ctx, r.job, jenkins.TriggerRequest{
		Params:        params,
		Files:         files,
		Parameterized: info != nil && len(info.Params) > 0,
		ByToken:       info == nil && r.cfg.BuildToken != "" && r.cfg.User == "",
	})
	var lost *jenkins.AnswerLostError
	if errors.As(err, &lost) && ctx.Err() == nil {
		id, err = r.recoverLostTrigger(ctx, sentAt, params, lost)
	}
	if err != nil {
		return err
	}
	r.queueID = id
	queueURL := r.Client.URL(jenkins.QueuePath(id))
	r.output(report.OutputQueueURL, queueURL)
	r.Report.Status("Queued as item %d: %s", id, queueURL)
	return nil
}

// recoverLostTrigger looks for the queue item or build that a trigger whose
// answer was lost caused. Resending could queue a second build, so it only
// adopts a single unambiguous match and otherwise gives up.
func (r *run) recoverLostTrigger(ctx context.Context, sentAt time.Time, params []jenkins.Param, lost error) (int, error) {
	r.Report.Warning("the answer to the trigger was lost (%v); looking for the build it queued instead of sending it again", errors.Unwrap(lost))
	elapsed := r.Clock.Now().Sub(sentAt)
	items, err := r.Client.QueuedItems(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w; and then: %w", lost, err)
	}
	builds, err := r.Client.RecentBuilds(ctx, r.job, 10)
	if err != nil {
		return 0, fmt.Errorf("%w; and then: %w", lost, err)
	}
	// Compare on Jenkins' clock: its Date header less the time since the
	// trigger was sent, with slack for the header's one-second precision.
	since := r.Clock.Now()
	if d := r.Client.ServerDate(); !d.IsZero() {
		since = d
	}
	sinceMS := since.Add(-elapsed - 2*time.Second).UnixMilli()
	var found []int
	for _, it := range items {
		if it.InQueueSince >= sinceMS && sameJob(it.Task.URL, r.job) && sameQueueParams(it.Params, params) {
			found = append(found, it.ID)
		}
	}
	for _, b := range builds {
		if b.Timestamp >= sinceMS && sameBuildParams(b.Parameters(), params) {
			found = append(found, b.QueueID)
		}
	}
	if len(found) != 1 {
		return 0, fmt.Errorf("%w; %d queued or started builds of %s match it, so it was not sent again: check %s",
			lost, len(found), r.job.Name, r.Client.URL(r.job.Path))
	}
	r.Report.Status("Found the build the trigger queued: queue item %d", found[0])
	return found[0], nil
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
