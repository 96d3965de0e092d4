package jenkinstest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Pipeline build runs on two time axes. Script offsets (Stage.Start,
// Input.At, LogLine.At, Duration) are on the script's own timeline, which
// stops while an input step waits; wall offsets are from the build start on
// the clock. The timeline below maps one onto the other from the script and
// the answers recorded so far, so every state is still derived from the
// clock on each request.

// Stage is one stage of a Pipeline build, on the script's timeline.
type Stage struct {
	Name string
	// Start and Duration place the stage on the script's timeline; a pause
	// for input inside it lengthens it, and a pause before it moves it.
	Start, Duration time.Duration
	// Result is how the stage ends: SUCCESS (""), FAILURE, UNSTABLE,
	// ABORTED, or NOT_EXECUTED for a stage skipped by `when`. For a parent
	// it is the whole block's result, as graph view shows it; wfapi cuts a
	// parent off at its first child and shows SUCCESS, like Jenkins.
	Result string
	// Error is the failure message wfapi shows for a FAILURE stage; "" means
	// "script returned exit code 1".
	Error string
	// Parent names the enclosing stage; "" (or an unknown name) is top
	// level. wfapi lists every stage flat; graph view nests them.
	Parent string
	// Parallel marks a branch of Parent's parallel block.
	Parallel bool
}

// Input is an input step. While any input waits, the script's timeline
// stops: later log lines, stages and the end move by the pause.
type Input struct {
	// At is the script offset at which the step starts waiting. Inputs at
	// the same offset wait together, as in parallel branches.
	At time.Duration
	// Stage names the stage the step runs in; "" means the innermost stage
	// whose span holds At.
	Stage string
	// ID is the id as declared: Jenkins capitalises its first character if
	// it is a-z. "" means the capitalised MD5 hex of Message.
	ID      string
	Message string
	// OK and Cancel are the button texts; "" means "Proceed" and "Abort".
	OK, Cancel string
	// Submitter is the comma-separated list of users who may proceed; ""
	// means anyone with Job/Build.
	Submitter string
	// Params are the input's parameters; with any, the console shows only
	// "Input requested".
	Params []ParamDef
	// AnswerBy, if "proceed" or "abort", has someone else (Answerer, ""
	// meaning "admin") answer AnsweredAfter after the step starts waiting,
	// unless it was answered before. "" waits for good.
	AnswerBy      string
	AnsweredAfter time.Duration
	Answerer      string
}

// InputAnswer is an answer to an input step received over HTTP.
type InputAnswer struct {
	Build int
	ID    string
	// Action is the endpoint: "proceed", "proceedEmpty", "abort", "submit"
	// (input/<Id>/...) or "inputSubmit" (wfapi/inputSubmit).
	Action string
	// Rejected is true when the answer aborted the build (abort, or submit
	// without proceed).
	Rejected bool
	By       string // user id, "anonymous" without one
	// Params are the parameter values the pipeline received: only those
	// sent, booleans as bool, others as string; nil when none were sent.
	Params map[string]any
	At     time.Time
}

// never is a wall offset that is not reached: the end of a pause nobody
// has answered yet, or anything after it.
const never = time.Duration(1 << 62)

const inputActionClass = "org.jenkinsci.plugins.workflow.support.steps.input.InputAction"

// pipeRun is the mutable Pipeline state of a build: the answers given over
// HTTP, at wall offsets.
type pipeRun struct {
	answers []answer
}

type answer struct {
	input  int // index in Script.Inputs
	at     time.Duration
	reject bool
	user   string // "" = anonymous
	rec    InputAnswer
}

// inputState is where an input is on the wall axis.
type inputState struct {
	start, end time.Duration // waiting in [start, end); never = not known
	reject     bool          // it ended the build
	proceeded  bool
	approvedBy string // the user who proceeded it ("" = anonymous)
}

type pauseGroup struct{ at, start, end time.Duration }

type timeline struct {
	groups   []pauseGroup // by script offset
	inputs   []inputState // by index in Script.Inputs
	downs    []inputState // by index in Script.Downstream; only waited ones pause
	rejectAt time.Duration
	rejectBy string // "" = anonymous
	// failAt is when a propagating build step failed the build with
	// failResult, or never.
	failAt     time.Duration
	failResult string
}

func sat(d time.Duration) time.Duration {
	if d >= never || d < 0 {
		return never
	}
	return d
}

// timeline lays the script's pauses out on the wall axis.
func (b *build) timeline() *timeline {
	ins := b.script.Inputs
	tl := &timeline{inputs: make([]inputState, len(ins)), downs: make([]inputState, len(b.script.Downstream)),
		rejectAt: never, failAt: never}
	for k := range tl.downs {
		tl.downs[k] = inputState{start: never, end: never}
	}
	// Waits are the inputs, then the waited build steps at len(ins)+k.
	var waits []int
	for i := range ins {
		waits = append(waits, i)
	}
	for k, d := range b.script.Downstream {
		if d.Wait {
			waits = append(waits, len(ins)+k)
		}
	}
	if len(waits) == 0 {
		return tl
	}
	waitAt := func(i int) time.Duration {
		if i < len(ins) {
			return ins[i].At
		}
		return b.script.Downstream[i-len(ins)].At
	}
	stopAt := never
	if b.stopped {
		stopAt = b.stopAt.Sub(b.start)
	}
	order := waits
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(waitAt(x), waitAt(y)) })
	var shift time.Duration
	for k := 0; k < len(order); {
		at := waitAt(order[k])
		j := k
		for j < len(order) && waitAt(order[j]) == at {
			j++
		}
		group := order[k:j]
		k = j
		w := sat(at + shift)
		if w >= never || stopAt < w {
			for _, i := range group {
				if i < len(ins) {
					tl.inputs[i] = inputState{start: never, end: never}
				}
			}
			tl.groups = append(tl.groups, pauseGroup{at: at, start: never, end: never})
			shift = never
			continue
		}
		interrupt, end := never, w
		failed, failResult := false, ""
		for _, i := range group {
			st := inputState{start: w, end: never}
			if i >= len(ins) {
				var fails bool
				var res string
				st.end, res, fails = b.downWait(i-len(ins), w)
				if fails && st.end < interrupt {
					interrupt, failed, failResult = st.end, true, res
				}
				end = max(end, st.end)
				tl.downs[i-len(ins)] = st
				continue
			}
			var by string
			if a := b.pipe.answerTo(i); a != nil {
				st.end, st.reject, by = a.at, a.reject, a.user
			} else if in := ins[i]; in.AnswerBy == "proceed" || in.AnswerBy == "abort" {
				st.end, st.reject, by = sat(w+in.AnsweredAfter), in.AnswerBy == "abort", cmp.Or(in.Answerer, "admin")
			}
			if st.end < never && !st.reject {
				st.proceeded, st.approvedBy = true, by
			}
			if st.reject && st.end < interrupt {
				interrupt, tl.rejectBy, failed = st.end, by, false
			}
			end = max(end, st.end)
			tl.inputs[i] = st
		}
		rejected := interrupt < never && !failed
		if stopAt < min(end, interrupt) { // a stop aborts what still waits
			interrupt, rejected, failed = stopAt, false, false
		}
		if interrupt < never {
			for _, i := range group {
				if i >= len(ins) {
					tl.downs[i-len(ins)].end = min(tl.downs[i-len(ins)].end, interrupt)
				} else if st := &tl.inputs[i]; st.end > interrupt {
					st.end, st.reject, st.proceeded, st.approvedBy = interrupt, false, false, ""
				}
			}
			switch {
			case rejected:
				tl.rejectAt = interrupt
			case failed:
				tl.failAt, tl.failResult = interrupt, failResult
			}
			end = never // the script never resumes
		}
		tl.groups = append(tl.groups, pauseGroup{at: at, start: w, end: end})
		shift = sat(shift + end - w)
	}
	return tl
}

