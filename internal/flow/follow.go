package flow

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
)

// buildCheckEvery is how many quiet console polls in a row may pass before
// the build's own state is read again while the console says more is
// coming: it says so forever when the log file is missing, or behind a
// broken proxy. A growing console needs no such check.
const buildCheckEvery = 10

// maxDrain bounds the console reads after Jenkins says the build finished.
const maxDrain = 20

// tracker is one concern of following a running build, polled on each tick
// of the one loop that follows it: the console, the build's state, a
// Pipeline's stages and inputs. Each keeps its own cadence, and may make no
// request at all on a tick.
type tracker interface {
	// poll does this tick's share of the work.
	poll(ctx context.Context, f *following, t *tick) error
	// drained reports whether the tracker has nothing left to read of a
	// finished build.
	drained(f *following) bool
}

// opener is a tracker with work to do before the first tick.
type opener interface {
	open(f *following)
}

// closer is a tracker with work to do once the loop is over, whether the
// build finished or the run stopped.
type closer interface {
	close(ctx context.Context, f *following)
}

// tick is what the trackers tell each other and the loop on one tick.
type tick struct {
	// wrote is set when the build wrote output: the loop then polls again
	// soon.
	wrote bool
	// readBuild asks the build tracker to read the build's state now.
	readBuild bool
}

// following is the state of following one build.
type following struct {
	r *Run
	n int
	// build is the build as last read.
	build *jenkins.Build
	// marks notes the console lines that say a Pipeline's stages or
	// inputs may have changed; it sees nothing when the console is not
	// followed.
	marks *markTap
}

// Follow follows build s until Jenkins is done with it and every tracker
// has drained what it had to read, then reports its result: the outputs,
// the tests, the Pipeline's failed stage, the artifacts and the verdict.
func (r *Run) Follow(ctx context.Context, s Started) (result.Result, error) {
	if r.progress.Build == nil || r.progress.Build.Number != s.Number {
		s = r.started(s.Number, s.first)
	}
	f := &following{r: r, n: s.Number, build: s.first, marks: &markTap{}}
	if f.build == nil {
		b, err := r.Client.Build(ctx, r.opts.Job, s.Number)
		if err != nil {
			return result.None, err
		}
		f.build = b
	}
	r.build = f.build
	r.readFollowedParams(ctx)
	trackers := r.trackers()
	for _, t := range trackers {
		if o, ok := t.(opener); ok {
			o.open(f)
		}
	}
	err := f.loop(ctx, trackers)
	for _, t := range trackers {
		if c, ok := t.(closer); ok {
			c.close(ctx, f)
		}
	}
	if err != nil {
		return result.None, err
	}
	return r.finish(ctx, f.build)
}

// AttachQueue records queue item q as reached without following it: follow
// named it, and wait_for asks for no more.
func (r *Run) AttachQueue(q Queued) {
	r.queued(q.ID)
	r.Report.Status("Following queue item %d: %s", q.ID, r.queueURL())
}

// Attach records build s as reached without following it: follow named a
// build, and wait_for asks for no more than its start.
func (r *Run) Attach(s Started) {
	r.started(s.Number, s.first)
	r.Report.Status("Following %s #%d: %s", r.opts.Job.Name, s.Number, r.buildURL())
}

// trackers are the concerns of following a build, in the order they run
// on each tick: what the console says decides whether the build is read,
// and the Pipeline tracker reads what the build showed.
func (r *Run) trackers() []tracker {
	var ts []tracker
	if r.opts.Log {
		ts = append(ts, &consoleTracker{})
	}
	ts = append(ts, &buildTracker{}, &pipelineTracker{})
	return ts
}

// loop polls every tracker on each tick until the build is finished and
// every tracker drained, pacing the ticks by what the build writes and by
// when Jenkins expects it to end.
func (f *following) loop(ctx context.Context, trackers []tracker) error {
	r := f.r
	p := r.Schedule.pacer(r.Clock, r.remaining(f.build))
	if !r.opts.Log {
		r.Report.Status("Waiting for %s #%d to finish", r.opts.Job.Name, f.n)
	}
	for {
		var t tick
		for _, tr := range trackers {
			if err := tr.poll(ctx, f, &t); err != nil {
				return err
			}
		}
		if f.build.Finished() && allDrained(f, trackers) {
			return nil
		}
		r.heartbeat(f.build, t.wrote)
		if err := r.sleep(ctx, p.next(t.wrote)); err != nil {
			return err
		}
	}
}

