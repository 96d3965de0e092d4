package flow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// step is what the runs of one step share: the collaborators, the options,
// and the four things that are the step's own: one read of the queue for
// all the items waiting in it, the heartbeat, the report of the ends, and
// the ledger of the artifacts written.
type step struct {
	Deps
	opts Options
	// several is set when the step follows more than one build: their
	// lines are then labelled.
	several bool
	board   *queueBoard
	beat    *heartbeat
	ends    *ends
	ledger  *artifacts.Ledger
	owns    *ownedLedger
	begin   time.Time

	// downloads bounds the artifact downloads of all the step's builds.
	downloads *artifacts.Limiter
}

// Run runs one step under the timeout and reports its end: each build's
// verdict as it ends, the outputs, the step summary and the JUnit file.
func Run(ctx context.Context, opts Options, d Deps) Outcome {
	if d.Schedule == (Schedule{}) {
		d.Schedule = defaultSchedule
	}
	s := &step{Deps: d, opts: opts, several: len(opts.Targets) > 1, begin: time.Now()}
	s.beat = newHeartbeat(d.Report, len(opts.Targets))
	s.ledger = artifacts.NewLedger()
	s.downloads = artifacts.NewLimiter(artifacts.StepDownloads)
	if s.several {
		s.board = &queueBoard{client: d.Client}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Policy.Timeout, ErrTimeout)
	defer cancel()
	runs := s.newRuns()
	s.ends = newEnds(s, runs)
	s.owns = newOwnedLedger(d.Saver, len(runs), d.Report)
	out := s.do(ctx, runs)
	s.ends.stepEnded(out, runs)
	return out
}

func (s *step) newRuns() []*run {
	runs := make([]*run, len(s.opts.Targets))
	for i, t := range s.opts.Targets {
		r := &run{step: s, index: i, plan: planFor(t, s.opts.Policy.WaitFor), target: t, job: t.Job}
		r.log = logger(s.Report)
		if s.several {
			r.log = labelled{rep: s.Report, r: r}
		}
		if t.Follow != nil {
			r.queue, r.number = t.Follow.Queue, t.Follow.Build
			if !t.Follow.IsQueueItem() {
				r.job = t.Follow.Job
			}
		}
		runs[i] = r
	}
	return runs
}

// do checks every target, then triggers the jobs one after another and
// follows every build at once, each in a run of its own, as soon as it is
// queued. A trigger that fails stops the runs already going, and nothing
// more is triggered.
func (s *step) do(ctx context.Context, runs []*run) Outcome {
	if err := s.prepare(ctx, runs); err != nil {
		if cause := stopCause(ctx, err); cause != nil {
			return stoppedEarly(cause)
		}
		return Outcome{Err: err}
	}
	// The checks may have passed as the step was stopped: nothing is sent.
	if cause := stopCause(ctx, ctx.Err()); cause != nil {
		return stoppedEarly(cause)
	}
	sharedJobs(runs)
	out := Outcome{Builds: make([]BuildOutcome, len(runs))}
	following, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var group sync.WaitGroup
	for i, r := range runs {
		if following.Err() != nil {
			out.Builds[i] = r.end(following, build.None, nil)
			continue
		}
		if r.plan.triggers() {
			if err := r.trigger(following); err != nil {
				out.Builds[i] = r.end(following, build.None, err)
				s.ends.built(out.Builds[i], r)
				if stopCause(following, err) == nil {
					stop(errTriggerFailed)
				}
				continue
			}
		}
		group.Go(func() {
			out.Builds[i] = r.follow(following)
			r.ended(out.Builds[i])
			s.ends.built(out.Builds[i], r)
		})
	}
	group.Wait()
	if cause := stopCause(ctx, ctx.Err()); cause != nil {
		if stopped, ok := cause.(*StoppedError); ok {
			out.Stopped = stopped
		}
	}
	return out
}

// sharedJobs marks the runs whose job another run of the step has too,
// once prepare has read every followed queue item's job: their artifacts
// would share one directory.
func sharedJobs(runs []*run) {
	builds := map[string]int{}
	for _, r := range runs {
		builds[r.job.Path]++
	}
	for _, r := range runs {
		r.sharedJob = builds[r.job.Path] > 1
	}
}

// stoppedEarly is the outcome of a step stopped before it sent anything.
func stoppedEarly(cause error) Outcome {
	if stopped, ok := cause.(*StoppedError); ok {
		return Outcome{Stopped: stopped}
	}
	return Outcome{Err: cause}
}

// prepare checks every target before anything is sent, all at once: each
// job to trigger is read and the parameters checked against it, and each
// followed queue item's job is read when not given. The first problem, in
// the targets' order, is the step's error.
func (s *step) prepare(ctx context.Context, runs []*run) error {
	errs := make([]error, len(runs))
	var group sync.WaitGroup
	for i, r := range runs {
		group.Go(func() { errs[i] = r.prepare(ctx) })
	}
	group.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// prepare checks what the run's target names before anything is sent.
func (r *run) prepare(ctx context.Context) error {
	switch {
	case r.plan.triggers():
		return r.check(ctx)
	case r.target.Follow.IsQueueItem():
		return r.resolveItem(ctx)
	}
	return sameJob(r.target.Job, r.job)
}

// sameJob is the one check that a job given beside follow is the one the
// followed build or queue item belongs to.
func sameJob(given, actual jenkins.Job) error {
	if given.Path != "" && given.Path != actual.Path {
		return &JobMismatchError{Given: given.Name, Actual: actual.Name}
	}
	return nil
}

// labelled marks a run's lines with its build, when the step follows
// several builds.
type labelled struct {
	rep report.Reporter
	r   *run
}

func (l labelled) Status(format string, args ...any) {
	l.rep.Status("%s | %s", l.r.label(), fmt.Sprintf(format, args...))
}

func (l labelled) Notice(format string, args ...any) {
	l.rep.Notice("%s | %s", l.r.label(), fmt.Sprintf(format, args...))
}

func (l labelled) Warning(format string, args ...any) {
	l.rep.Warning("%s | %s", l.r.label(), fmt.Sprintf(format, args...))
}

// logger is where a run says what happens to its build.
type logger interface {
	Status(format string, args ...any)
	Notice(format string, args ...any)
	Warning(format string, args ...any)
}
