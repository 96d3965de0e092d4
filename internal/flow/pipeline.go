package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// pipelineReadTimeout bounds one read of stages or inputs: they only add
// to what the console says, and must not hold the run while a plugin
// keeps failing.
const pipelineReadTimeout = 30 * time.Second

// stageEvery is the least time between two reads of a Pipeline's stages:
// Jenkins computes them anew on each read of a running build.
const stageEvery = 2 * time.Second

// pipelineTracker follows a Pipeline build's stages and input steps. A
// freestyle build costs it nothing. It reads the stages when the console
// shows a stage boundary or an input (on every build read when the console
// is not followed), at most every stageEvery, and once at the end; it
// reads the pending inputs when the build, the console or the stages say
// the build waits for one.
type pipelineTracker struct {
	// noStages is set once neither stage plugin answered.
	noStages   bool
	stagesRead time.Time
	stages     []jenkins.Stage
	// shown is the status last printed of each stage, by id.
	shown      map[string]jenkins.StageStatus
	inputsRead time.Time
	// handled are the inputs already told about and answered, by id.
	handled map[string]bool
	// unknownTold is set once a pause whose inputs cannot be listed was
	// told about.
	unknownTold bool
	// inputsFailed is set once a failure to list the inputs was told.
	inputsFailed bool
	// readFinished is set when the stages were read after the build was
	// seen finished: they are final, and need no read at the end.
	readFinished bool
	// build is the build's state the last tick saw.
	build *jenkins.Build
	// sawPaused is set when a stage read during the wait for input showed
	// a stage paused for it.
	sawPaused bool
}

func (p *pipelineTracker) poll(ctx context.Context, f *following, t *tick) error {
	if !f.build.IsPipeline() {
		return nil
	}
	// The build's state is fresh only on a tick that read it.
	fresh := f.build != p.build
	p.build = f.build
	now := f.r.Clock.Now()
	stagesRead := false
	if !p.noStages && (f.marks.stage || !f.r.opts.Log) && now.Sub(p.stagesRead) >= stageEvery {
		f.marks.stage = false
		if err := p.readStages(ctx, f); err != nil {
			return err
		}
		stagesRead = !p.noStages
	}
	inputsDue := now.Sub(p.inputsRead) >= stageEvery
	if f.r.inputSince.IsZero() {
		// Anything that says the build may wait is worth a look.
		if (f.build.InputState() == jenkins.InputWaiting || f.marks.input || anyPaused(p.stages)) && inputsDue {
			f.marks.input = false
			return p.readInputs(ctx, f)
		}
		return nil
	}
	// Waiting: only what was read just now says the wait is over.
	switch {
	case fresh && f.build.InputState() == jenkins.InputNone,
		stagesRead && p.sawPaused && !anyPaused(p.stages),
		p.unknownTold && t.wrote:
		p.resumed(f)
	case (t.wrote || f.marks.input) && inputsDue:
		f.marks.input = false
		return p.readInputs(ctx, f)
	}
	return nil
}

// resumed ends the wait for input.
func (p *pipelineTracker) resumed(f *following) {
	f.r.endWaiting()
	p.sawPaused = false
	f.r.Report.Status("The build goes on after its input step")
}

func (*pipelineTracker) drained(*following) bool { return true }

// close reads the stages of a finished Pipeline once more, for their final
// state, and names the stage that failed. A run stopped while the build
// waits for input says so in its summary.
func (p *pipelineTracker) close(ctx context.Context, f *following) {
	if !f.build.IsPipeline() {
		return
	}
	if !f.build.Finished() || ctx.Err() != nil {
		f.r.inputStillWaiting = !f.r.inputSince.IsZero()
		return
	}
	f.r.endWaiting()
	if !p.noStages && !p.readFinished {
		if err := p.readStages(ctx, f); err != nil {
			f.r.Report.Warning("%v; the stages are left out", err)
		}
	}
	f.r.failedStage = failedStage(p.stages)
}

