package jenkinstest

import (
	"maps"
	"net/http"
	"strconv"
	"time"
)

// Script says what a queue item and its build do, on the clock.
type Script struct {
	// QuietPeriod is the WaitingItem phase; the trigger's delay parameter
	// overrides it.
	QuietPeriod time.Duration
	// QueueWait is the BuildableItem phase ("Waiting for next available
	// executor").
	QueueWait time.Duration
	// StartRace is how long the LeftItem shows executable:null,
	// cancelled:false before the build appears.
	StartRace time.Duration
	// NeverStarts keeps the LeftItem at executable:null for good.
	NeverStarts bool
	// CancelAfter, if > 0, cancels the item this long after it entered the
	// queue, if it is still queued then.
	CancelAfter time.Duration
	// Duration is the building phase.
	Duration time.Duration
	// Log lines are written at offsets from the build start.
	Log []LogLine
	// LogDelay is how long after the start the log file is created; until
	// then progressiveText answers X-Text-Size 0 and X-More-Data true.
	LogDelay time.Duration
	// SyntheticLog, if > 0, adds this many bytes of generated lines spread
	// evenly over Duration; they are generated on the fly, never stored.
	SyntheticLog int64
	// Result is the final result: SUCCESS, UNSTABLE, FAILURE, NOT_BUILT or
	// ABORTED ("" = SUCCESS).
	Result string
	// EarlyResult, if set, is the result shown while still building, from
	// EarlyResultAt on. Results only get worse, so the final result is the
	// worse of EarlyResult and Result.
	EarlyResult   string
	EarlyResultAt time.Duration
	// PostProduction (freestyle only) follows Duration: building:false,
	// inProgress:true, the log still growing.
	PostProduction time.Duration
	// EstimatedDuration is exported as estimatedDuration; 0 means -1.
	EstimatedDuration time.Duration
	// Stages and Inputs (Pipeline only) are the stages and input steps of
	// the build; see Stage and Input.
	Stages []Stage
	Inputs []Input
	// Tests is the JUnit report recorded at the end of the building phase;
	// nil means none (testReport/ is a 404).
	Tests *TestReport
	// Artifacts are the files the build archives (see Artifact).
	Artifacts []Artifact
	// Downstream are the builds of other jobs the build starts (see
	// Downstream).
	Downstream []Downstream
}

// LogLine is one console line.
type LogLine struct {
	At time.Duration
	// Text is written as is, without the trailing newline; it may contain
	// ANSI colours. In a pipeline, a line starting with "[Pipeline] " gets a
	// console note in front, as in real logs.
	Text string
	// Partial writes Text without its newline: the next line continues it.
	Partial bool
}

// TestReport is a JUnit result.
type TestReport struct{ Suites []TestSuite }

type TestSuite struct {
	Name  string
	Cases []TestCase
}

type TestCase struct {
	ClassName, Name string
	Status          string // PASSED, SKIPPED, FAILED, FIXED, REGRESSION
	Duration        float64
	ErrorDetails    string
}

// BuildRecord is what a test can check about a build.
type BuildRecord struct {
	Number, QueueID int
	// Params are the non-file parameter values as Jenkins received them
	// (booleans as "true"/"false", passwords in clear).
	Params map[string]string
	Files  map[string]UploadedFile
	// Result is the current result field: the final result once complete,
	// "" while running unless an early result was set.
	Result  string
	Aborted bool   // stopped through POST .../stop
	Trigger string // "build" or "buildWithParameters"
	// Started is when the build started; Completed is when Jenkins was done
	// with it (zero while it runs), so a benchmark can tell how late a
	// client noticed.
	Started, Completed time.Time
}

// abortDelay is how long a stopped build takes to wind down.
const abortDelay = time.Second

func defaultScript() Script {
	return Script{
		Duration: 2 * time.Second,
		Log: []LogLine{
			{At: 0, Text: "+ make"},
			{At: time.Second, Text: "building..."},
			{At: 2 * time.Second, Text: "done"},
		},
		Result: "SUCCESS",
	}
}

type build struct {
	job    *job
	number int
	item   *queueItem
	script Script
	start  time.Time
	log    *consoleLog

	stopped bool
	stopAt  time.Time
	stopBy  string

	pipe pipeRun // answers to input steps
	down downRun // the builds it started
}