// wall maps a script offset to the wall axis. Things at an input's own
// offset happen before its pause unless incl, which the build's end uses.
func (tl *timeline) wall(x time.Duration, incl bool) time.Duration {
	var shift time.Duration
	for _, g := range tl.groups {
		if g.at > x || (g.at == x && !incl) {
			break
		}
		if g.end >= never {
			return never
		}
		shift += g.end - g.start
	}
	return sat(x + shift)
}

// script maps a wall offset back to the script's timeline.
func (tl *timeline) script(w time.Duration) time.Duration {
	var shift time.Duration
	for _, g := range tl.groups {
		if w < g.start {
			break
		}
		if w < g.end {
			return g.at
		}
		shift += g.end - g.start
	}
	return w - shift
}

// scriptOffset is script for a build; a build without waits has no pauses.
func (b *build) scriptOffset(w time.Duration) time.Duration {
	if !b.pauses() {
		return w
	}
	return b.timeline().script(w)
}

// wallOffset maps a script offset of a build to the wall axis.
func (b *build) wallOffset(x time.Duration) time.Duration {
	if !b.pauses() {
		return x
	}
	return b.timeline().wall(x, false)
}

// pipelinePhases is phases for a Pipeline before a stop: there is no
// post-production, pauses move the end, and a rejected input ends the build
// abortDelay after the answer.
func (b *build) pipelinePhases() (endBuilding, complete time.Duration) {
	tl := b.timeline()
	end := tl.wall(b.script.Duration, true)
	if tl.rejectAt < never {
		end = min(end, tl.rejectAt+abortDelay)
	}
	end = min(end, tl.failAt)
	return end, end
}