func allDrained(f *following, trackers []tracker) bool {
	for _, t := range trackers {
		if !t.drained(f) {
			return false
		}
	}
	return true
}

// buildTracker reads the build's state: on every tick but the first when
// no console is followed (the build was just read), and otherwise when the
// console asks.
type buildTracker struct{ polled bool }

func (b *buildTracker) poll(ctx context.Context, f *following, t *tick) error {
	first := !b.polled
	b.polled = true
	if f.build.Finished() || f.r.opts.Log && !t.readBuild || !f.r.opts.Log && first {
		return nil
	}
	build, err := f.r.Client.Build(ctx, f.r.opts.Job, f.n)
	if err != nil {
		return err
	}
	f.build = build
	f.r.build = build
	return nil
}

func (*buildTracker) drained(f *following) bool { return f.build.Finished() }

// consoleTracker streams the build's console from its start.
type consoleTracker struct {
	filter *jenkins.ConsoleFilter
	next   int64
	// more is what the latest read said of the log: more is coming.
	more   bool
	quiet  int
	drains int
	// cut is set once the console grew too long after the build finished.
	cut bool
}

func (c *consoleTracker) open(f *following) {
	f.r.Report.BeginConsole(fmt.Sprintf("%s #%d console", f.r.opts.Job.Name, f.n))
	f.marks.w = f.r.Report.Console()
	c.filter = jenkins.NewConsoleFilter(f.marks)
	c.more = true
}

func (c *consoleTracker) poll(ctx context.Context, f *following, t *tick) error {
	if c.cut || f.build.Finished() && !c.more {
		return nil
	}
	chunk, err := f.r.Client.ProgressiveText(ctx, f.r.opts.Job, f.n, c.next, c.filter)
	if err != nil {
		return err
	}
	// No log file at all says "more" forever: a finished build with none
	// has nothing to drain.
	c.next, c.more = chunk.Next, chunk.More && !(f.build.Finished() && chunk.Next == 0)
	if chunk.Bytes > 0 {
		c.quiet = 0
		t.wrote = true
	} else {
		c.quiet++
	}
	t.readBuild = !chunk.More || c.quiet > 0 && c.quiet%buildCheckEvery == 0
	if f.build.Finished() && c.more {
		// Drain what the build still writes after Jenkins calls it
		// finished, within bounds.
		if c.drains++; c.drains > maxDrain {
			f.r.Report.Warning("the console of %s #%d still grows after the build finished; stopped reading it", f.r.opts.Job.Name, f.n)
			c.cut = true
		}
	}
	return nil
}

func (c *consoleTracker) drained(*following) bool { return c.cut || !c.more }

func (c *consoleTracker) close(_ context.Context, f *following) {
	c.filter.Flush()
	f.r.Report.EndConsole()
}

// remaining estimates how long the build still runs, on Jenkins' clock.
func (r *Run) remaining(b *jenkins.Build) time.Duration {
	if b.EstimatedDuration <= 0 || b.Timestamp <= 0 {
		return 0
	}
	return r.untilJenkins(b.Timestamp + b.EstimatedDuration)
}

// finish reports a finished build: its outputs, tests, failed stage and
// artifacts, then the verdict.
func (r *Run) finish(ctx context.Context, b *jenkins.Build) (result.Result, error) {
	r.build = b
	if b.Result == nil {
		return result.None, fmt.Errorf("jenkins says %s #%d finished but gives no result", r.opts.Job.Name, r.number())
	}
	res := result.Result(*b.Result)
	r.output(report.OutputDurationMS, strconv.FormatInt(b.Duration, 10))
	r.output(report.OutputResult, string(res))
	r.output(report.OutputFailedStage, r.failedStage)
	r.readTests(ctx)
	r.downloadArtifacts(ctx)
	v := r.verdict(res, b.Duration)
	v.FailedStage = r.failedStage
	r.Report.Verdict(v)
	return res, nil
}

// verdict is the final line of a run that ended with res; durationMS is
// the build's duration, if it has one.
func (r *Run) verdict(res result.Result, durationMS int64) report.Verdict {
	v := report.Verdict{Job: r.opts.Job.Name, Number: r.number(), Result: res, Failed: res.Fails(r.opts.FailOnUnstable), URL: r.where()}
	if r.progress.Build != nil {
		v.Duration = formatDuration(durationMS)
	}
	return v
}
