package flow

import (
	"context"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// tracker follows one concern of a running build: its console, its state,
// a Pipeline's stages, its input steps. On each tick of the loop it is
// handed the view as the trackers before it left it, does its share (maybe
// no request at all: each keeps its own cadence), and returns the view
// with what it found.
type tracker interface {
	poll(ctx context.Context, v view) (view, error)
	// drained reports whether the tracker has nothing left to read of a
	// finished build.
	drained(v view) bool
	// close does what is left once the loop is over, whether the build
	// finished or the step stopped, and returns the view with it.
	close(ctx context.Context, v view) view
}

// view is what the loop knows of the build on one tick.
type view struct {
	now time.Time
	// build is the build as last read; fresh says it was read this tick.
	build *jenkins.Build
	fresh bool
	// wrote is set when the console grew this tick; readBuild when it
	// says the build's state is worth reading now.
	wrote, readBuild bool
	// marks are the console lines of this tick that say a Pipeline's
	// stages or inputs may have changed.
	marks marks
	// stages are as last read; stagesRead says they were read this tick.
	stages     []build.Stage
	stagesRead bool
	// input is the build's wait for input, as far as it is known.
	input inputWait
}

// followBuild follows the run's build until Jenkins is done with it and
// every tracker has drained what it had to read, then finishes it: its
// tests and artifacts.
func (r *run) followBuild(ctx context.Context) (build.Result, error) {
	if r.build == nil {
		b, err := r.Client.Build(ctx, r.job, r.number)
		if err != nil {
			return build.None, err
		}
		r.build = b
	}
	r.jenkins.saw(r.build.Date.Date, time.Now())
	r.readFollowedParams(ctx)
	trackers := r.trackers()
	v := view{build: r.build, stages: r.stages, input: r.input}
	err := r.loop(ctx, trackers, &v)
	for _, t := range trackers {
		v = t.close(ctx, v)
	}
	r.build, r.stages, r.input = v.build, v.stages, v.input
	if err != nil {
		return build.None, err
	}
	return r.finish(ctx)
}

// trackers are the concerns of following the run's build, in the order
// they run on each tick: what the console says decides whether the build
// is read, and the Pipeline trackers read what the build showed.
func (r *run) trackers() []tracker {
	console := r.opts.Policy.Log
	var ts []tracker
	if console {
		ts = append(ts, r.newConsoleTracker())
	}
	return append(ts,
		&buildTracker{r: r, everyTick: !console},
		&stagesTracker{r: r, everyTick: !console},
		&inputTracker{r: r})
}

// loop polls every tracker on each tick until the build is finished and
// every tracker drained, pacing the ticks by what the build writes and by
// when Jenkins expects it to end.
func (r *run) loop(ctx context.Context, trackers []tracker, v *view) error {
	p := r.Schedule.pacer(r.remaining(v.build))
	if !r.opts.Policy.Log {
		r.log.Status("Waiting for %s #%d to finish", r.job.Name, r.number)
	}
	for {
		*v = view{now: time.Now(), build: v.build, stages: v.stages, input: v.input}
		for _, t := range trackers {
			next, err := t.poll(ctx, *v)
			if err != nil {
				return err
			}
			*v = next
		}
		if v.fresh {
			r.jenkins.saw(v.build.Date.Date, v.now)
		}
		if v.build.Finished() && allDrained(*v, trackers) {
			return nil
		}
		r.beat.building(r.index, r.label(), r.startedAt(v.build), v.build.EstimatedDuration, v.input)
		r.beat.tick(v.wrote)
		if err := sleep(ctx, p.next(v.wrote)); err != nil {
			return err
		}
	}
}

func allDrained(v view, trackers []tracker) bool {
	for _, t := range trackers {
		if !t.drained(v) {
			return false
		}
	}
	return true
}

// remaining estimates how long the build still runs, on Jenkins' clock.
func (r *run) remaining(b *jenkins.Build) time.Duration {
	if b.EstimatedDuration <= 0 || b.Timestamp <= 0 {
		return 0
	}
	return r.untilJenkins(b.Timestamp + b.EstimatedDuration)
}

// startedAt is when the build started, on our clock.
func (r *run) startedAt(b *jenkins.Build) time.Time {
	return time.Now().Add(r.untilJenkins(b.Timestamp))
}

// buildTracker reads the build's state: on every tick but the first when
// no console is followed (the build was just read), and otherwise when the
// console asks.
type buildTracker struct {
	r         *run
	everyTick bool
	polled    bool
}

func (b *buildTracker) poll(ctx context.Context, v view) (view, error) {
	first := !b.polled
	b.polled = true
	if v.build.Finished() || !b.everyTick && !v.readBuild || b.everyTick && first {
		return v, nil
	}
	read, err := b.r.Client.Build(ctx, b.r.job, b.r.number)
	if err != nil {
		return v, err
	}
	v.build, v.fresh = read, true
	return v, nil
}

func (*buildTracker) drained(v view) bool { return v.build.Finished() }

func (*buildTracker) close(_ context.Context, v view) view { return v }

// readFollowedParams reads the parameters of a build this step did not
// trigger, for the step summary.
func (r *run) readFollowedParams(ctx context.Context) {
	if r.owned || !r.Report.WantsSummary() {
		return
	}
	params, err := r.Client.BuildParameters(ctx, r.job, r.number)
	if err != nil {
		r.log.Warning("%v; the parameters are left out of the summary", err)
		return
	}
	r.params = params
}