// rejectedBy reports whether an input was rejected at or before the wall
// offset rel.
func (b *build) rejectedBy(rel time.Duration) bool {
	if len(b.script.Inputs) == 0 {
		return false
	}
	at := b.timeline().rejectAt
	return at < never && at <= rel
}

func (pr *pipeRun) answerTo(i int) *answer {
	for k := range pr.answers {
		if pr.answers[k].input == i {
			return &pr.answers[k]
		}
	}
	return nil
}

// inputID is InputStep.setId: the first character upper-cased if it is
// a-z; the default is the MD5 hex of the message.
func inputID(in Input) string {
	id := in.ID
	if id == "" {
		id = md5hex(in.Message)
	}
	if id[0] >= 'a' && id[0] <= 'z' {
		id = string(id[0]-'a'+'A') + id[1:]
	}
	return id
}

// interruptAt is the wall offset at which a stop or a rejection cut the
// build short, or never.
func (b *build) interruptAt(tl *timeline) time.Duration {
	at := min(tl.rejectAt, tl.failAt)
	if b.stopped {
		at = min(at, b.stopAt.Sub(b.start))
	}
	return at
}

// stageOf returns the index of the stage an input runs in, or -1.
func (b *build) stageOf(in Input) int {
	stages := b.script.Stages
	if in.Stage != "" {
		return slices.IndexFunc(stages, func(s Stage) bool { return s.Name == in.Stage })
	}
	for i := len(stages) - 1; i >= 0; i-- {
		if s := stages[i]; s.Start <= in.At && in.At < s.Start+s.Duration {
			return i
		}
	}
	return -1
}

// parentOf returns the index of a stage's parent, or -1.
func (b *build) parentOf(i int) int {
	p := b.script.Stages[i].Parent
	if p == "" {
		return -1
	}
	j := slices.IndexFunc(b.script.Stages, func(s Stage) bool { return s.Name == p })
	if j == i {
		return -1
	}
	return j
}

// within reports whether stage i is stage anc or nested in it.
func (b *build) within(i, anc int) bool {
	for seen := 0; i >= 0 && seen <= len(b.script.Stages); seen++ {
		if i == anc {
			return true
		}
		i = b.parentOf(i)
	}
	return false
}

