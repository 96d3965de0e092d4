package flow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// step is what belongs to the step as a whole: the collaborators, the
// options, how its set of builds is shown, the kinds of trackers its runs
// follow a build with, and the four things it shares among its runs, each
// handed to a run as a handle of its own: one read of the queue for all
// the items waiting in it, the heartbeat, the report of the ends, and the
// ledgers of the artifacts written and the builds owned.
type step struct {
	Deps
	opts   Options
	show   presentation
	kinds  []func(watch) tracker
	board  *queueBoard
	beat   *heartbeat
	ends   *ends
	ledger *artifacts.Ledger
	// downloads bounds the artifact downloads of all the step's builds.
	downloads *artifacts.Limiter
	owns      *ownedLedger
	begin     time.Time

	// mu guards found: what each build's run returned, by index, which
	// grows as builds join the set; parents: by index, the build that
	// started each, -1 for the step's own; followed: every build of the
	// set given by its number, the step's own followed ones and the
	// downstream builds handed over, so that each joins once however
	// often it is found (a builds output followed lists a build's
	// downstream builds beside it); adopted counts the downstream ones,
	// and tooMany says there were more than maxDownstream.
	mu       sync.Mutex
	found    []findings
	parents  []int
	followed map[buildKey]bool
	adopted  int
	tooMany  bool
}

// Run runs one step under the timeout and reports its end: each build's
// verdict as it ends, the outputs, the step summary and the JUnit file.
func Run(ctx context.Context, opts Options, d Deps) Outcome {
	return newStep(opts, d, trackerKinds[:]).run(ctx)
}

func newStep(opts Options, d Deps, kinds []func(watch) tracker) *step {
	if d.Schedule == (Schedule{}) {
		d.Schedule = defaultSchedule
	}
	if opts.Policy.Log {
		d.Schedule = d.Schedule.sharedBy(len(opts.Targets))
	}
	s := &step{Deps: d, opts: opts, show: presentationOf(len(opts.Targets) > 1), kinds: kinds, begin: time.Now()}
	s.beat = newHeartbeat(d.Report, s.show.beatEach)
	s.ledger = artifacts.NewLedger()
	s.downloads = artifacts.NewLimiter(artifacts.StepDownloads)
	if s.show.shareQueue {
		s.board = &queueBoard{client: d.Client}
	}
	s.ends = newEnds(s)
	s.owns = newOwnedLedger(d.Saver, d.Report)
	return s
}

func (s *step) run(ctx context.Context) Outcome {
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.Policy.Timeout, ErrTimeout)
	defer cancel()
	out, found := s.do(ctx)
	out.NameBuilds = s.show.nameBuilds
	s.ends.stepEnded(out, found)
	return out
}

// join adds a build to the step's set, in every ledger of the step at
// once, and makes the run that follows it; parent is the index of the
// build that started it (-1 for the step's own), and adoptFrom makes how
// that run's trackers add builds in turn.
func (s *step) join(t Target, parent int, adoptFrom func(int) func(Target, func()) bool) *run {
	s.mu.Lock()
	i := len(s.found)
	s.found = append(s.found, findings{})
	s.parents = append(s.parents, parent)
	if t.Follow != nil {
		s.followedOnce(t)
	}
	s.ends.join(t.jobOf().Name)
	s.beat.join()
	s.owns.join()
	s.mu.Unlock()
	r := &run{env: s.envOf(i, t, adoptFrom(i)), plan: planFor(t, s.opts.Policy.WaitFor), target: t}
	r.job = t.jobOf()
	if t.Follow != nil {
		r.queue, r.number = t.Follow.Queue, t.Follow.Build
	}
	r.log = s.logger(r.label, t.downstream())
	return r
}

// buildKey names a build of the set, however it was given.
type buildKey struct {
	path          string
	queue, number int
}

func keyOf(t Target) buildKey {
	return buildKey{path: t.Follow.Job.Path, queue: t.Follow.Queue, number: t.Follow.Build}
}

// followedOnce reports whether the build t follows is new to the set, and
// remembers it; s.mu held.
func (s *step) followedOnce(t Target) bool {
	key := keyOf(t)
	if s.followed == nil {
		s.followed = map[buildKey]bool{}
	}
	if s.followed[key] {
		return false
	}
	s.followed[key] = true
	return true
}

// adoptOnce reports whether the downstream build t follows is new to the
// step, and remembers it.
func (s *step) adoptOnce(t Target) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adopted == maxDownstream {
		if !s.tooMany && !s.followed[keyOf(t)] {
			s.tooMany = true
			s.Report.Warning("the builds of this step started more than %d builds; those after the first %d are not followed", maxDownstream, maxDownstream)
		}
		return false
	}
	if !s.followedOnce(t) {
		return false
	}
	s.adopted++
	return true
}

// maxDownstream bounds the downstream builds a step follows: what Jenkins
// answers decides how many there are, and each costs its own polls.
const maxDownstream = 100

// settle keeps what the run of build i returned.
func (s *step) settle(i int, f findings) {
	s.mu.Lock()
	s.found[i] = f
	s.mu.Unlock()
}

// envOf is what the step hands the run of its i-th build, t.
func (s *step) envOf(i int, t Target, adopt func(Target, func()) bool) env {
	opts := s.opts
	if t.downstream() {
		opts.Policy = downstreamPolicy(opts.Policy)
	}
	return env{
		Client: s.Client, Schedule: s.Schedule, opts: opts, show: s.show, kinds: s.kinds,
		streams: s.Report, board: s.board, adopt: adopt,
		beat:  beat{h: s.beat, i: i},
		slot:  slot{i: i, ends: s.ends, owns: s.owns},
		fetch: fetchShared{ledger: s.ledger, limit: s.downloads},
	}
}

