// Package flow triggers a Jenkins job and follows it. It offers the steps
// separately — Trigger queues a build, AwaitStart follows a queue item to
// its build, Follow follows a build to its result while streaming its
// console — and Do runs a composition of them under the timeout, stops what
// the step owns when the run is stopped, and writes the step summary. It
// decides nothing about exit codes; it reports what happened.
package flow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
)

// ErrTimeout means the timeout input passed before wait_for was reached.
var ErrTimeout = errors.New("timed out")

// StoppedError means the run was stopped from outside (SIGINT, SIGTERM).
type StoppedError struct{ Cause error }

func (e *StoppedError) Error() string { return "stopped: " + e.Cause.Error() }
func (e *StoppedError) Unwrap() error { return e.Cause }

// InputPolicy says what to do when a Pipeline build pauses at an input step.
type InputPolicy string

// The answers to an input step.
const (
	InputWait    InputPolicy = "wait"
	InputAbort   InputPolicy = "abort"
	InputProceed InputPolicy = "proceed"
)

// Options are what the flow needs to know of the inputs.
type Options struct {
	Job    jenkins.Job
	Params []jenkins.Param
	Files  []jenkins.FileParam
	// TokenOnly says the caller has a build token and no user: when the
	// job cannot be read, the trigger goes through /buildByToken/.
	TokenOnly bool
	// WaitFor is how far the command follows the build, for the summary.
	WaitFor string
	Timeout time.Duration
	// AbortOnStop, when nil, stops a build the step triggered and leaves
	// one it only follows alone.
	AbortOnStop    *bool
	FailOnUnstable bool
	Log            bool
	JUnit          string
	OnInput        InputPolicy
	// Artifacts are the patterns of the artifacts to download into
	// ArtifactsDir once the build has finished; none when empty.
	Artifacts    []string
	ArtifactsDir string
}

// Deps are the flow's collaborators.
type Deps struct {
	Client *jenkins.Client
	Report report.Reporter
	Clock  clock.Clock
	// Schedule tunes polling; the zero value means defaultSchedule.
	Schedule Schedule
}

// Queued is a queue item the run follows.
type Queued struct{ ID int }

// Started is a build the run follows.
type Started struct {
	Number int
	// first is the build as its queue item showed it on starting; nil
	// when it was found otherwise.
	first *jenkins.Build
}

// Progress is how far a run got, and whether the step owns what it got to.
type Progress struct {
	// Owned is set when this step triggered the build: a stop then
	// cancels or stops it unless abort_on_stop says otherwise.
	Owned bool
	// Queue is the queue item; nil when none is known.
	Queue *Queued
	// Build is the build; nil until it started.
	Build *Started
}

// Outcome is how a run ended.
type Outcome struct {
	Result result.Result
	// FailedStage names the first Pipeline stage that failed; "" if none.
	FailedStage string
	// ArtifactsErr says why requested artifacts could not all be
	// downloaded; the build's own result stands beside it.
	ArtifactsErr error
}

// graceTimeout bounds the stop or cancel sent when the run is stopped, and
// the wait for the answer to a trigger that was in flight then.
const graceTimeout = 15 * time.Second

// Run is one run of the flow: its options, its deadline and its progress.
type Run struct {
	Deps
	opts     Options
	deadline time.Time
	progress Progress
	facts
}

// New prepares a run; Do starts its clock.
func New(opts Options, d Deps) *Run {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Schedule == (Schedule{}) {
		d.Schedule = defaultSchedule
	}
	if opts.OnInput == "" {
		opts.OnInput = InputWait
	}
	return &Run{Deps: d, opts: opts}
}

// Do runs steps, a composition of Trigger, AwaitStart and Follow, under
// the timeout. When the run is stopped (the timeout, a signal) it stops
// what the step owns, or what abort_on_stop names; it then writes the step
// summary with whatever the run reached.
func (r *Run) Do(ctx context.Context, steps func(ctx context.Context) (result.Result, error)) (out Outcome, err error) {
	r.deadline = r.Clock.Now().Add(r.opts.Timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, r.opts.Timeout, ErrTimeout)
	defer cancel()
	defer func() { r.summarize(out.Result, err) }()
	res, err := steps(ctx)
	out = Outcome{Result: res, FailedStage: r.failedStage, ArtifactsErr: r.artifactsErr}
	if err == nil {
		return out, nil
	}
	stop := r.stopReason(ctx, err)
	if stop == nil {
		return out, err
	}
	if r.abortOnStop() {
		r.abort(ctx)
	}
	if errors.Is(stop, ErrTimeout) {
		r.output(report.OutputResult, string(result.Timeout))
		r.Report.Verdict(r.timedOut())
		return Outcome{Result: result.Timeout}, ErrTimeout
	}
	return Outcome{}, stop
}