func newBuild(j *job, number int, it *queueItem, start time.Time) *build {
	b := &build{job: j, number: number, item: it, script: it.script, start: start}
	if b.script.Result == "" {
		b.script.Result = "SUCCESS"
	}
	b.log = newConsoleLog(b)
	return b
}

// resultOrdinal orders results from best to worst (hudson.model.Result).
var resultOrdinal = map[string]int{"SUCCESS": 0, "UNSTABLE": 1, "FAILURE": 2, "NOT_BUILT": 3, "ABORTED": 4}

func worse(a, b string) string {
	if a == "" || resultOrdinal[b] > resultOrdinal[a] {
		return b
	}
	return a
}

// phases returns when the building phase ends and when the build completes,
// as offsets from the start, taking a stop into account.
func (b *build) phases() (endBuilding, complete time.Duration) {
	endBuilding = b.wallEnd(b.script.Duration)
	complete = endBuilding
	if !b.job.spec.Pipeline {
		complete += b.script.PostProduction
	} else {
		endBuilding, complete = b.pipelinePhases()
	}
	if b.stopped {
		complete = min(complete, b.stopAt.Sub(b.start)+abortDelay)
		endBuilding = min(endBuilding, complete)
	}
	return endBuilding, complete
}

func (b *build) completeAt() time.Time {
	_, c := b.phases()
	return b.start.Add(c)
}

func (b *build) finalResult() string {
	if b.stopped || b.rejectedBy(never) {
		return "ABORTED"
	}
	if r, cut := b.downstreamVerdict(); cut {
		return r
	}
	r := b.script.Result
	if b.script.EarlyResult != "" {
		r = worse(b.script.EarlyResult, r)
	}
	return worse(r, b.blockedResult())
}

type buildState struct {
	building, inProgress, complete bool
	result                         string // "" = null
}

func (b *build) state(now time.Time) buildState {
	rel := now.Sub(b.start)
	endBuilding, complete := b.phases()
	st := buildState{complete: rel >= complete}
	switch {
	case st.complete || rel >= endBuilding:
		st.result = b.finalResult()
	case b.stopped, b.rejectedBy(rel):
		st.result = "ABORTED"
	case b.script.EarlyResult != "" && rel >= b.wallOffset(b.script.EarlyResultAt):
		st.result = b.script.EarlyResult
	}
	st.inProgress = !st.complete
	if b.job.spec.Pipeline {
		st.building = st.result == "" || st.inProgress
	} else {
		st.building = rel < endBuilding
	}
	return st
}

// testsRecorded reports whether the JUnit report exists yet: it is recorded
// when the building phase ends normally.
func (b *build) testsRecorded(now time.Time) bool {
	endBuilding, _ := b.phases()
	return b.script.Tests != nil && !b.stopped && now.Sub(b.start) >= endBuilding
}

func (b *build) class() string {
	if b.job.spec.Pipeline {
		return "org.jenkinsci.plugins.workflow.job.WorkflowRun"
	}
	return "hudson.model.FreeStyleBuild"
}

func (s *Server) buildURL(rq *request, b *build) string {
	return s.rootOf(rq) + b.job.node.path() + strconv.Itoa(b.number) + "/"
}

// buildJSON is a Run as exported. Nested, depth 0 shows only _class, number
// and url (visibility 2).
func (s *Server) buildJSON(rq *request, b *build) *jobj {
	now := rq.now
	st := b.state(now)
	var result, executor any
	if st.result != "" {
		result = st.result
	}
	if !st.complete {
		executor = newObj("hudson.model.Executor")
	}
	duration := int64(0)
	if st.complete {
		_, c := b.phases()
		duration = c.Milliseconds()
	}
	est := int64(-1)
	if b.script.EstimatedDuration > 0 {
		est = b.script.EstimatedDuration.Milliseconds()
	}
	actions := []any{}
	if b.item.params != nil {
		actions = append(actions, parametersAction(b.item.params))
	}
	actions = append(actions, b.item.cause.action(), newObj(""))
	if b.testsRecorded(now) {
		fail, skip, total := b.script.Tests.counts()
		actions = append(actions, newObj("hudson.tasks.junit.TestResultAction").
			addVis("failCount", 2, fail).
			addVis("skipCount", 2, skip).
			addVis("totalCount", 2, total).
			addVis("urlName", 2, "testReport"))
	}
	if b.job.spec.Pipeline {
		actions = append(actions, newObj("org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"), newObj(""))
	}
	actions = append(actions, s.inputActions(b, now)...)
	actions = append(actions, s.downstreamActions(rq, b)...)
	o := newObj(b.class()).
		add("actions", actions).
		add("artifacts", artifactsJSON(b.artifacts(now))).
		add("building", st.building).
		add("description", nil).
		add("displayName", "#"+strconv.Itoa(b.number)).
		add("duration", duration).
		add("estimatedDuration", est).
		add("executor", executor).
		add("fullDisplayName", b.job.node.fullDisplayName()+" #"+strconv.Itoa(b.number)).
		add("id", strconv.Itoa(b.number)).
		add("keepLog", false).
		addVis("number", 2, b.number).
		add("queueId", b.item.id).
		add("result", result).
		add("timestamp", ms(b.start)).
		addVis("url", 2, s.buildURL(rq, b))
	if !s.opts.Legacy { // exported since 2.369
		o.add("inProgress", st.inProgress)
	}
	if b.job.spec.Pipeline {
		o.add("changeSets", []any{}).
			add("culprits", []any{}).
			add("nextBuild", s.neighbour(rq, b, +1)).
			add("previousBuild", s.neighbour(rq, b, -1))
	} else {
		o.add("builtOn", "").
			add("changeSet", newObj("hudson.scm.EmptyChangeLogSet").add("items", []any{}).add("kind", nil)).
			add("culprits", []any{})
	}
	return o
}

