package jenkinstest

import (
	"net/http"
	"strconv"
	"time"
)

// Downstream builds: a Pipeline `build` step (pipeline-build-step) or, on a
// freestyle job, Parameterized Trigger's blocking or non-blocking
// "Trigger/call builds on other projects" build step. The child is an
// ordinary queue item of the fake, under the same queue and executor rules,
// whose cause names its upstream build; nesting is a child that is itself
// such a job. A waited step pauses the parent's script, like an input, until
// the child completes.

// Downstream is one build step that starts a build of another job of the
// fake.
type Downstream struct {
	// At is the script offset at which the step runs.
	At time.Duration
	// Job is the full name of the job to build. A missing or disabled one
	// fails a waiting step, as an AbortException: the parent ends FAILURE
	// (a step that does not wait just schedules nothing).
	Job string
	// Params override the child job's parameter defaults.
	Params map[string]string
	// Wait is the build step's `wait: true`, or Parameterized Trigger's
	// "Block until the triggered projects finish their builds".
	Wait bool
	// Propagate (Pipeline only, with Wait) is `propagate: true`: a child
	// that does not end SUCCESS fails the step with its result, which ends
	// the parent with that result. Without it the step succeeds whatever
	// the child's result. Parameterized Trigger always maps the result with
	// its default thresholds: UNSTABLE makes the parent UNSTABLE, worse
	// fails the step and the parent FAILURE.
	Propagate bool
	// Stage names the stage the step runs in (graph view's stageId); ""
	// means the innermost stage whose span holds At.
	Stage string
}

// downRun is the mutable downstream state of a build: the queue item of
// each step that ran, by index in Script.Downstream.
type downRun struct {
	items map[int]*queueItem
}

// upstreamCause is Cause.UpstreamCause, or pipeline-build-step's
// BuildUpstreamCause subclass, as the child's item and build carry it.
type upstreamCause struct {
	up       *build
	pipeline bool
}

const (
	buildUpstreamCauseClass = "org.jenkinsci.plugins.workflow.support.steps.build.BuildUpstreamCause"
	upstreamCauseClass      = "hudson.model.Cause$UpstreamCause"
	buildInfoExporterClass  = "hudson.plugins.parameterizedtrigger.BuildInfoExporterAction"
	// graphViewBuildStep is the first pipeline-graph-view release whose
	// allSteps has buildStep (877.v578e46d8e5b_3).
	graphViewBuildStep = 877
)

func (u *upstreamCause) shortDescription() string {
	return `Started by upstream project "` + u.up.job.fullName() + `" build number ` + strconv.Itoa(u.up.number)
}

// json is the cause as exported: upstreamUrl is the job's URL relative to
// the root (Job.getUrl), not absolute.
func (u *upstreamCause) json() *jobj {
	class := upstreamCauseClass
	if u.pipeline {
		class = buildUpstreamCauseClass
	}
	return newObj(class).
		addVis("shortDescription", 3, u.shortDescription()).
		addVis("upstreamBuild", 3, u.up.number).
		addVis("upstreamProject", 3, u.up.job.fullName()).
		addVis("upstreamUrl", 3, u.up.job.node.path())
}

// console is UpstreamCause.print: the description with both names
// hyperlinked, then the upstream build's own causes.
func (u *upstreamCause) console() []piece {
	up := u.up
	out := []piece{{text: `Started by upstream project "`}, note("job " + up.job.fullName()),
		{text: up.job.fullName() + `" build number `}, note("run " + strconv.Itoa(up.number)),
		{text: strconv.Itoa(up.number) + "\n"}, {text: "originally caused by:\n"}}
	c := up.item.cause
	if c.upstream != nil {
		return append(out, piece{text: " " + c.upstream.shortDescription() + "\n"})
	}
	return append(out, piece{text: " " + c.shortDescription() + "\n"})
}

// pauses reports whether the build's script can stop for anything: an
// input or a waited build step.
func (b *build) pauses() bool {
	if len(b.script.Inputs) > 0 {
		return true
	}
	for _, d := range b.script.Downstream {
		if d.Wait {
			return true
		}
	}
	return false
}

// wallEnd maps the script's end to the wall axis; a failed build step ends
// it early.
func (b *build) wallEnd(x time.Duration) time.Duration {
	if !b.pauses() {
		return x
	}
	tl := b.timeline()
	return min(tl.wall(x, true), tl.failAt)
}