// stageRun is a stage as it stands at a wall offset.
type stageRun struct {
	index      int
	start, end time.Duration // wall; end is meaningful once done
	done       bool
	paused     bool   // running, and an input in it waits
	result     string // once done
	pause      time.Duration
}

// stageRuns returns the stages that have started by rel, in start order.
func (b *build) stageRuns(rel time.Duration, tl *timeline) []stageRun {
	stop := b.interruptAt(tl)
	_, complete := b.phases()
	var out []stageRun
	for i, s := range b.script.Stages {
		start := tl.wall(s.Start, false)
		if start > rel || start > stop {
			continue
		}
		r := stageRun{index: i, start: start, end: tl.wall(s.Start+s.Duration, false)}
		switch {
		case r.end > stop: // cut short: aborted once the build winds down
			r.end, r.done, r.result = complete, rel >= complete, "ABORTED"
		case rel >= r.end:
			r.done, r.result = true, cmp.Or(s.Result, "SUCCESS")
		}
		for k, in := range b.script.Inputs {
			st := tl.inputs[k]
			if st.start > rel || !b.within(b.stageOf(in), i) {
				continue
			}
			waitEnd := min(st.end, rel, complete)
			r.pause += max(waitEnd-st.start, 0)
			if !r.done && rel < st.end {
				r.paused = true
			}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(x, y stageRun) int { return cmp.Compare(x.start, y.start) })
	return out
}

// pendingInputs returns the indexes of the inputs waiting at rel, in the
// order they started.
func (b *build) pendingInputs(rel time.Duration, tl *timeline) []int {
	var out []int
	for i, st := range tl.inputs {
		if st.start <= rel && rel < st.end {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(x, y int) int { return cmp.Compare(tl.inputs[x].start, tl.inputs[y].start) })
	return out
}

// inputStarted reports whether any input step has started by rel, which
// is when Jenkins adds the InputAction to the run.
func (b *build) inputStarted(rel time.Duration, tl *timeline) bool {
	return slices.ContainsFunc(tl.inputs, func(st inputState) bool { return st.start <= rel })
}

// timedPiece is a console piece on the wall axis with its tie-breakers:
// rank orders kinds of lines at the same moment, seq lines of one kind.
type timedPiece struct {
	at        time.Duration
	rank, seq int
	p         piece
}

// Ranks at one moment: stages ending, stages starting, the script's lines,
// input prompts, then answers.
const (
	rankEnd = iota
	rankStart
	rankLog
	rankInput
	rankAnswer
)

// pipelinePieces places the script's log pieces (at script offsets) on the
// wall axis and merges in the stage and input lines.
func (b *build) pipelinePieces(scriptPieces []piece) []piece {
	if !b.job.spec.Pipeline {
		return scriptPieces
	}
	tl := b.timeline()
	var tps []timedPiece
	add := func(at time.Duration, rank, seq int, texts ...string) {
		for _, t := range texts {
			if strings.HasPrefix(t, "[Pipeline] ") {
				tps = append(tps, timedPiece{at, rank, seq, note(t)})
			}
			tps = append(tps, timedPiece{at, rank, seq, piece{text: t + "\n"}})
		}
	}
	lines := func(at time.Duration, rank, seq int, texts ...string) {
		add(tl.wall(max(at, b.script.LogDelay), false), rank, seq, texts...)
	}
	for i, p := range scriptPieces {
		tps = append(tps, timedPiece{tl.wall(p.at, false), rankLog, i, p})
	}
	stages := b.script.Stages
	for i, s := range stages {
		open, closing := b.stageLines(i)
		lines(s.Start, rankStart, 2*i, open...)
		endRank, endSeq := rankEnd, -2*i
		if s.Duration <= 0 { // a skipped stage opens and closes at once
			endRank, endSeq = rankStart, 2*i+1
		}
		lines(s.Start+s.Duration, endRank, endSeq, closing...)
	}
	// A parallel block opens before its first branch and closes after its
	// last one.
	for p := range stages {
		first, last := -1, -1
		for i, s := range stages {
			if s.Parallel && b.parentOf(i) == p {
				if first < 0 || s.Start < stages[first].Start {
					first = i
				}
				if last < 0 || s.Start+s.Duration > stages[last].Start+stages[last].Duration {
					last = i
				}
			}
		}
		if first >= 0 {
			lines(stages[first].Start, rankStart, 2*first-1, "[Pipeline] parallel")
			lines(stages[last].Start+stages[last].Duration, rankEnd, -2*p-1, "[Pipeline] // parallel")
		}
	}
	for i, in := range b.script.Inputs {
		st := tl.inputs[i]
		if st.start >= never {
			continue
		}
		if len(in.Params) > 0 {
			add(st.start, rankInput, i, "[Pipeline] input")
			tps = append(tps, timedPiece{st.start, rankInput, i, note("input requested " + inputID(in))},
				timedPiece{st.start, rankInput, i, piece{text: "Input requested\n"}})
		} else {
			add(st.start, rankInput, i, "[Pipeline] input", in.Message)
			tps = append(tps,
				timedPiece{st.start, rankInput, i, note("proceed " + inputID(in))},
				timedPiece{st.start, rankInput, i, piece{text: cmp.Or(in.OK, "Proceed") + " or "}},
				timedPiece{st.start, rankInput, i, note("abort " + inputID(in))},
				timedPiece{st.start, rankInput, i, piece{text: cmp.Or(in.Cancel, "Abort") + "\n"}})
		}
		if st.proceeded && st.approvedBy != "" {
			tps = append(tps, timedPiece{st.end, rankAnswer, i, piece{text: "Approved by " + st.approvedBy + "\n"}})
		}
	}
	slices.SortStableFunc(tps, func(x, y timedPiece) int {
		return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.rank, y.rank), cmp.Compare(x.seq, y.seq))
	})
	out := make([]piece, len(tps))
	for i, tp := range tps {
		out[i] = tp.p
		out[i].at = tp.at
	}
	return out
}

