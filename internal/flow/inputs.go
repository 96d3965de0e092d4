package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// inputWait is a build's wait for input, as far as it is known.
type inputWait struct {
	// since is when the build started waiting; zero when it does not
	// wait. waited adds up the waits that ended.
	since  time.Time
	waited time.Duration
	// message and page are the latest input's question and the page
	// where it is answered; answer says how this step answered it.
	message, page, answer string
	// stillWaiting is set when the step stopped with the build paused.
	stillWaiting bool
}

// start notes that the build waits for input, from now if it was not
// waiting already.
func (w *inputWait) start(now time.Time, page, message string) {
	if w.since.IsZero() {
		w.since = now
	}
	w.page = page
	if message != "" {
		w.message = message
	}
}

// end notes that the build no longer waits.
func (w *inputWait) end(now time.Time) {
	if !w.since.IsZero() {
		w.waited += now.Sub(w.since)
		w.since = time.Time{}
	}
}

func (w inputWait) waiting() bool { return !w.since.IsZero() }

// summary is what the step summary says of the build's pauses; nil when it
// never paused.
func (w inputWait) summary(now time.Time) *report.InputWait {
	if w.page == "" {
		return nil
	}
	waited := w.waited
	if w.waiting() {
		waited += now.Sub(w.since)
	}
	return &report.InputWait{Message: w.message, URL: w.page, Waited: report.Rough(waited), StillWaiting: w.stillWaiting, Answer: w.answer}
}

// inputTracker notices when a Pipeline build waits for input, tells about
// each input once, and answers it as on_input says. It reads the pending
// inputs when the build, the console or the stages say the build may wait
// for one, at most every stageEvery.
type inputTracker struct {
	subject
	client  inputsClient
	onInput build.InputPolicy
	// pending is set when something said the build may wait for input
	// and the inputs were not read since: an input line of the console, or
	// a build or stages read that showed a pause.
	pending  bool
	lastRead time.Time
	// handled are the inputs already told about and answered, by id.
	handled map[string]bool
	// unknownTold is set once a pause whose inputs cannot be listed was
	// told about; failedTold once a failure to list them was.
	unknownTold, failedTold bool
	// sawPaused is set when a stage read during the wait showed a stage
	// paused for it.
	sawPaused bool
}

func newInputTracker(w watch) tracker {
	return &inputTracker{subject: w.subject, client: w.client, onInput: w.policy.OnInput}
}

func (t *inputTracker) poll(ctx context.Context, v view) (view, error) {
	if !v.build.IsPipeline() {
		return v, nil
	}
	t.pending = t.pending || v.marks.input
	t.sawPaused = t.sawPaused || v.stagesRead && anyPaused(v.stages)
	due := v.now.Sub(t.lastRead) >= stageEvery
	if !v.input.waiting() {
		// Anything that says the build may wait is worth a look, once: a
		// build or stages read earlier may say so long after someone
		// answered.
		t.pending = t.pending || v.fresh && v.build.InputState() == jenkins.InputWaiting || v.stagesRead && anyPaused(v.stages)
		if t.pending && due {
			return t.read(ctx, v)
		}
		return v, nil
	}
	// Waiting: only what was read just now says the wait is over.
	switch {
	case v.fresh && v.build.InputState() == jenkins.InputNone,
		v.stagesRead && t.sawPaused && !anyPaused(v.stages),
		t.unknownTold && v.wrote:
		t.resumed(&v)
	case (v.wrote || t.pending) && due:
		return t.read(ctx, v)
	}
	return v, nil
}

// resumed ends the wait for input.
func (t *inputTracker) resumed(v *view) {
	v.input.end(v.now)
	t.sawPaused = false
	t.log.Status("The build goes on after its input step")
}

func (*inputTracker) drained(view) bool { return true }

// close ends the wait of a finished build, and notes that a stopped one
// was still waiting.
func (t *inputTracker) close(ctx context.Context, v view) view {
	if !v.build.IsPipeline() {
		return v
	}
	if !v.build.Finished() || ctx.Err() != nil {
		v.input.stillWaiting = v.input.waiting()
		return v
	}
	v.input.end(v.now)
	return v
}

// read lists the inputs the build waits for and tells about, or answers,
// each one once.
func (t *inputTracker) read(ctx context.Context, v view) (view, error) {
	t.lastRead, t.pending = v.now, false
	readCtx, cancel := context.WithTimeout(ctx, pipelineReadTimeout)
	defer cancel()
	inputs, err := t.client.PendingInputs(readCtx, t.job, t.number)
	page := t.client.URL(jenkins.InputPagePath(t.job, t.number))
	switch {
	case ctx.Err() != nil:
		return v, ctx.Err()
	case errors.Is(err, jenkins.ErrInputsUnknown):
		v.input.start(v.now, page, "")
		if !t.unknownTold {
			t.unknownTold = true
			t.log.Notice("%s #%d waits for input; answer it at %s", t.job.Name, t.number, page)
		}
		return v, nil
	case err != nil:
		if !t.failedTold {
			t.failedTold = true
			t.log.Warning("%v; the build may wait for input: see %s", err, page)
		}
		return v, nil
	}
	if len(inputs) == 0 {
		if v.input.waiting() {
			t.resumed(&v)
		}
		return v, nil
	}
	if t.handled == nil {
		t.handled = make(map[string]bool)
	}
	answered := 0
	for _, in := range inputs {
		if t.handled[in.ID] {
			continue
		}
		t.handled[in.ID] = true
		v.input.start(v.now, page, in.Message)
		t.log.Notice("%s #%d waits for input: %s [%s / %s]; answer it at %s", t.job.Name, t.number, oneLine(in.Message), in.OK, in.Cancel, page)
		if t.answer(ctx, &v, in) {
			answered++
		}
	}
	if answered == len(inputs) {
		// This step answered all the build waited for.
		v.input.end(v.now)
	}
	return v, nil
}

// answer answers in as on_input says, once, and reports whether it did: a
// refusal or a failure is told, and the run goes on waiting for someone
// else to answer.
func (t *inputTracker) answer(ctx context.Context, v *view, in jenkins.PendingInput) bool {
	policy := t.onInput
	var err error
	var did string
	switch policy {
	case build.InputAbort:
		did = in.Cancel
		err = t.client.AbortInput(ctx, t.job, t.number, in.ID)
	case build.InputProceed:
		if why := in.Unanswerable(); why != "" {
			t.log.Warning("on_input is proceed, but input %s cannot be answered with its defaults (%s): waiting for someone to answer it", in.ID, why)
			return false
		}
		did = in.OK
		err = t.client.ProceedInput(ctx, t.job, t.number, in)
	default:
		return false
	}
	var refused *jenkins.InputRefusedError
	switch {
	case err == nil:
		v.input.answer = fmt.Sprintf("answered %s by jenkins-trigger (on_input: %s)", did, policy)
		t.log.Status("Answered input %s with %s (on_input: %s)", in.ID, did, policy)
		return true
	case errors.As(err, &refused):
		t.log.Warning("Jenkins refused to let this user answer input %s: %s; waiting for someone to answer it", in.ID, refused.Message)
	case errors.Is(err, jenkins.ErrInputGone):
		t.log.Status("Input %s was answered meanwhile", in.ID)
		return true
	default:
		t.log.Warning("could not answer input %s: %v; waiting for someone to answer it", in.ID, err)
	}
	return false
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