// neighbour is WorkflowRun's previousBuild/nextBuild: the declared type is
// the real one, so there is no _class.
func (s *Server) neighbour(rq *request, b *build, dir int) any {
	builds := b.job.builds
	for i, o := range builds {
		if o == b && i+dir >= 0 && i+dir < len(builds) {
			n := builds[i+dir]
			return newObj("").addVis("number", 2, n.number).addVis("url", 2, s.buildURL(rq, n))
		}
	}
	return nil
}

func (s *Server) routeBuild(rq *request, b *build, rest []string) *response {
	switch {
	case len(rest) == 0:
		return objectPage(rq, b.job.node.fullDisplayName()+" #"+strconv.Itoa(b.number))
	case isPath(rest, "api", "json"):
		return s.jsonResponse(rq.r, s.buildJSON(rq, b))
	case isPath(rest, "logText", "progressiveText"):
		return s.progressiveText(rq, b)
	case isPath(rest, "consoleText"):
		return s.consoleText(rq, b)
	case isPath(rest, "stop"), b.job.spec.Pipeline && (isPath(rest, "term") || isPath(rest, "kill")):
		return s.stop(rq, b)
	case rest[0] == "artifact":
		return s.serveArtifact(rq, b, rest[1:])
	case isPath(rest, "testReport"), isPath(rest, "testReport", "api", "json"):
		if !b.testsRecorded(rq.now) {
			return notFound()
		}
		if len(rest) == 1 {
			return objectPage(rq, "Test Result")
		}
		return s.jsonResponse(rq.r, b.script.Tests.json(b.number))
	}
	if resp := s.routePipeline(rq, b, rest); resp != nil {
		return resp
	}
	return notFound()
}

// stop is Run.doStop: the build is aborted and winds down within
// abortDelay; on a finished build it is a harmless 302.
func (s *Server) stop(rq *request, b *build) *response {
	if rq.r.Method != http.MethodPost {
		return methodNotAllowed()
	}
	if !s.canBuild(rq.c) {
		return s.forbidden(rq, "hudson.model.Item.Cancel")
	}
	if !b.stopped && !b.state(rq.now).complete {
		b.stopped, b.stopAt, b.stopBy = true, rq.now, rq.c.name()
		s.stopDownstream(b, rq.now)
	}
	if ref := rq.r.Header.Get("Referer"); ref != "" {
		return emptyResponse(http.StatusFound, ref)
	}
	return redirect(rq.r, http.StatusFound, s.ctx+"/"+b.job.node.path()+strconv.Itoa(b.number)+"/")
}

// Builds returns the job's builds so far, oldest first.
func (s *Server) Builds(fullName string) []BuildRecord {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	j := s.lookup(fullName)
	if j == nil {
		return nil
	}
	out := make([]BuildRecord, 0, len(j.builds))
	for _, b := range j.builds {
		params := map[string]string{}
		for _, p := range b.item.params {
			if !p.def.isFile() {
				params[p.def.Name] = p.value
			}
		}
		st := b.state(now)
		rec := BuildRecord{
			Number: b.number, QueueID: b.item.id, Params: params, Files: maps.Clone(b.item.files),
			Result: st.result, Aborted: b.stopped, Trigger: b.item.trigger, Started: b.start,
		}
		if st.complete {
			rec.Completed = b.completeAt()
		}
		out = append(out, rec)
	}
	return out
}