// stageLines returns the lines that open and close stage i, as Declarative
// prints them.
func (b *build) stageLines(i int) (open, closing []string) {
	s := b.script.Stages[i]
	if s.Parallel && b.parentOf(i) >= 0 {
		open = append(open, "[Pipeline] { (Branch: "+s.Name+")")
	}
	open = append(open, "[Pipeline] stage", "[Pipeline] { ("+s.Name+")")
	if s.Result == "NOT_EXECUTED" {
		open = append(open, `Stage "`+s.Name+`" skipped due to when conditional`)
	}
	closing = []string{"[Pipeline] }", "[Pipeline] // stage"}
	if s.Parallel && b.parentOf(i) >= 0 {
		closing = append(closing, "[Pipeline] }")
	}
	return open, closing
}

// unwindPieces are the closing lines of the stages a stop or a rejection
// cut short, innermost first, written as the build winds down.
func (b *build) unwindPieces() []piece {
	if !b.job.spec.Pipeline || len(b.script.Stages) == 0 {
		return nil
	}
	tl := b.timeline()
	stop := b.interruptAt(tl)
	if stop >= never {
		return nil
	}
	var out []piece
	for i := len(b.script.Stages) - 1; i >= 0; i-- {
		s := b.script.Stages[i]
		if tl.wall(s.Start, false) > stop || tl.wall(s.Start+s.Duration, false) <= stop {
			continue
		}
		_, closing := b.stageLines(i)
		for _, t := range closing {
			out = append(out, note(t), piece{text: t + "\n"})
		}
	}
	return out
}

// rejectionPieces is what WorkflowRun.finish prints for a rejected input.
func (b *build) rejectionPieces() []piece {
	if len(b.script.Inputs) == 0 {
		return nil
	}
	tl := b.timeline()
	if tl.rejectAt >= never || (b.stopped && b.stopAt.Sub(b.start) < tl.rejectAt) {
		return nil
	}
	if tl.rejectBy == "" {
		return []piece{{text: "Rejected\n"}}
	}
	return []piece{{text: "Rejected by " + tl.rejectBy + "\n"}}
}

