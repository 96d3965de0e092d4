package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/wait"
)

// run follows one build of the step, from its trigger (or the queue item
// or build it was given) to where its plan ends. It reaches the step only
// through what it is handed (env), and returns what it learnt of its
// build once it is over.
type run struct {
	env
	plan   plan
	target Target
	// info is the job's definition, read before the trigger; nil when it
	// could not be read.
	info *jenkins.JobInfo
	// sharedJob is set when another of the step's own builds is of the
	// same job; a downstream build brings no artifacts back, so it is
	// never counted.
	sharedJob bool
	// findings are what the run returns.
	findings
}

// env is what the step hands each of its runs: what it reads Jenkins and
// the clock with, the step's options and how it shows its builds, and the
// handles through which the run says how far its build got. None of it
// reaches another run.
type env struct {
	Client   Client
	Schedule Schedule
	opts     Options
	show     presentation
	log      logger
	// streams opens the build's console and says whether the step summary
	// is wanted.
	streams streams
	// board is the queue listing the step's runs share; nil when each
	// reads its own item.
	board *queueBoard
	beat  beat
	slot  slot
	fetch fetchShared
	// kinds are the kinds of trackers that follow the build.
	kinds []func(watch) tracker
	// adopt adds a build to the step's set, to be followed as every
	// other: a tracker hands it the builds its build started, with what
	// announces one that is new to the step, before it is followed. It
	// reports whether the build was new.
	adopt func(Target, func()) bool
}

// streams is the part of the reporter a run writes to besides its lines.
type streams interface {
	Console(title, label string) io.WriteCloser
	WantsSummary() bool
}

// findings are all a run learnt of its build, which it returns once it is
// over: the step reads its verdict, outputs, summary and JUnit file from it.
type findings struct {
	job jenkins.Job
	// owned is set once this step sent the build's trigger.
	owned bool
	// queue and number are the queue item and the build; 0 until known.
	queue, number int
	// inQueueSince is when Jenkins queued the item, in ms on its clock; 0
	// when unknown.
	inQueueSince int64
	// build is the build as last read; nil before it started.
	build *jenkins.Build
	// params are a followed build's parameters, as Jenkins shows them.
	params []build.Param
	// stages are a Pipeline's stages as last read.
	stages []build.Stage
	// tests is the finished build's test report; nil when it has none or
	// it was not read. testsErr says why it could not be read; noTests
	// that it was read and the build has none.
	tests    *build.TestRun
	testsErr error
	noTests  bool
	// artifacts are the files brought back.
	artifacts []build.Artifact
	input     inputWait
	// stopped is why the step stopped following the build; nil unless
	// it did.
	stopped error
	// jenkins is Jenkins' clock, as the run's answers told it.
	jenkins jenkinsClock
	// out is how the following of the build ended.
	out BuildOutcome
}

// graceTimeout bounds what is sent once the step is stopped: the stop of a
// build or the cancel of its queue item.
const graceTimeout = 15 * time.Second

// follow runs the plan from where the trigger (if any) left it, and
// returns what it learnt. A stop (the timeout, a signal, another trigger's
// failure) stops the build or cancels its queue item when abort_on_stop
// says so.
func (r *run) follow(ctx context.Context) findings {
	res, err := r.steps(ctx)
	return r.end(ctx, res, err)
}

// steps are the plan's steps after the trigger.
func (r *run) steps(ctx context.Context) (build.Result, error) {
	switch {
	case r.owned:
	case r.number > 0:
		r.started(r.number, nil)
		if !r.target.downstream() {
			// A downstream build was announced by the tracker that found it.
			r.log.Status("Following %s #%d: %s", r.job.Name, r.number, r.buildURL())
		}
	case r.queue > 0:
		r.queued(r.queue)
		r.log.Status("Following queue item %d: %s", r.queue, r.queueURL())
	}
	if r.queue > 0 && r.number == 0 && r.plan.awaitsStart() {
		if res, err := r.awaitStart(ctx); err != nil || res != build.None {
			return res, err
		}
	}
	if r.number > 0 && r.plan.followsBuild() {
		return r.followBuild(ctx)
	}
	return build.None, nil
}

// end makes the outcome of a run that ended with res or err, and returns
// all the run learnt.
func (r *run) end(ctx context.Context, res build.Result, err error) findings {
	r.conclude(ctx, res, err)
	return r.findings
}