// cause is the CauseAction of an item and its build.
type cause struct {
	user   string // UserIdCause; "" = anonymous
	remote bool   // RemoteCause from a build token
	addr   string
	// note is the cause parameter; nil when none was sent, as an empty
	// one is a note still.
	note *string
	// upstream, if set, is the build that started this one.
	upstream *upstreamCause
	// folded are the upstream causes of build steps whose requests the
	// item absorbed (CauseAction.foldIntoExisting).
	folded []*upstreamCause
}

func (c cause) shortDescription() string {
	if c.upstream != nil {
		return c.upstream.shortDescription()
	}
	if c.remote {
		d := "Started by remote host " + c.addr
		if c.note != nil {
			d += " with note: " + *c.note
		}
		return d
	}
	return "Started by user " + c.userName()
}

func (c cause) userName() string {
	if c.user == "" {
		return "anonymous"
	}
	return c.user
}

func (c cause) action() *jobj {
	var o *jobj
	switch {
	case c.upstream != nil:
		o = c.upstream.json()
	case c.remote:
		var note any
		if c.note != nil {
			note = *c.note
		}
		o = newObj("hudson.model.Cause$RemoteCause").
			addVis("shortDescription", 3, c.shortDescription()).
			addVis("addr", 3, c.addr).
			addVis("note", 3, note)
	default:
		var id any
		if c.user != "" {
			id = c.user
		}
		o = newObj("hudson.model.Cause$UserIdCause").
			addVis("shortDescription", 3, c.shortDescription()).
			addVis("userId", 3, id).
			addVis("userName", 3, c.userName())
	}
	causes := []any{o}
	for _, u := range c.folded {
		causes = append(causes, u.json())
	}
	return newObj("hudson.model.CauseAction").addVis("causes", 2, causes)
}

func (t *TestReport) counts() (fail, skip, total int) {
	for _, s := range t.Suites {
		for _, c := range s.Cases {
			total++
			switch c.Status {
			case "FAILED", "REGRESSION":
				fail++
			case "SKIPPED":
				skip++
			}
		}
	}
	return fail, skip, total
}

// json is hudson.tasks.junit.TestResult of build number as exported (junit
// uses visibility 9 throughout, so depth 0 shows everything; suites and
// cases are of their declared types, so they have no _class).
func (t *TestReport) json(number int) *jobj {
	const vis = 9
	fail, skip, total := t.counts()
	var duration float64
	suites := []any{}
	for _, su := range t.Suites {
		var sd float64
		cases := []any{}
		for _, c := range su.Cases {
			sd += c.Duration
			failed := c.Status == "FAILED" || c.Status == "REGRESSION"
			var details any
			if c.ErrorDetails != "" {
				details = c.ErrorDetails
			}
			age, since := 0, 0
			if failed {
				age, since = 1, number
			}
			cases = append(cases, newObj("").
				addVis("testActions", vis, []any{}).
				addVis("age", vis, age).
				addVis("className", vis, c.ClassName).
				addVis("duration", vis, c.Duration).
				addVis("errorDetails", vis, details).
				addVis("errorStackTrace", vis, details).
				addVis("failedSince", vis, since).
				addVis("name", vis, c.Name).
				addVis("skipped", vis, c.Status == "SKIPPED").
				addVis("skippedMessage", vis, nil).
				addVis("status", vis, c.Status).
				addVis("stderr", vis, nil).
				addVis("stdout", vis, nil))
		}
		duration += sd
		suites = append(suites, newObj("").
			addVis("cases", vis, cases).
			addVis("duration", vis, sd).
			addVis("enclosingBlockNames", vis, []any{}).
			addVis("enclosingBlocks", vis, []any{}).
			addVis("id", vis, nil).
			addVis("name", vis, su.Name).
			addVis("nodeId", vis, nil).
			addVis("stderr", vis, nil).
			addVis("stdout", vis, nil).
			addVis("timestamp", vis, nil))
	}
	return newObj("hudson.tasks.junit.TestResult").
		add("testActions", []any{}).
		add("duration", duration).
		add("empty", total == 0).
		add("failCount", fail).
		add("passCount", total-fail-skip).
		add("skipCount", skip).
		add("suites", suites)
}