// routePipeline serves the Pipeline parts of a build: input steps, wfapi
// and graph view. It returns nil for any other path.
func (s *Server) routePipeline(rq *request, b *build, rest []string) *response {
	if !b.job.spec.Pipeline || len(rest) == 0 {
		return nil
	}
	switch {
	case rest[0] == "input":
		return s.routeInput(rq, b, rest[1:])
	case rest[0] == "wfapi" && s.opts.WFAPI:
		return s.routeWFAPI(rq, b, rest[1:])
	case rest[0] == s.opts.GraphView && s.opts.GraphView != "":
		switch {
		case len(rest) == 1:
			return objectPage(rq, "Stages")
		case isPath(rest[1:], "tree"):
			return s.graphTree(rq, b)
		case isPath(rest[1:], "allSteps"):
			return s.graphAllSteps(rq, b)
		}
	}
	return nil
}

// wfapi status names (StatusExt).
var wfStatus = map[string]string{
	"SUCCESS": "SUCCESS", "FAILURE": "FAILED", "UNSTABLE": "UNSTABLE", "ABORTED": "ABORTED",
	"NOT_BUILT": "NOT_EXECUTED", "NOT_EXECUTED": "NOT_EXECUTED",
}

type wfHref struct {
	Href string `json:"href"`
}

type wfLinks struct {
	Self                   *wfHref `json:"self,omitempty"`
	Log                    *wfHref `json:"log,omitempty"`
	PendingInputActions    *wfHref `json:"pendingInputActions,omitempty"`
	NextPendingInputAction *wfHref `json:"nextPendingInputAction,omitempty"`
}

type wfError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

type wfNode struct {
	Links                wfLinks   `json:"_links"`
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ExecNode             string    `json:"execNode"`
	Status               string    `json:"status"`
	Error                *wfError  `json:"error,omitempty"`
	ParameterDescription string    `json:"parameterDescription,omitempty"`
	StartTimeMillis      int64     `json:"startTimeMillis"`
	DurationMillis       int64     `json:"durationMillis"`
	PauseDurationMillis  int64     `json:"pauseDurationMillis"`
	StageFlowNodes       *[]wfNode `json:"stageFlowNodes,omitempty"` // only with fullStages
	ParentNodes          []string  `json:"parentNodes,omitempty"`
}

type wfRun struct {
	Links               wfLinks  `json:"_links"`
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Status              string   `json:"status"`
	StartTimeMillis     int64    `json:"startTimeMillis"`
	EndTimeMillis       int64    `json:"endTimeMillis"`
	DurationMillis      int64    `json:"durationMillis"`
	QueueDurationMillis int64    `json:"queueDurationMillis"`
	PauseDurationMillis int64    `json:"pauseDurationMillis"`
	Stages              []wfNode `json:"stages"`
}

// Flow node ids are decimal, like Jenkins'; stage i and input k get fixed
// ones so that both APIs agree.
func stageNodeID(i int) string { return strconv.Itoa(6 + 5*i) }

func (b *build) inputNodeID(k int) string {
	return strconv.Itoa(6 + 5*len(b.script.Stages) + 2*k)
}

// buildPath is the build's path under the context path, with a trailing
// slash: /jenkins/job/x/1/.
func (s *Server) buildPath(b *build) string {
	return s.ctx + "/" + b.job.node.path() + strconv.Itoa(b.number) + "/"
}

func (s *Server) routeWFAPI(rq *request, b *build, rest []string) *response {
	switch {
	case len(rest) == 0, isPath(rest, "describe"):
		return wfJSON(s.wfDescribe(rq, b))
	case isPath(rest, "pendingInputActions"):
		return wfJSON(s.pendingInputActions(rq, b))
	case isPath(rest, "nextPendingInputAction"):
		var next any
		if p := s.pendingInputActions(rq, b); len(p) > 0 {
			next = p[0]
		}
		return wfJSON(next)
	case isPath(rest, "inputSubmit"):
		return s.inputSubmit(rq, b)
	}
	return notFound()
}

