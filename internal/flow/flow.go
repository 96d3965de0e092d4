// Package flow runs one step: it triggers a build of each job (or takes the
// builds and queue items it is told to follow), follows them all at once,
// each as far as wait_for says, and reports how the step ended. Each build
// is followed by a run of its own, which owns all that is learnt of it; the
// step combines what the runs return and reports the end once: the
// outputs, the step summary and the JUnit file. It stops what the step owns
// when the step is stopped. It says how each build ended (End), ranked so
// that the worst decides the step; cli turns that into an exit code.
package flow

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jenkins-trigger/jenkins-trigger/internal/backstop"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// Client is what the flow asks of Jenkins: the part of *jenkins.Client it
// uses, so that a test can hand it one that records or fails.
type Client interface {
	URL(path string) string
	JobInfo(ctx context.Context, job jenkins.Job) (*jenkins.JobInfo, error)
	Trigger(ctx context.Context, job jenkins.Job, tr jenkins.TriggerRequest) (int, error)
	Queue(ctx context.Context) (*jenkins.Queue, error)
	QueueTasks(ctx context.Context) (*jenkins.Queue, error)
	QueueItem(ctx context.Context, id int) (*jenkins.QueueItem, error)
	QueueItemJob(ctx context.Context, id int) (jenkins.Job, error)
	RecentBuilds(ctx context.Context, job jenkins.Job, n int) ([]jenkins.BuildRef, error)
	FindBuildByQueueID(ctx context.Context, job jenkins.Job, id int) (int, error)
	Build(ctx context.Context, job jenkins.Job, n int) (*jenkins.Build, error)
	BuildParameters(ctx context.Context, job jenkins.Job, n int) ([]build.Param, error)
	ProgressiveText(ctx context.Context, job jenkins.Job, n int, start int64, w io.Writer) (jenkins.LogChunk, error)
	Stages(ctx context.Context, job jenkins.Job, n int) ([]build.Stage, error)
	PendingInputs(ctx context.Context, job jenkins.Job, n int) ([]jenkins.PendingInput, error)
	ProceedInput(ctx context.Context, job jenkins.Job, n int, in jenkins.PendingInput) error
	AbortInput(ctx context.Context, job jenkins.Job, n int, id string) error
	TestReport(ctx context.Context, job jenkins.Job, n int) (*build.TestRun, error)
	Artifacts(ctx context.Context, job jenkins.Job, n int) ([]string, error)
	DownloadArtifact(ctx context.Context, job jenkins.Job, n int, rel string, offset int64, w jenkins.ArtifactWriter) (int64, error)
	StopBuild(ctx context.Context, job jenkins.Job, n int) error
	CancelQueueItem(ctx context.Context, id int) error
}

// Target is one build of the step, in the order of the job or follow
// input: a job to trigger, or a build or queue item to follow.
type Target struct {
	// Job is the job to trigger, or the one given beside Follow; its Path
	// is "" when follow names a queue item and no job is given.
	Job jenkins.Job
	// Follow, when set, is what to follow instead of triggering.
	Follow *jenkins.Location
}

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

// JobMismatchError means the job input names another job than the build or
// queue item follow names.
type JobMismatchError struct{ Given, Actual string }

func (e *JobMismatchError) Error() string {
	return fmt.Sprintf("job is %s, but follow names a build of %s: leave job out, or give the job each build belongs to, in the same order", e.Given, e.Actual)
}

// errTriggerFailed is the cause with which the builds already triggered
// are stopped when a later trigger of the step fails.
var errTriggerFailed = errors.New("another job's trigger failed")