// conclude makes the outcome of a run that ended with res or err.
func (r *run) conclude(ctx context.Context, res build.Result, err error) {
	o := &r.out
	o.Job, o.Queue, o.Number, o.Owned, o.Upstream = r.job, r.queue, r.number, r.owned, r.target.Upstream
	o.QueueURL, o.BuildURL = r.queueURL(), r.buildURL()
	o.Result, o.DurationMS, o.FailOnUnstable = res, -1, r.opts.Policy.FailOnUnstable
	if r.build != nil && r.build.Finished() {
		o.DurationMS = r.build.Duration
	}
	o.FailedStage = build.FailedStage(r.stages)
	if err == nil {
		return
	}
	var qt *QueueTimeoutError
	if errors.As(err, &qt) {
		o.Result, o.Stopped, o.QueueTimeout, r.stopped = build.Timeout, true, qt, qt
		return
	}
	cause := stopCause(ctx, err)
	if cause == nil {
		o.Err = err
		return
	}
	o.Stopped, r.stopped = true, cause
	if errors.Is(cause, ErrTimeout) {
		o.Result = build.Timeout
	}
	// A downstream build is Jenkins': its own parent's stop aborts it.
	if !r.target.downstream() && r.opts.Policy.AbortsOnStop(r.owned) {
		r.abort(ctx)
	}
}

// abort stops the build, or cancels its queue item, when the step is
// stopped. It says what it did in stopNote.
func (r *run) abort(ctx context.Context) {
	ctx, cancel := r.graceContext(ctx)
	defer cancel()
	if r.number == 0 && r.queue > 0 {
		err := r.Client.CancelQueueItem(ctx, r.queue)
		switch {
		case err == nil:
			r.log.Status("Cancelled queue item %d", r.queue)
			if r.out.Result == build.None {
				r.out.Result = build.Cancelled
			}
			return
		case errors.Is(err, jenkins.ErrAlreadyLeft):
			// It started between the last poll and now: stop the build.
			r.number = r.buildOfLeftItem(ctx, r.queue)
			r.out.Number, r.out.BuildURL = r.number, r.buildURL()
		default:
			r.log.Warning("could not cancel queue item %d: %v", r.queue, err)
			return
		}
	}
	if r.number == 0 {
		return
	}
	if err := r.Client.StopBuild(ctx, r.job, r.number); err != nil {
		r.log.Warning("could not stop %s #%d: %v", r.job.Name, r.number, err)
		return
	}
	r.log.Status("Asked Jenkins to stop %s #%d", r.job.Name, r.number)
}

// graceContext outlives ctx by graceTimeout, for what must
// still reach Jenkins once the step is stopped.
func (r *run) graceContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), graceTimeout)
}

// startRaceTries bounds how often a queue item that left the queue is read
// for its build: Jenkins shows executable null only for a moment.
const startRaceTries = 5

// buildOfLeftItem finds the build a queue item that left the queue became:
// Jenkins shows executable null for a moment after an item left (the start
// race), and forgets the item in a restart, when the build remembers its
// queue id. It returns 0 when the item was cancelled or no build is found.
func (r *run) buildOfLeftItem(ctx context.Context, id int) int {
	for range startRaceTries {
		item, err := r.Client.QueueItem(ctx, id)
		switch {
		case errors.Is(err, jenkins.ErrNotFound):
			n, _ := r.Client.FindBuildByQueueID(ctx, r.job, id)
			return n
		case err != nil:
			r.log.Warning("could not read queue item %d to stop its build: %v", id, err)
			return 0
		case item.Left() && *item.Cancelled:
			return 0
		case item.Executable != nil && item.Executable.Number > 0:
			return item.Executable.Number
		}
		if wait.Sleep(ctx, time.Second) != nil {
			return 0
		}
	}
	r.log.Status("Queue item %d left the queue but names no build yet, so no build could be stopped", id)
	return 0
}

// untilJenkins is how long, on our clock, until ms on Jenkins'.
func (r *run) untilJenkins(ms int64) time.Duration {
	return r.jenkins.until(ms, time.Now())
}

// queued records the queue item the run follows from now on.
func (r *run) queued(id int) {
	r.queue = id
	r.reached(pointQueued)
}

// started records the build the run follows from now on, and the build as
// first read, if it was.
func (r *run) started(n int, first *jenkins.Build) {
	r.number, r.build = n, first
	r.reached(pointStarted)
}

// reached tells the step how far the run got, for the outputs that are
// written as soon as they are known and the builds the post mode would
// stop.
func (r *run) reached(p point) {
	r.slot.reached(p, BuildOutcome{Job: r.job, Queue: r.queue, Number: r.number, Owned: r.owned, Upstream: r.target.Upstream, QueueURL: r.queueURL(), BuildURL: r.buildURL(), DurationMS: -1})
}

func (r *run) queueURL() string {
	if r.queue == 0 {
		return ""
	}
	return r.Client.URL(jenkins.QueuePath(r.queue))
}

func (r *run) buildURL() string {
	if r.number == 0 {
		return ""
	}
	return r.Client.URL(jenkins.BuildPath(r.job, r.number))
}

// label names the build in messages: its job, and its number once known.
func (r *findings) label() string {
	name := r.job.Name
	if name == "" {
		name = fmt.Sprintf("queue item %d", r.queue)
	}
	if r.number > 0 {
		return fmt.Sprintf("%s #%d", name, r.number)
	}
	return name
}