// readStages reads the stages and prints what changed since the last read.
func (p *pipelineTracker) readStages(ctx context.Context, f *following) error {
	p.stagesRead = f.r.Clock.Now()
	readCtx, cancel := context.WithTimeout(ctx, pipelineReadTimeout)
	defer cancel()
	stages, err := f.r.Client.Stages(readCtx, f.r.opts.Job, f.n)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, jenkins.ErrNoStages):
		p.noStages = true
		f.r.Report.Status("Stages are not available: this Jenkins has neither Pipeline Stage View nor Pipeline Graph View")
		return nil
	case err != nil:
		p.noStages = true
		f.r.Report.Warning("%v; stages are left out from now on", err)
		return nil
	}
	p.stages = stages
	p.readFinished = f.build.Finished()
	p.sawPaused = p.sawPaused || anyPaused(stages)
	f.r.stages = stages
	if p.shown == nil {
		p.shown = make(map[string]jenkins.StageStatus)
	}
	for _, s := range stages {
		before, seen := p.shown[s.ID]
		if seen && before == s.Status {
			continue
		}
		p.shown[s.ID] = s.Status
		switch {
		case s.Status.Done():
			f.r.Report.Status("Stage %s: %s%s", stageName(s), stageWord(s.Status), stageTime(s))
		case s.Status == jenkins.StagePaused:
			f.r.Report.Status("Stage %s: paused for input", stageName(s))
		case !seen:
			f.r.Report.Status("Stage %s: started", stageName(s))
		}
	}
	return nil
}

// readInputs lists the inputs the build waits for and tells about, or
// answers, each one once.
func (p *pipelineTracker) readInputs(ctx context.Context, f *following) error {
	r := f.r
	p.inputsRead = r.Clock.Now()
	readCtx, cancel := context.WithTimeout(ctx, pipelineReadTimeout)
	defer cancel()
	inputs, err := r.Client.PendingInputs(readCtx, r.opts.Job, f.n)
	page := r.Client.URL(jenkins.InputPagePath(r.opts.Job, f.n))
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil && !errors.Is(err, jenkins.ErrInputsUnknown):
		if !p.inputsFailed {
			p.inputsFailed = true
			r.Report.Warning("%v; the build may wait for input: see %s", err, page)
		}
		return nil
	case errors.Is(err, jenkins.ErrInputsUnknown):
		r.startWaiting(page, "")
		if !p.unknownTold {
			p.unknownTold = true
			r.Report.Notice("%s #%d waits for input; answer it at %s", r.opts.Job.Name, f.n, page)
		}
		return nil
	}
	if len(inputs) == 0 {
		if !r.inputSince.IsZero() {
			p.resumed(f)
		}
		return nil
	}
	if p.handled == nil {
		p.handled = make(map[string]bool)
	}
	answered := 0
	for _, in := range inputs {
		if p.handled[in.ID] {
			continue
		}
		p.handled[in.ID] = true
		r.startWaiting(page, in.Message)
		r.Report.Notice("%s #%d waits for input: %s [%s / %s]; answer it at %s", r.opts.Job.Name, f.n, oneLine(in.Message), in.OK, in.Cancel, page)
		if p.answer(ctx, f, in) {
			answered++
		}
	}
	if answered == len(inputs) {
		// This step answered all the build waited for.
		f.marks.input = false
		r.endWaiting()
	}
	return nil
}

// answer answers in as on_input says, once, and reports whether it did: a
// refusal or a failure is told, and the run goes on waiting for someone
// else to answer.
func (p *pipelineTracker) answer(ctx context.Context, f *following, in jenkins.PendingInput) bool {
	r := f.r
	var err error
	var did string
	switch r.opts.OnInput {
	case InputAbort:
		did = in.Cancel
		err = r.Client.AbortInput(ctx, r.opts.Job, f.n, in.ID)
	case InputProceed:
		if why := in.Unanswerable(); why != "" {
			r.Report.Warning("on_input is proceed, but input %s cannot be answered with its defaults (%s): waiting for someone to answer it", in.ID, why)
			return false
		}
		did = in.OK
		err = r.Client.ProceedInput(ctx, r.opts.Job, f.n, in)
	default:
		return false
	}
	var refused *jenkins.InputRefusedError
	switch {
	case err == nil:
		r.inputAnswer = fmt.Sprintf("answered %s by jenkins-trigger (on_input: %s)", did, r.opts.OnInput)
		r.Report.Status("Answered input %s with %s (on_input: %s)", in.ID, did, r.opts.OnInput)
		return true
	case errors.As(err, &refused):
		r.Report.Warning("Jenkins refused to let this user answer input %s: %s; waiting for someone to answer it", in.ID, refused.Message)
	case errors.Is(err, jenkins.ErrInputGone):
		r.Report.Status("Input %s was answered meanwhile", in.ID)
		return true
	default:
		r.Report.Warning("could not answer input %s: %v; waiting for someone to answer it", in.ID, err)
	}
	return false
}