// wfDescribe is RunExt: the run and its stages, flat, as they stand.
func (s *Server) wfDescribe(rq *request, b *build) wfRun {
	rel := rq.now.Sub(b.start)
	tl := b.timeline()
	st := b.state(rq.now)
	base := s.buildPath(b)
	pending := b.pendingInputs(rel, tl)
	run := wfRun{
		ID: strconv.Itoa(b.number), Name: "#" + strconv.Itoa(b.number),
		StartTimeMillis:     ms(b.start),
		QueueDurationMillis: b.start.Sub(b.item.entered).Milliseconds(),
		Stages:              []wfNode{},
	}
	run.Links.Self = &wfHref{base + "wfapi/describe"}
	if len(pending) > 0 {
		run.Links.PendingInputActions = &wfHref{base + "wfapi/pendingInputActions"}
		run.Links.NextPendingInputAction = &wfHref{base + "wfapi/nextPendingInputAction"}
	}
	end := rq.now
	switch {
	case st.complete:
		run.Status = wfStatus[b.finalResult()]
		end = b.completeAt()
	case len(pending) > 0:
		run.Status = "PAUSED_PENDING_INPUT"
	default:
		run.Status = "IN_PROGRESS"
	}
	run.EndTimeMillis = ms(end)
	run.DurationMillis = end.Sub(b.start).Milliseconds()
	full := rq.r.URL.Query().Get("fullStages") == "true"
	runs := b.stageRuns(rel, tl)
	lastRun := -1 // the final chunk of a completed build takes the run's result
	for k, r := range runs {
		if b.script.Stages[r.index].Result != "NOT_EXECUTED" {
			lastRun = k
		}
	}
	for k, r := range runs {
		sg := b.script.Stages[r.index]
		n := wfNode{ID: stageNodeID(r.index), Name: sg.Name, StartTimeMillis: ms(b.start.Add(r.start)),
			PauseDurationMillis: r.pause.Milliseconds()}
		n.Links.Self = &wfHref{base + "execution/node/" + n.ID + "/wfapi/describe"}
		end := rel
		switch {
		case r.done:
			n.Status, end = wfStatus[r.result], r.end
		case r.paused:
			n.Status = "PAUSED_PENDING_INPUT"
		default:
			n.Status = "IN_PROGRESS"
		}
		// A parent's chunk ends where its first child starts (1.17).
		for _, c := range runs {
			if b.parentOf(c.index) == r.index && c.start <= end {
				end, n.Status, n.PauseDurationMillis = c.start, "SUCCESS", 0
			}
		}
		if st.complete && k == lastRun {
			n.Status = wfStatus[b.finalResult()]
		}
		if n.Status == "FAILED" {
			n.Error = &wfError{Message: cmp.Or(sg.Error, "script returned exit code 1"), Type: "hudson.AbortException"}
		}
		n.DurationMillis = (end - r.start).Milliseconds()
		if full {
			nodes := s.wfInputNodes(b, r.index, rel, tl, n.ID)
			n.StageFlowNodes = &nodes
		}
		run.Stages = append(run.Stages, n)
	}
	return run
}