// downstreamPolicy is what the step asks of a downstream build: followed
// to its end by its status, its console streamed only with downstream:
// follow, and nothing brought back.
func downstreamPolicy(p build.Policy) build.Policy {
	p.Log = p.Downstream == build.DownstreamFollow
	p.Artifacts = nil
	return p
}

// jobOf is the job of the target's build as far as the target tells it:
// a followed queue item's is read before anything is sent.
func (t Target) jobOf() jenkins.Job {
	if t.Follow != nil && !t.Follow.IsQueueItem() {
		return t.Follow.Job
	}
	return t.Job
}

// logger is where a build's lines go: labelled with label when the step
// shows several builds, and always for a downstream build, which is
// never the one build the step speaks as.
func (s *step) logger(label func() string, downstream bool) logger {
	if s.show.label || downstream {
		return labelled{rep: s.Report, label: label}
	}
	return s.Report
}

// do checks every target, then triggers the jobs one after another and
// follows every build at once, each in a run of its own, as soon as it is
// queued; a build a tracker adopts is followed as soon as it is handed
// over. A trigger that fails stops the runs already going, and nothing
// more is triggered. It returns the step's outcome and what each run
// learnt of its build; a step that sent nothing has learnt nothing.
func (s *step) do(ctx context.Context) (Outcome, []findings) {
	following, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var group sync.WaitGroup
	var adoptFrom func(parent int) func(Target, func()) bool
	adoptFrom = func(parent int) func(Target, func()) bool {
		return func(t Target, announce func()) bool {
			if !s.adoptOnce(t) {
				return false
			}
			if announce != nil {
				announce()
			}
			s.follow(following, &group, s.join(t, parent, adoptFrom))
			return true
		}
	}
	runs := make([]*run, len(s.opts.Targets))
	for i, t := range s.opts.Targets {
		runs[i] = s.join(t, -1, adoptFrom)
	}
	if out, ok := s.checked(ctx, runs); !ok {
		return out, nil
	}
	sharedJobs(runs)
	s.start(following, stop, &group, runs)
	group.Wait()
	return s.outcome(ctx), s.found
}

// checked checks every target; it returns false, with the step's outcome,
// when the step ends before anything is sent.
func (s *step) checked(ctx context.Context, runs []*run) (Outcome, bool) {
	if err := s.prepare(ctx, runs); err != nil {
		if cause := stopCause(ctx, err); cause != nil {
			return stoppedEarly(cause), false
		}
		return Outcome{Err: err}, false
	}
	// The checks may have passed as the step was stopped: nothing is sent.
	if cause := stopCause(ctx, ctx.Err()); cause != nil {
		return stoppedEarly(cause), false
	}
	return Outcome{}, true
}

// start triggers the jobs one after another, and follows each build in
// group as soon as it is queued. A trigger that fails stops the builds
// already followed, and what is left is not triggered.
func (s *step) start(ctx context.Context, stop context.CancelCauseFunc, group *sync.WaitGroup, runs []*run) {
	for i, r := range runs {
		if ctx.Err() != nil {
			s.settle(i, r.end(ctx, build.None, nil))
			continue
		}
		if r.plan.triggers() {
			if err := r.trigger(ctx); err != nil {
				f := r.end(ctx, build.None, err)
				s.settle(i, f)
				s.ends.built(i, f)
				if stopCause(ctx, err) == nil {
					stop(errTriggerFailed)
				}
				continue
			}
		}
		s.follow(ctx, group, r)
	}
}

// outcome is the step's outcome once every run has returned.
func (s *step) outcome(ctx context.Context) Outcome {
	out := Outcome{Builds: make([]BuildOutcome, len(s.found))}
	for i, f := range s.found {
		out.Builds[i] = f.out
	}
	if cause := stopCause(ctx, ctx.Err()); cause != nil {
		if stopped, ok := cause.(*StoppedError); ok {
			out.Stopped = stopped
		}
	}
	return out
}

// follow follows the run's build in a goroutine of group, and reports its
// end.
func (s *step) follow(ctx context.Context, group *sync.WaitGroup, r *run) {
	i := r.slot.i
	group.Go(func() {
		f := r.follow(ctx)
		s.settle(i, f)
		s.owns.ended(i, f.out)
		s.ends.built(i, f)
	})
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
		return &contract.InputError{Input: "job", Err: fmt.Errorf("job is %s, but follow names a build of %s: leave job out, or give the job each build belongs to, in the same order", given.Name, actual.Name)}
	}
	return nil
}

// labelled marks a build's lines with its label, when the step shows
// several builds.
type labelled struct {
	rep   report.Reporter
	label func() string
}

func (l labelled) Status(format string, args ...any) {
	l.rep.Status("%s | %s", l.label(), fmt.Sprintf(format, args...))
}

func (l labelled) Notice(format string, args ...any) {
	l.rep.Notice("%s | %s", l.label(), fmt.Sprintf(format, args...))
}

func (l labelled) Warning(format string, args ...any) {
	l.rep.Warning("%s | %s", l.label(), fmt.Sprintf(format, args...))
}

// logger is where a run says what happens to its build.
type logger interface {
	Status(format string, args ...any)
	Notice(format string, args ...any)
	Warning(format string, args ...any)
}