// endWaiting notes that the build no longer waits for input.
func (r *Run) endWaiting() {
	if !r.inputSince.IsZero() {
		r.inputWaited += r.Clock.Now().Sub(r.inputSince)
		r.inputSince = time.Time{}
	}
}

// startWaiting notes that the build waits for input, from now if it was
// not waiting already.
func (r *Run) startWaiting(page, message string) {
	if r.inputSince.IsZero() {
		r.inputSince = r.Clock.Now()
	}
	r.inputPage = page
	if message != "" {
		r.inputMessage = message
	}
}

func anyPaused(stages []jenkins.Stage) bool {
	for _, s := range stages {
		if s.Status == jenkins.StagePaused {
			return true
		}
	}
	return false
}

// failedStage is the first stage that ended FAILED, UNSTABLE or ABORTED.
func failedStage(stages []jenkins.Stage) string {
	for _, s := range stages {
		switch s.Status {
		case jenkins.StageFailed, jenkins.StageUnstable, jenkins.StageAborted:
			return s.Name
		}
	}
	return ""
}

func stageName(s jenkins.Stage) string {
	if s.Parent != "" {
		return s.Parent + " › " + s.Name
	}
	return s.Name
}

// stageWord is how a stage's end reads in the log.
func stageWord(s jenkins.StageStatus) string {
	switch s {
	case jenkins.StageSuccess:
		return "SUCCESS"
	case jenkins.StageFailed:
		return "FAILED"
	case jenkins.StageUnstable:
		return "UNSTABLE"
	case jenkins.StageAborted:
		return "ABORTED"
	case jenkins.StageNotExecuted:
		return "skipped"
	}
	return strings.ToLower(string(s))
}

func stageTime(s jenkins.Stage) string {
	if s.DurationMS <= 0 {
		return ""
	}
	t := " in " + formatDuration(s.DurationMS)
	if s.PauseMS > 0 {
		t += fmt.Sprintf(" (%s of it paused for input)", formatDuration(s.PauseMS))
	}
	return t
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// The console lines that say a Pipeline's stages or inputs may have
// changed (workflow-job's NewNodeConsoleNote prints one per step).
var (
	stageMarks = [][]byte{[]byte("[Pipeline] stage"), []byte("[Pipeline] { ("), []byte("[Pipeline] }")}
	inputMark  = []byte("[Pipeline] input")
)

// markLen is how much of a line the marks need.
const markLen = 16

// markTap passes the console through to w and notes the Pipeline step
// lines that start a stage, end a block or pause for input. It keeps only
// the start of the current line.
type markTap struct {
	w io.Writer
	// head is the start of the current line, up to markLen bytes; full
	// once it holds that much.
	head []byte
	full bool
	// stage and input are set when such a line passed, until read.
	stage, input bool
}

func (m *markTap) Write(p []byte) (int, error) {
	rest := p
	for len(rest) > 0 {
		end := bytes.IndexByte(rest, '\n')
		line := rest
		if end >= 0 {
			line = rest[:end]
		}
		if !m.full {
			m.head = append(m.head, line[:min(len(line), markLen-len(m.head))]...)
			m.check()
			m.full = len(m.head) == markLen
		}
		if end < 0 {
			break
		}
		m.head, m.full = m.head[:0], false
		rest = rest[end+1:]
	}
	if m.w == nil {
		return len(p), nil
	}
	return m.w.Write(p)
}

func (m *markTap) check() {
	for _, mark := range stageMarks {
		if bytes.HasPrefix(m.head, mark) {
			m.stage = true
		}
	}
	if bytes.HasPrefix(m.head, inputMark) {
		m.input, m.stage = true, true
	}
}
