// Package flow runs one step: it triggers a build of each job (or takes the
// builds and queue items it is told to follow), follows them all at once,
// each as far as wait_for says, and reports how the step ended. The step
// follows a set of builds; one build is a set of one, and how the set is
// shown is decided once (presentation). Each build is followed by a run of
// its own, which is handed what it needs (env) and returns all it learnt
// of its build (findings); the step combines what the runs return and
// reports the end once: the outputs, the step summary and the JUnit file.
// A running build is followed by trackers, one concern each, listed in
// trackerKinds; a tracker may add to the set the builds its build started.
// It stops what the step owns when the step is stopped. It says how each
// build ended (End), ranked so that the worst decides the step; cli turns
// that into an exit code.
package flow

import (
	"errors"

	"github.com/jenkins-trigger/jenkins-trigger/internal/backstop"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// Target is one build of the step, in the order of the job or follow
// input: a job to trigger, or a build or queue item to follow.
type Target struct {
	// Job is the job to trigger, or the one given beside Follow; its Path
	// is "" when follow names a queue item and no job is given.
	Job jenkins.Job
	// Follow, when set, is what to follow instead of triggering.
	Follow *jenkins.Location
	// Upstream is the build_url of the build that started this one, for a
	// downstream build a tracker adopted; "" for the step's own.
	Upstream string
}

// downstream reports whether the target is a build another build of the
// step started: Jenkins', not the step's, followed but never deciding.
func (t Target) downstream() bool { return t.Upstream != "" }

// Options are what the step is asked to do.
type Options struct {
	Targets []Target
	// Params and Files go with every trigger.
	Params []build.Param
	Files  []build.File
	// TokenOnly says the caller has a build token and no user: a job it
	// cannot read is triggered through /buildByToken/.
	TokenOnly bool
	// Cause is the note sent with a build-token trigger; "" for none.
	Cause  string
	Policy build.Policy
}

// Deps are the step's collaborators.
type Deps struct {
	Client Client
	Report report.Reporter
	// Schedule tunes polling; the zero value means defaultSchedule.
	Schedule Schedule
	// Saver, when set, keeps the builds the step owns for the post mode.
	Saver backstop.Saver
}

// ErrTimeout means the timeout input passed before wait_for was reached.
var ErrTimeout = errors.New("timed out")

// StoppedError means the step was stopped from outside (SIGINT, SIGTERM).
type StoppedError struct{ Cause error }

func (e *StoppedError) Error() string { return "stopped: " + e.Cause.Error() }
func (e *StoppedError) Unwrap() error { return e.Cause }

// errTriggerFailed is the cause with which the builds already triggered
// are stopped when a later trigger of the step fails.
var errTriggerFailed = errors.New("another job's trigger failed")