// wfInputNodes are the input steps of a stage as atom flow nodes: the fake
// models no other steps.
func (s *Server) wfInputNodes(b *build, stage int, rel time.Duration, tl *timeline, parent string) []wfNode {
	base := s.buildPath(b)
	out := []wfNode{}
	for k, in := range b.script.Inputs {
		st := tl.inputs[k]
		if st.start > rel || b.stageOf(in) != stage {
			continue
		}
		id := b.inputNodeID(k)
		n := wfNode{ID: id, Name: "Wait for interactive input", Status: "SUCCESS", ParameterDescription: in.Message,
			StartTimeMillis: ms(b.start.Add(st.start)), ParentNodes: []string{parent}}
		n.Links.Self = &wfHref{base + "execution/node/" + id + "/wfapi/describe"}
		n.Links.Log = &wfHref{base + "execution/node/" + id + "/wfapi/log"}
		end := min(st.end, rel)
		switch {
		case rel < st.end:
			n.Status = "PAUSED_PENDING_INPUT"
		case !st.proceeded:
			n.Status = "ABORTED"
		}
		n.DurationMillis = (end - st.start).Milliseconds()
		n.PauseDurationMillis = n.DurationMillis
		out = append(out, n)
	}
	return out
}

// wfJSON is ServeJson: Jackson output, no caching headers, tree= ignored.
func wfJSON(v any) *response {
	return newResponse(http.StatusOK, "application/json; charset=UTF-8", mustJSON(v))
}

// graph view state names (PipelineState).
var graphState = map[string]string{
	"SUCCESS": "success", "FAILURE": "failure", "UNSTABLE": "unstable", "ABORTED": "aborted",
	"NOT_EXECUTED": "skipped", "NOT_BUILT": "not_built",
}

type graphStage struct {
	ID                  string       `json:"id"`
	Name                string       `json:"name"`
	State               string       `json:"state"`
	Type                string       `json:"type"`
	Title               string       `json:"title"`
	Children            []graphStage `json:"children"`
	PauseDurationMillis int64        `json:"pauseDurationMillis"`
	StartTimeMillis     int64        `json:"startTimeMillis"`
	TotalDurationMillis *int64       `json:"totalDurationMillis,omitempty"`
	IsSequential        bool         `json:"isSequential"`
	Synthetic           bool         `json:"synthetic"`
	Placeholder         bool         `json:"placeholder"`
	URL                 string       `json:"url"`
}

// graphTree is PipelineConsoleViewAction.getTree: stages nested as in the
// script, parallel branches as PARALLEL children.
func (s *Server) graphTree(rq *request, b *build) *response {
	if rq.r.Method != http.MethodGet && rq.r.Method != http.MethodHead {
		return methodNotAllowed()
	}
	rel := rq.now.Sub(b.start)
	tl := b.timeline()
	complete := b.state(rq.now).complete
	runs := b.stageRuns(rel, tl)
	var nest func(parent int) []graphStage
	nest = func(parent int) []graphStage {
		out := []graphStage{}
		for _, r := range runs {
			if b.parentOf(r.index) != parent {
				continue
			}
			sg := b.script.Stages[r.index]
			g := graphStage{ID: stageNodeID(r.index), Name: sg.Name, Type: "STAGE", Title: "",
				StartTimeMillis: ms(b.start.Add(r.start)), PauseDurationMillis: r.pause.Milliseconds(),
				URL: "/" + b.job.node.path() + strconv.Itoa(b.number) + "/" + s.opts.GraphView + "/?selected-node=" + stageNodeID(r.index)}
			if sg.Parallel && parent >= 0 {
				g.Type = "PARALLEL"
			}
			switch {
			case r.done:
				g.State = graphState[r.result]
				total := (r.end - r.start).Milliseconds()
				g.TotalDurationMillis = &total
			case r.paused:
				g.State = "paused"
			default:
				g.State = "running"
			}
			g.Children = nest(r.index)
			out = append(out, g)
		}
		return out
	}
	type data struct {
		Complete bool         `json:"complete"`
		Stages   []graphStage `json:"stages"`
	}
	resp := newResponse(http.StatusOK, "application/json;charset=UTF-8", mustJSON(struct {
		Status string `json:"status"`
		Data   data   `json:"data"`
	}{"ok", data{complete, nest(-1)}}))
	if complete {
		resp.header.Set("Cache-Control", "private, immutable, max-age=86400")
	} else {
		resp.header.Set("Cache-Control", "private, no-store")
	}
	return resp
}
