// Package flow triggers a Jenkins job and follows it: from the trigger to
// the queue item, from the queue item to a build number, and from the build
// to its result while streaming its console. It decides nothing about exit
// codes; it reports what happened.
package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// Results beyond Jenkins' own five.
const (
	ResultCancelled = "CANCELLED"
	ResultTimeout   = "TIMEOUT"
)

// ErrTimeout means the timeout input passed before wait_for was reached.
var ErrTimeout = errors.New("timed out")

// StoppedError means the run was stopped from outside (SIGINT, SIGTERM).
type StoppedError struct{ Cause error }

func (e *StoppedError) Error() string { return "stopped: " + e.Cause.Error() }
func (e *StoppedError) Unwrap() error { return e.Cause }

// Deps are the flow's collaborators.
type Deps struct {
	Client *jenkins.Client
	Report report.Reporter
	Clock  clock.Clock
	// Schedule tunes polling; the zero value means DefaultSchedule.
	Schedule Schedule
}

// graceTimeout bounds the stop or cancel sent when the run is stopped.
const graceTimeout = 15 * time.Second

// Run triggers cfg's job and follows it as far as cfg.WaitFor. It returns
// the build's result ("" when wait_for was reached before there was one)
// and an error when the run failed or was stopped.
func Run(ctx context.Context, cfg *config.Config, job jenkins.Job, d Deps) (result string, err error) {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Schedule == (Schedule{}) {
		d.Schedule = DefaultSchedule
	}
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, ErrTimeout)
	defer cancel()
	r := &run{cfg: cfg, job: job, Deps: d, deadline: d.Clock.Now().Add(cfg.Timeout)}
	defer func() { r.summarize(result, err) }()
	result, err = r.run(ctx)
	if err == nil {
		return result, nil
	}
	if stop := r.stopReason(ctx, err); stop != nil {
		if cfg.AbortOnStop {
			r.abort(ctx)
		}
		if errors.Is(stop, ErrTimeout) {
			r.output(report.OutputResult, ResultTimeout)
			r.Report.Verdict(r.timedOut())
			return ResultTimeout, ErrTimeout
		}
		return "", stop
	}
	return result, err
}

type run struct {
	Deps
	cfg      *config.Config
	job      jenkins.Job
	deadline time.Time

	queueID int
	number  int
	facts
	// first is the build as its queue item showed it on starting; nil when
	// it was found otherwise.
	first *jenkins.Build
}

func (r *run) run(ctx context.Context) (string, error) {
	if err := r.trigger(ctx); err != nil {
		return "", err
	}
	if r.cfg.WaitFor == config.WaitQueue {
		return "", nil
	}
	result, err := r.followQueue(ctx)
	if err != nil || result != "" {
		return result, err
	}
	if r.cfg.WaitFor == config.WaitStart {
		return "", nil
	}
	return r.followBuild(ctx)
}

// stopReason tells whether err comes from the run being stopped, by the
// timeout (ErrTimeout) or from outside (*StoppedError), rather than from
// Jenkins.
func (r *run) stopReason(ctx context.Context, err error) error {
	if errors.Is(err, ErrTimeout) {
		return ErrTimeout
	}
	if ctx.Err() == nil {
		return nil
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrTimeout) {
		return ErrTimeout
	}
	return &StoppedError{Cause: cause}
}

// sleep waits d, or until the deadline, which it reports as ErrTimeout. The
// deadline is kept on the injected clock, so a virtual clock times out too.
func (r *run) sleep(ctx context.Context, d time.Duration) error {
	left := r.deadline.Sub(r.Clock.Now())
	if d >= left {
		if err := r.Clock.Sleep(ctx, max(left, 0)); err != nil {
			return err
		}
		return ErrTimeout
	}
	return r.Clock.Sleep(ctx, d)
}

func (r *run) output(name, value string) {
	if err := r.Report.Output(name, value); err != nil {
		r.Report.Warning("%v", err)
	}
}

// abort stops the build, or cancels its queue item, when the run is stopped.
func (r *run) abort(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), graceTimeout)
	defer cancel()
	if r.number == 0 && r.queueID != 0 {
		err := r.Client.CancelQueueItem(ctx, r.queueID)
		switch {
		case err == nil:
			r.Report.Status("Cancelled queue item %d", r.queueID)
			return
		case errors.Is(err, jenkins.ErrAlreadyLeft):
			// It started between the last poll and now: stop the build.
			if item, qerr := r.Client.QueueItem(ctx, r.queueID); qerr == nil && item.Executable != nil {
				r.number = item.Executable.Number
			}
		default:
			r.Report.Warning("could not cancel queue item %d: %v", r.queueID, err)
			return
		}
	}
	if r.number == 0 {
		return
	}
	if err := r.Client.StopBuild(ctx, r.job, r.number); err != nil {
		r.Report.Warning("could not stop %s #%d: %v", r.job.Name, r.number, err)
		return
	}
	r.Report.Status("Asked Jenkins to stop %s #%d", r.job.Name, r.number)
}

func (r *run) buildURL() string {
	return r.Client.URL(jenkins.BuildPath(r.job, r.number))
}

func formatDuration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