// abortOnStop applies abort_on_stop, whose default depends on whether the
// step owns the build.
func (r *Run) abortOnStop() bool {
	if r.opts.AbortOnStop != nil {
		return *r.opts.AbortOnStop
	}
	return r.progress.Owned
}

// stopReason tells whether err comes from the run being stopped, by the
// timeout (ErrTimeout) or from outside (*StoppedError), rather than from
// Jenkins.
func (r *Run) stopReason(ctx context.Context, err error) error {
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
func (r *Run) sleep(ctx context.Context, d time.Duration) error {
	left := r.deadline.Sub(r.Clock.Now())
	if d >= left {
		if err := r.Clock.Sleep(ctx, max(left, 0)); err != nil {
			return err
		}
		return ErrTimeout
	}
	return r.Clock.Sleep(ctx, d)
}

func (r *Run) output(name, value string) {
	if err := r.Report.Output(name, value); err != nil {
		r.Report.Warning("%v", err)
	}
}

// graceContext outlives ctx by graceTimeout, for what must still reach
// Jenkins once the run is stopped.
func (r *Run) graceContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), graceTimeout)
}

// abort stops the build, or cancels its queue item, when the run is stopped.
func (r *Run) abort(ctx context.Context) {
	ctx, cancel := r.graceContext(ctx)
	defer cancel()
	p := r.progress
	if p.Build == nil && p.Queue != nil {
		err := r.Client.CancelQueueItem(ctx, p.Queue.ID)
		switch {
		case err == nil:
			r.Report.Status("Cancelled queue item %d", p.Queue.ID)
			return
		case errors.Is(err, jenkins.ErrAlreadyLeft):
			// It started between the last poll and now: stop the build.
			if n := r.buildOfLeftItem(ctx, p.Queue.ID); n > 0 {
				r.started(n, nil)
			}
		default:
			r.Report.Warning("could not cancel queue item %d: %v", p.Queue.ID, err)
			return
		}
	}
	b := r.progress.Build
	if b == nil {
		return
	}
	if err := r.Client.StopBuild(ctx, r.opts.Job, b.Number); err != nil {
		r.Report.Warning("could not stop %s #%d: %v", r.opts.Job.Name, b.Number, err)
		return
	}
	r.Report.Status("Asked Jenkins to stop %s #%d", r.opts.Job.Name, b.Number)
}

// startRaceTries bounds how often a queue item that left the queue is read
// for its build: Jenkins shows executable null only for a moment.
const startRaceTries = 5

// buildOfLeftItem finds the build a queue item that left the queue became:
// Jenkins shows executable null for a moment after an item left (the start
// race), and forgets the item in a restart, when the build remembers its
// queue id. It returns 0 when the item was cancelled or no build is found.
func (r *Run) buildOfLeftItem(ctx context.Context, id int) int {
	for range startRaceTries {
		item, err := r.Client.QueueItem(ctx, id)
		switch {
		case jenkins.IsNotFound(err):
			n, _ := r.Client.FindBuildByQueueID(ctx, r.opts.Job, id)
			return n
		case err != nil:
			r.Report.Warning("could not read queue item %d to stop its build: %v", id, err)
			return 0
		case item.Left() && *item.Cancelled:
			return 0
		case item.Executable != nil && item.Executable.Number > 0:
			return item.Executable.Number
		}
		if r.Clock.Sleep(ctx, time.Second) != nil {
			return 0
		}
	}
	r.Report.Status("Queue item %d left the queue but names no build yet, so no build could be stopped", id)
	return 0
}

// queued records the queue item the run follows from now on.
func (r *Run) queued(id int) Queued {
	q := Queued{ID: id}
	r.progress.Queue = &q
	r.output(report.OutputQueueURL, r.queueURL())
	return q
}

// started records the build the run follows from now on.
func (r *Run) started(n int, first *jenkins.Build) Started {
	s := Started{Number: n, first: first}
	r.progress.Build = &s
	r.output(report.OutputBuildNumber, strconv.Itoa(n))
	r.output(report.OutputBuildURL, r.buildURL())
	return s
}

func (r *Run) queueURL() string {
	return r.Client.URL(jenkins.QueuePath(r.progress.Queue.ID))
}

func (r *Run) buildURL() string {
	return r.Client.URL(jenkins.BuildPath(r.opts.Job, r.progress.Build.Number))
}

// where is the URL of the furthest thing the run reached, "" if none.
func (r *Run) where() string {
	switch {
	case r.progress.Build != nil:
		return r.buildURL()
	case r.progress.Queue != nil:
		return r.queueURL()
	}
	return ""
}

// number is the build's number, 0 before it started.
func (r *Run) number() int {
	if r.progress.Build == nil {
		return 0
	}
	return r.progress.Build.Number
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
