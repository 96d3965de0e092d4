package flow

import (
	"context"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/wait"
)

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
	trackers := trackersOf(r.kinds, r.watch())
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

// watch is what the run hands each tracker of its build.
func (r *run) watch() watch {
	w := watch{
		subject: subject{job: r.job, number: r.number, log: r.log},
		client:  r.Client, policy: r.opts.Policy, streams: r.streams, adopt: r.adopt,
	}
	if r.show.label || r.target.downstream() {
		w.label = r.label()
	}
	return w
}

// loop polls every tracker on each tick until the build is finished and
// every tracker drained, pacing the ticks by what the build writes and by
// when Jenkins expects it to end.
func (r *run) loop(ctx context.Context, trackers []tracker, v *view) error {
	p := r.Schedule.pacer(r.remaining(v.build))
	if !r.opts.Policy.Log && !r.target.downstream() {
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
		r.beat.building(r.label(), r.startedAt(v.build), v.build.EstimatedDuration, v.input)
		r.beat.tick(v.wrote)
		if err := wait.Sleep(ctx, p.next(v.wrote)); err != nil {
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

// readFollowedParams reads the parameters of a build this step was given
// to follow, for the step summary; a downstream build's are left out.
func (r *run) readFollowedParams(ctx context.Context) {
	if r.owned || r.target.downstream() || !r.streams.WantsSummary() {
		return
	}
	params, err := r.Client.BuildParameters(ctx, r.job, r.number)
	if err != nil {
		r.log.Warning("%v; the parameters are left out of the summary", err)
		return
	}
	r.params = params
}
