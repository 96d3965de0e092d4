package flow

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// downstreamClient is what finding the builds a build started needs:
// Pipeline Graph View's build steps, Parameterized Trigger's record, and
// the upstream causes of candidate builds.
type downstreamClient interface {
	linker
	RootURL(ctx context.Context) (*url.URL, error)
	BuildSteps(ctx context.Context, job jenkins.Job, n int) ([]jenkins.Downstream, error)
	TriggeredBuilds(ctx context.Context, root *url.URL, job jenkins.Job, n int) ([]jenkins.Downstream, error)
	Upstreams(ctx context.Context, job jenkins.Job, n int) ([]jenkins.Upstream, error)
	RecentUpstreams(ctx context.Context, job jenkins.Job, n int) ([]jenkins.CausedBuild, error)
}

const (
	// downstreamTries bounds the reads after a hint that a build was
	// started: its child leaves a quiet period (5 s by default) first.
	downstreamTries = 5
	// maxCandidates bounds the jobs the cause search lists on one read.
	maxCandidates = 8
	// recentBuilds is how many of a candidate job's newest builds the
	// cause search reads.
	recentBuilds = 10
)

// downstreamTracker finds the builds its build starts and hands each to
// the step once, which follows it as a downstream build (and finds its own
// children in turn). It reads what the build itself records when a hint
// says it may have started one, not on every tick: a console line naming a
// downstream build, or without a console, a change of the Pipeline's
// stages; while a build the console said was scheduled is not found, a
// few more times, backed off, since it starts after its quiet period; and
// once when the build has finished. A
// Pipeline's record is Graph View's allSteps, a freestyle build's
// Parameterized Trigger's; where neither tells (no Graph View, or a
// blocking trigger's child still running), the candidate jobs the console
// names are searched for a build whose upstream cause names this one.
type downstreamTracker struct {
	subject
	client downstreamClient
	adopt  func(Target, func()) bool
	// console is set when the build's console is read, whose lines are
	// the hints; otherwise a change of stages is.
	console bool
	// url is the build's, the upstream of every build it started.
	url string
	// noSteps is set once Graph View could not tell the build steps.
	noSteps bool
	// root is Jenkins' own root URL, read once a record needs it.
	root     *url.URL
	rootRead bool
	// seen are the builds handed over or checked, each looked at once.
	seen map[jenkins.Location]bool
	// mentioned are builds the console named, to confirm by their cause;
	// candidates the jobs it named, to search for one.
	mentioned  []jenkins.Location
	candidates []jenkins.Job
	stages     []build.Stage
	pace       *backoff.ExponentialBackOff
	// awaited counts, by job path, the builds the console said were
	// scheduled and that are not found yet: the reads after a hint go on
	// while there are any.
	awaited map[string]int
	// tries are the reads left since the last hint; next is when the
	// next is due.
	tries int
	next  time.Time
	// final is set once the finished build was read.
	final bool
}

// tracksDownstream reports whether the policy asks for downstream builds.
func tracksDownstream(p build.Policy) bool {
	return p.Downstream == build.DownstreamShow || p.Downstream == build.DownstreamFollow
}

func newDownstreamTracker(w watch) tracker {
	if !tracksDownstream(w.policy) || w.adopt == nil {
		return nil
	}
	pace := backoff.NewExponentialBackOff()
	pace.InitialInterval, pace.Multiplier, pace.MaxInterval = time.Second, 2, 8*time.Second
	pace.RandomizationFactor, pace.MaxElapsedTime = 0, 0
	return &downstreamTracker{
		subject: w.subject, client: w.client, adopt: w.adopt, console: w.policy.Log,
		url: w.client.URL(jenkins.BuildPath(w.job, w.number)), seen: map[jenkins.Location]bool{}, awaited: map[string]int{}, pace: pace,
	}
}

func (d *downstreamTracker) poll(ctx context.Context, v view) (view, error) {
	if d.drained(v) {
		return v, nil
	}
	d.hints(v)
	switch {
	case v.build.Finished() && !d.final:
		d.final = true
		if len(d.awaited) > 0 && d.tries <= 0 {
			// A build the console said was scheduled starts after its
			// quiet period, which may end after its parent did.
			d.hinted(v.now)
		}
	case d.tries <= 0 || v.now.Before(d.next):
		return v, nil
	}
	if err := d.read(ctx, v.build.IsPipeline()); err != nil {
		return v, err
	}
	switch d.tries--; {
	case len(d.awaited) == 0:
		d.tries = 0
	case d.tries > 0:
		d.next = v.now.Add(d.pace.NextBackOff())
	}
	return v, nil
}

// wants takes the console lines that name a downstream build.
func (d *downstreamTracker) wants(line []byte) bool {
	return jenkins.MayMention(line) && len(jenkins.ParseConsoleMentions(string(line))) > 0
}

// hints notes what this tick says of builds started: the downstream lines
// of the console, or when no console is read, a change of the stages.
func (d *downstreamTracker) hints(v view) {
	for _, m := range jenkins.ParseConsoleMentions(strings.Join(v.marks.lines, "\n")) {
		job, err := jenkins.ParseJob(nil, strings.Join(m.Segments(), "/"))
		if err != nil {
			continue
		}
		if loc := (jenkins.Location{Job: job, Build: m.Build}); m.Build > 0 {
			if d.seen[loc] {
				// A build already handed over, starting or ending.
				continue
			}
			d.mentioned = append(d.mentioned, loc)
		} else if m.Result == "" {
			d.candidate(job)
			d.awaited[job.Path]++
		}
		d.hinted(v.now)
	}
	if !d.console && v.stagesRead {
		if stagesChanged(d.stages, v.stages) {
			d.hinted(v.now)
		}
		d.stages = v.stages
	}
}

