package flow

import (
	"context"
	"io"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// Client is what the step asks of Jenkins: the part of *jenkins.Client it
// uses, made of what each of its users needs, so that each takes only its
// own part and a test hands it a fake of just that.
type Client interface {
	linker
	triggerClient
	queueClient
	buildClient
	consoleClient
	stagesClient
	inputsClient
	finishClient
	downstreamClient
}

// linker makes the links the step shows: to a job, a build, a queue item.
type linker interface {
	URL(path string) string
}

// triggerClient is what the trigger needs: the job's definition, the
// trigger itself, and what finds the build of a trigger whose answer was
// lost.
type triggerClient interface {
	JobInfo(ctx context.Context, job jenkins.Job) (*jenkins.JobInfo, error)
	Trigger(ctx context.Context, job jenkins.Job, tr jenkins.TriggerRequest) (int, error)
	QueueTasks(ctx context.Context) (*jenkins.Queue, error)
	RecentBuilds(ctx context.Context, job jenkins.Job, n int) ([]jenkins.BuildRef, error)
}

// queueLister reads the whole queue, for the queue board.
type queueLister interface {
	Queue(ctx context.Context) (*jenkins.Queue, error)
}

// queueClient is what following a queue item to its build needs, and
// cancelling it.
type queueClient interface {
	queueLister
	QueueItem(ctx context.Context, id int) (*jenkins.QueueItem, error)
	QueueItemJob(ctx context.Context, id int) (jenkins.Job, error)
	FindBuildByQueueID(ctx context.Context, job jenkins.Job, id int) (int, error)
	CancelQueueItem(ctx context.Context, id int) error
}

// buildReader reads a build's state, for the build tracker.
type buildReader interface {
	Build(ctx context.Context, job jenkins.Job, n int) (*jenkins.Build, error)
}

// buildClient is what a run asks of its build besides its trackers: its
// state, a followed build's parameters, and its stop.
type buildClient interface {
	buildReader
	BuildParameters(ctx context.Context, job jenkins.Job, n int) ([]build.Param, error)
	StopBuild(ctx context.Context, job jenkins.Job, n int) error
}

// consoleClient reads a build's console, for the console tracker.
type consoleClient interface {
	ProgressiveText(ctx context.Context, job jenkins.Job, n int, start int64, w io.Writer) (jenkins.LogChunk, error)
}

// stagesClient reads a Pipeline's stages, for the stages tracker.
type stagesClient interface {
	Stages(ctx context.Context, job jenkins.Job, n int) ([]build.Stage, error)
}

// inputsClient lists and answers a Pipeline's input steps, for the input
// tracker.
type inputsClient interface {
	linker
	PendingInputs(ctx context.Context, job jenkins.Job, n int) ([]jenkins.PendingInput, error)
	ProceedInput(ctx context.Context, job jenkins.Job, n int, in jenkins.PendingInput) error
	AbortInput(ctx context.Context, job jenkins.Job, n int, id string) error
}

// finishClient brings back what a finished build leaves: its tests and
// its artifacts.
type finishClient interface {
	TestReport(ctx context.Context, job jenkins.Job, n int) (*build.TestRun, error)
	artifactsClient
}

// artifactsClient lists and downloads a build's artifacts.
type artifactsClient interface {
	linker
	Artifacts(ctx context.Context, job jenkins.Job, n int) ([]string, error)
	DownloadArtifact(ctx context.Context, job jenkins.Job, n int, rel string, offset int64, w jenkins.ArtifactWriter) (int64, error)
}

// The step's Jenkins is a *jenkins.Client.
var _ Client = (*jenkins.Client)(nil)