// downWait is when the waited step k, started at the wall offset w, ends,
// and whether it fails the parent, with which result. The end is never
// while the child is queued.
func (b *build) downWait(k int, w time.Duration) (end time.Duration, result string, fails bool) {
	it := b.down.items[k]
	switch {
	case it == nil:
		return never, "", false
	case it.cancelled && b.stopped && !it.left.Before(b.stopAt):
		return never, "", false // the stop cancelled it, and the stop decides
	case it.cancelled:
		// "Build of X was cancelled" (build step) or "X aborted."
		// (Parameterized Trigger): both are AbortExceptions.
		return max(sat(it.left.Sub(b.start)), w), "FAILURE", true
	case it.build == nil:
		return never, "", false
	}
	child := it.build
	end = max(sat(child.completeAt().Sub(b.start)), w)
	if end >= never {
		return never, "", false
	}
	result = child.finalResult()
	if b.job.spec.Pipeline {
		return end, result, b.script.Downstream[k].Propagate && result != "SUCCESS"
	}
	return end, "FAILURE", resultOrdinal[result] >= resultOrdinal["FAILURE"]
}

// downstreamVerdict is the result of a build a failed build step cut short.
func (b *build) downstreamVerdict() (string, bool) {
	if !b.pauses() {
		return "", false
	}
	tl := b.timeline()
	if tl.failAt >= never {
		return "", false
	}
	r := tl.failResult
	if b.script.EarlyResult != "" && b.wallOffset(b.script.EarlyResultAt) <= tl.failAt {
		r = worse(b.script.EarlyResult, r)
	}
	return r, true
}

// blockedResult is what Parameterized Trigger's blocking steps made of the
// build's result: UNSTABLE for an UNSTABLE child (worse ones cut the build
// short), "" otherwise.
func (b *build) blockedResult() string {
	if b.job.spec.Pipeline || !b.pauses() {
		return ""
	}
	tl := b.timeline()
	for k, d := range b.script.Downstream {
		it := b.down.items[k]
		if d.Wait && tl.downs[k].end < never && it != nil && it.build != nil && it.build.finalResult() == "UNSTABLE" {
			return "UNSTABLE"
		}
	}
	return ""
}

// considerDownstream offers step the build steps due: each runs at its
// wall offset, unless the build was cut short before.
func (s *Server) considerDownstream(consider func(time.Time, func(time.Time))) {
	for _, b := range s.running {
		if len(b.script.Downstream) == 0 {
			continue
		}
		tl := b.timeline()
		stop := b.interruptAt(tl)
		for k, d := range b.script.Downstream {
			if b.down.items[k] != nil || d.At > b.script.Duration {
				continue
			}
			w := tl.wall(d.At, false)
			if w >= never || w >= stop {
				continue
			}
			consider(b.start.Add(w), func(t time.Time) { s.scheduleDownstream(b, k, t) })
		}
	}
}

// scheduleDownstream queues the child of step k of b at t. Like any
// schedule2, a request for a job with an item still queued with the same
// parameters merges into it: the item takes the step's upstream cause too,
// and one build answers both steps.
func (s *Server) scheduleDownstream(b *build, k int, t time.Time) {
	d := b.script.Downstream[k]
	j := s.lookup(d.Job)
	if b.down.items == nil {
		b.down.items = map[int]*queueItem{}
	}
	if j == nil || !j.buildable() {
		b.down.items[k] = &queueItem{cancelled: true, left: t, state: stateLeft}
		return
	}
	var params []paramValue
	for _, def := range j.spec.Params {
		if def.isFile() {
			continue
		}
		v, ok := d.Params[def.Name]
		if !ok {
			v = def.defaultValue()
		}
		params = append(params, paramValue{def: def, value: v})
	}
	script := defaultScript()
	if j.spec.Script != nil {
		script = j.spec.Script(paramMap(params))
	}
	up := &upstreamCause{up: b, pipeline: b.job.spec.Pipeline}
	due := t.Add(max(script.QuietPeriod, 0))
	for _, it := range s.queueOf(j) {
		if sameParams(it, params, nil) {
			it.cause.folded = append(it.cause.folded, up)
			if it.state == stateWaiting && due.Before(it.due) {
				it.due = due
			}
			b.down.items[k] = it
			return
		}
	}
	s.lastID++
	it := &queueItem{
		id: s.lastID, job: j, params: params, trigger: "build", script: script, entered: t,
		due: due, cause: cause{upstream: up},
	}
	s.items[it.id] = it
	s.queue = append(s.queue, it)
	b.down.items[k] = it
}