// hinted starts the reads of a hint: one now, then while a build the
// console said was scheduled is not found, a few more backed off.
func (d *downstreamTracker) hinted(now time.Time) {
	d.pace.Reset()
	d.tries, d.next = downstreamTries, now
}

func (d *downstreamTracker) candidate(job jenkins.Job) {
	if len(d.candidates) < maxCandidates && !slices.Contains(d.candidates, job) {
		d.candidates = append(d.candidates, job)
	}
}

func stagesChanged(before, after []build.Stage) bool {
	return !slices.EqualFunc(before, after, func(a, b build.Stage) bool { return a.ID == b.ID && a.Status == b.Status })
}

// read reads the build's record of the builds it started, then searches
// the causes where the record does not tell, and hands over each build
// found. Its error is the step's stop.
func (d *downstreamTracker) read(ctx context.Context, pipeline bool) error {
	if pipeline && !d.noSteps {
		builds, err := d.client.BuildSteps(ctx, d.job, d.number)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, jenkins.ErrNoBuildSteps):
			d.noSteps = true
		case err != nil:
			d.log.Warning("%v; the builds it started are looked for by their causes", err)
			d.noSteps = true
		default:
			// Graph View lists every started child: the hints are moot.
			d.mentioned, d.candidates = nil, nil
			d.offerAll(builds)
			return nil
		}
	}
	if !pipeline {
		if err := d.readTriggered(ctx); err != nil {
			return err
		}
	}
	return d.searchCauses(ctx)
}

// readTriggered reads Parameterized Trigger's record: the blocking steps'
// builds once they completed, and the jobs of the others, which become
// candidates. Its URLs are under Jenkins' own root URL, read once the
// record does not read without it.
func (d *downstreamTracker) readTriggered(ctx context.Context) error {
	builds, err := d.client.TriggeredBuilds(ctx, d.root, d.job, d.number)
	if err != nil && ctx.Err() == nil && !d.rootRead {
		d.rootRead = true
		if d.root, err = d.client.RootURL(ctx); err == nil {
			builds, err = d.client.TriggeredBuilds(ctx, d.root, d.job, d.number)
		}
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		d.log.Warning("%v; the builds it started are looked for by their causes", err)
		return nil
	}
	for _, b := range builds {
		if b.Build == 0 {
			d.candidate(b.Job)
		}
	}
	d.offerAll(builds)
	return nil
}

// searchCauses confirms each build the console named by its upstream
// cause, once, and lists each candidate job once for builds whose cause
// names this build. A console line is only a hint: a name that is no job,
// or a build another started, is passed over.
func (d *downstreamTracker) searchCauses(ctx context.Context) error {
	mentioned := d.mentioned
	d.mentioned = nil
	for _, loc := range mentioned {
		if d.seen[loc] {
			continue
		}
		ups, err := d.client.Upstreams(ctx, loc.Job, loc.Build)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && d.startedBy(ups) {
			d.offer(loc)
		}
	}
	kept := d.candidates[:0]
	for _, job := range d.candidates {
		builds, err := d.client.RecentUpstreams(ctx, job, recentBuilds)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			continue
		}
		found := false
		for _, b := range builds {
			if d.startedBy(b.Upstreams) {
				found = true
				d.offer(jenkins.Location{Job: job, Build: b.Number})
			}
		}
		// A job that showed its build needs no more search until the
		// console names it again.
		if !found {
			kept = append(kept, job)
		}
	}
	d.candidates = kept
	return nil
}

// startedBy reports whether a cause names this build.
func (d *downstreamTracker) startedBy(ups []jenkins.Upstream) bool {
	return slices.ContainsFunc(ups, func(u jenkins.Upstream) bool { return u.Is(d.job, d.number) })
}

func (d *downstreamTracker) offerAll(builds []jenkins.Downstream) {
	for _, b := range builds {
		if b.Build > 0 {
			d.offer(jenkins.Location{Job: b.Job, Build: b.Build})
		}
	}
}

// offer hands a build this one started to the step, which announces it
// here if it is new to the step.
func (d *downstreamTracker) offer(loc jenkins.Location) {
	if d.seen[loc] {
		return
	}
	d.seen[loc] = true
	if d.awaited[loc.Job.Path]--; d.awaited[loc.Job.Path] <= 0 {
		delete(d.awaited, loc.Job.Path)
	}
	d.adopt(Target{Job: loc.Job, Follow: &loc, Upstream: d.url}, func() {
		d.log.Status("→ %s #%d started by %s #%d", loc.Job.Name, loc.Build, d.job.Name, d.number)
	})
}

// drained: once the build has finished and been read, and no build its
// console said was scheduled is still looked for.
func (d *downstreamTracker) drained(view) bool {
	return d.final && (d.tries <= 0 || len(d.awaited) == 0)
}

func (*downstreamTracker) close(_ context.Context, v view) view { return v }
