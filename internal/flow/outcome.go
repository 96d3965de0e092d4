package flow

import (
	"context"
	"errors"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// Outcome is how a step ended.
type Outcome struct {
	// Builds are each build's outcome, in the order of the targets, then
	// the downstream builds in the order they appeared. A step that
	// stopped before anything was sent has none.
	Builds []BuildOutcome
	// Err, when set, ended the step before it followed any build: bad
	// input, or a job that cannot be triggered. Nothing was triggered.
	Err error
	// Stopped is set when the step was stopped from outside.
	Stopped *StoppedError
	// NameBuilds says how the step's end is told: by naming each build
	// that did not succeed, since the step showed several builds, each
	// with its verdict; otherwise its one build's verdict speaks for it.
	NameBuilds bool
}

// Deciding is the index of the build that decides the step: the first of
// its own builds whose end is the worst, or -1 when there is none. The
// builds they started do not decide it: the step's own builds' results
// already carry what Jenkins made of them.
func (o Outcome) Deciding() int {
	best := -1
	for i, b := range o.Builds {
		if b.Upstream != "" {
			continue
		}
		if best < 0 || b.End() > o.Builds[best].End() {
			best = i
		}
	}
	return best
}

// End is the step's end: the worst of its builds'.
func (o Outcome) End() End {
	if i := o.Deciding(); i >= 0 {
		return o.Builds[i].End()
	}
	return EndOK
}

// BuildOutcome is how the following of one build ended, and what it
// reached.
type BuildOutcome struct {
	Job jenkins.Job
	// Queue and Number are the queue item and build reached; 0 for none.
	Queue, Number int
	// QueueURL and BuildURL are theirs, under the configured url.
	QueueURL, BuildURL string
	// Owned says this step triggered the build.
	Owned bool
	// Upstream is the build_url of the build that started this one; "" for
	// the step's own builds. A downstream build does not decide the step.
	Upstream string
	// Result is Jenkins' result, or the tool's own (Cancelled, Timeout),
	// or None when the build was followed only as far as wait_for said,
	// or not to its end.
	Result      build.Result
	DurationMS  int64 // -1 when unknown
	FailedStage string
	// Err says why Jenkins could not be used for this build; nil when it
	// could.
	Err error
	// ArtifactsErr says why requested artifacts could not all be brought
	// back; the build's own result stands beside it.
	ArtifactsErr error
	// Stopped is set when the step stopped following it: the timeout,
	// queue_timeout, a signal, or another job's failed trigger.
	Stopped bool
	// QueueTimeout is set when queue_timeout passed while it waited in
	// the queue; its Result is then build.Timeout.
	QueueTimeout *QueueTimeoutError
	// FailOnUnstable is the policy the End is judged by.
	FailOnUnstable bool
}

// End is how the following of a build ended, ordered so that a later one
// decides a step over an earlier one: the contract's exit codes, in the
// order in which the first that holds for any build is the step's.
type End int

const (
	// EndOK: wait_for was reached; at completion, with a result that does
	// not fail the step.
	EndOK End = iota
	// EndUnstable: UNSTABLE, with fail_on_unstable.
	EndUnstable
	// EndAborted: ABORTED or NOT_BUILT, or the queue item was cancelled.
	EndAborted
	// EndFailed: FAILURE.
	EndFailed
	// EndTimedOut: the timeout passed before wait_for was reached.
	EndTimedOut
	// EndUnusable: Jenkins could not be used for it; or requested artifacts
	// could not be brought back from a build that would have passed.
	EndUnusable
)

// End judges the outcome.
func (b BuildOutcome) End() End {
	switch {
	case b.Err != nil:
		return EndUnusable
	case b.Result == build.Timeout:
		return EndTimedOut
	case b.Result == build.Failure:
		return EndFailed
	case b.Result == build.Aborted, b.Result == build.NotBuilt, b.Result == build.Cancelled:
		return EndAborted
	case b.Result.Fails(b.FailOnUnstable):
		if b.Result == build.Unstable {
			return EndUnstable
		}
		return EndUnusable // a result no Jenkins gives
	case b.ArtifactsErr != nil:
		return EndUnusable
	case b.Stopped && b.Result == build.None:
		return EndAborted
	}
	return EndOK
}

// stopCause tells whether err comes from the step being stopped, and how:
// ErrTimeout, *StoppedError, or errTriggerFailed; nil when Jenkins failed.
func stopCause(ctx context.Context, err error) error {
	if errors.Is(err, ErrTimeout) {
		return ErrTimeout
	}
	if ctx.Err() == nil {
		return nil
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, ErrTimeout):
		return ErrTimeout
	case errors.Is(cause, errTriggerFailed):
		return errTriggerFailed
	default:
		return &StoppedError{Cause: cause}
	}
}