// stopDownstream is what a stop of b does to the builds its waiting steps
// started. The build step (BuildTriggerStepExecution.stop) cancels a
// queued child and aborts a running one; Parameterized Trigger cancels a
// queued child only, and a running one carries on. Children of steps that
// do not wait are left alone.
func (s *Server) stopDownstream(b *build, now time.Time) {
	for k, d := range b.script.Downstream {
		it := b.down.items[k]
		if !d.Wait || it == nil || it.job == nil {
			continue
		}
		switch {
		case it.state != stateLeft:
			s.cancel(it, now)
		case it.build != nil && b.job.spec.Pipeline && !it.build.stopped && !it.build.state(now).complete:
			child := it.build
			child.stopped, child.stopAt, child.stopBy = true, now, b.stopBy
			s.stopDownstream(child, now)
		}
	}
}

// console returns the build's log: one whose timing hangs on other builds
// is laid out afresh, since their ends move it.
func (b *build) console() *consoleLog {
	if len(b.script.Downstream) > 0 {
		return newConsoleLog(b)
	}
	return b.log
}

// downstreamPieces merges the build steps' console lines into the pieces,
// which are on the wall axis for a Pipeline and on the script's for a
// freestyle build, whose pieces it moves by the pauses.
func (b *build) downstreamPieces(pieces []piece) []piece {
	if len(b.script.Downstream) == 0 {
		return pieces
	}
	tl := b.timeline()
	if !b.job.spec.Pipeline {
		for i := range pieces {
			pieces[i].at = tl.wall(pieces[i].at, false)
		}
	}
	var extra []piece
	add := func(at time.Duration, ps ...piece) {
		for _, p := range ps {
			p.at = at
			extra = append(extra, p)
		}
	}
	stop := b.interruptAt(tl)
	for k, d := range b.script.Downstream {
		it := b.down.items[k]
		w := tl.wall(d.At, false)
		if it == nil || it.job == nil || w >= stop {
			continue
		}
		name := it.job.node.fullDisplayName()
		jobLink := note("job " + it.job.fullName())
		child := it.build
		childName := func() string { return name + " #" + strconv.Itoa(child.number) }
		if b.job.spec.Pipeline {
			add(w, note("[Pipeline] build"), piece{text: "[Pipeline] build\n"},
				piece{text: "Scheduling project: "}, jobLink, piece{text: name + "\n"})
			if !d.Wait || child == nil {
				continue
			}
			// Only a waiting step hears of the start and the end
			// (BuildTriggerListener).
			add(child.start.Sub(b.start), piece{text: "Starting building: "}, note("run "+childName()),
				piece{text: childName() + "\n"})
			if end := tl.downs[k].end; end < never && child.state(b.start.Add(end)).complete {
				add(end, piece{text: "Build "}, note("run "+childName()),
					piece{text: childName() + " completed: " + child.finalResult() + "\n"})
			}
			continue
		}
		if !d.Wait {
			add(w, piece{text: "Triggering projects: "}, jobLink, piece{text: name + "\n"})
			continue
		}
		add(w, piece{text: "Waiting for the completion of "}, jobLink, piece{text: name + "\n"})
		if child == nil {
			continue
		}
		add(child.start.Sub(b.start), note("run "+childName()), piece{text: childName() + " started.\n"})
		if end := tl.downs[k].end; end < never && child.state(b.start.Add(end)).complete {
			add(end, note("run "+childName()),
				piece{text: childName() + " completed. Result was " + child.finalResult() + "\n"})
		}
	}
	return mergePieces(pieces, extra)
}

// mergePieces merges two lists sorted by time; at one moment the first
// list's pieces come first.
func mergePieces(a, b []piece) []piece {
	out := make([]piece, 0, len(a)+len(b))
	i := 0
	for _, p := range b {
		for i < len(a) && a[i].at <= p.at {
			out = append(out, a[i])
			i++
		}
		out = append(out, p)
	}
	return append(out, a[i:]...)
}

// downstreamActions are the build's actions for its steps: the build
// step's DownstreamBuildAction, exported as {} since it is not an
// @ExportedBean, and Parameterized Trigger's BuildInfoExporterAction. The
// latter lists a blocking step's build once it completed (triggeredBuilds)
// and a non-blocking step's job (triggeredProjects), both at visibility 1,
// so depth 0 shows only the _class.
func (s *Server) downstreamActions(rq *request, b *build) []any {
	var builds, projects []any
	found := false
	for k, d := range b.script.Downstream {
		it := b.down.items[k]
		if it == nil || it.job == nil {
			continue
		}
		found = true
		switch {
		case !d.Wait:
			projects = append(projects, s.jobRef(rq, it.job))
		case it.build != nil && it.build.state(rq.now).complete:
			builds = append(builds, s.buildJSON(rq, it.build))
		}
	}
	switch {
	case !found:
		return nil
	case b.job.spec.Pipeline:
		return []any{newObj("")}
	}
	if builds == nil {
		builds = []any{}
	}
	if projects == nil {
		projects = []any{}
	}
	return []any{newObj(buildInfoExporterClass).add("triggeredBuilds", builds).add("triggeredProjects", projects)}
}

// graphBuildStep is pipeline-graph-view's PipelineBuildStep.
type graphBuildStep struct {
	ClassicURL      string `json:"classicUrl"`
	PipelineViewURL string `json:"pipelineViewUrl"`
	DisplayName     string `json:"displayName"`
}

// graphStep is pipeline-graph-view's PipelineStep; null fields are
// omitted.
type graphStep struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name"`
	State               string          `json:"state"`
	Type                string          `json:"type"`
	Title               string          `json:"title"`
	PauseDurationMillis int64           `json:"pauseDurationMillis"`
	StartTimeMillis     int64           `json:"startTimeMillis"`
	TotalDurationMillis *int64          `json:"totalDurationMillis,omitempty"`
	StageID             string          `json:"stageId"`
	BuildStep           *graphBuildStep `json:"buildStep,omitempty"`
	Flags               map[string]any  `json:"flags"`
}

// graphAllSteps is PipelineConsoleViewAction.getAllSteps, with the build
// steps only (the fake models no other steps there). buildStep comes from
// DownstreamBuildAction, so it appears once the child has started, and
// only from graph view 877 on.
func (s *Server) graphAllSteps(rq *request, b *build) *response {
	if rq.r.Method != http.MethodGet && rq.r.Method != http.MethodHead {
		return methodNotAllowed()
	}
	rel := rq.now.Sub(b.start)
	tl := b.timeline()
	complete := b.state(rq.now).complete
	_, end := b.phases()
	stop := b.interruptAt(tl)
	steps := []graphStep{}
	for k, d := range b.script.Downstream {
		it := b.down.items[k]
		w := tl.wall(d.At, false)
		if it == nil || w > rel || w >= stop {
			continue
		}
		label := "Scheduling "
		if d.Wait {
			label = "Building "
		}
		g := graphStep{ID: b.downNodeID(k), Type: "STEP", StageID: b.downStageID(d),
			StartTimeMillis: ms(b.start.Add(w)), Flags: map[string]any{}, State: "success"}
		if it.job != nil {
			g.Name = label + it.job.node.fullDisplayName()
		}
		stepEnd := w
		if d.Wait {
			stepEnd = tl.downs[k].end
			if stepEnd >= never && complete {
				stepEnd = end
			}
		}
		switch {
		case rel < stepEnd:
			g.State = "running"
		case d.Wait && tl.failAt == stepEnd:
			g.State = graphState[tl.failResult]
		case d.Wait && b.stopped && stepEnd >= b.stopAt.Sub(b.start):
			g.State = "aborted"
		}
		if rel >= stepEnd {
			total := (stepEnd - w).Milliseconds()
			g.TotalDurationMillis = &total
		}
		if child := it.build; child != nil && s.graphViewVersion() >= graphViewBuildStep {
			url := child.job.node.path() + strconv.Itoa(child.number) + "/"
			g.BuildStep = &graphBuildStep{ClassicURL: url, PipelineViewURL: url + "stages",
				DisplayName: child.job.node.fullDisplayName() + " #" + strconv.Itoa(child.number)}
		}
		steps = append(steps, g)
	}
	type data struct {
		Steps         []graphStep `json:"steps"`
		RunIsComplete bool        `json:"runIsComplete"`
	}
	resp := newResponse(http.StatusOK, "application/json;charset=UTF-8", mustJSON(struct {
		Status string `json:"status"`
		Data   data   `json:"data"`
	}{"ok", data{steps, complete}}))
	if complete {
		resp.header.Set("Cache-Control", "private, immutable, max-age=86400")
	} else {
		resp.header.Set("Cache-Control", "private, no-store")
	}
	return resp
}

// graphViewVersion is the installed pipeline-graph-view's version: the
// current one unless Options.GraphViewVersion says otherwise.
func (s *Server) graphViewVersion() int {
	if s.opts.GraphViewVersion > 0 {
		return s.opts.GraphViewVersion
	}
	return 1000
}

// downNodeID is the flow node id of build step k, after the stages' and
// the inputs'.
func (b *build) downNodeID(k int) string {
	return strconv.Itoa(6 + 5*len(b.script.Stages) + 2*len(b.script.Inputs) + 2*k)
}

// downStageID is the id of the stage a build step runs in; a step outside
// any stage belongs to the flow's start node, "2".
func (b *build) downStageID(d Downstream) string {
	if i := b.stageOf(Input{At: d.At, Stage: d.Stage}); i >= 0 {
		return stageNodeID(i)
	}
	return "2"
}
