package flow

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// ends reports how the step's builds end, in one place: each build's
// verdict as it ends, the outputs as soon as they are known, and once the
// step is over, the outputs of the build that decides it, the builds
// output, the JUnit file and the step summary.
type ends struct {
	*step
	mu sync.Mutex
	// written are the outputs written so far, each written once.
	written map[string]string
	// entries are the builds output as far as it is known, rewritten as
	// each build is learnt, so that a step killed later has said where
	// every build it reached is.
	entries []buildsEntry
	// ended says, by index, which builds' runs are over; held are the
	// failed builds whose verdict waits for a build they started, which
	// it may name, to end.
	ended []bool
	held  []int
}

// newEnds starts the report of the builds' ends.
func newEnds(s *step) *ends {
	return &ends{step: s, written: map[string]string{}}
}

// join adds a build of job to the builds output, with its job.
func (e *ends) join(job string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries = append(e.entries, buildsEntry{Job: job})
	e.ended = append(e.ended, false)
}

// output writes a step output, unless it was written with that value.
func (e *ends) output(name, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.write(name, value)
}

// write is output with e.mu held.
func (e *ends) write(name, value string) {
	if v, ok := e.written[name]; ok && v == value {
		return
	}
	e.written[name] = value
	if err := e.Report.Output(name, value); err != nil {
		e.Report.Warning("%v", err)
	}
}

// reached writes what a run just reached, as soon as it is known: its
// entry in the builds output, and the outputs of its own when the step
// writes them early.
func (e *ends) reached(index int, p point, o BuildOutcome) {
	e.learnt(index, o)
	if !e.show.early || o.Upstream != "" {
		return
	}
	switch p {
	case pointQueued:
		e.output(contract.OutputQueueURL, o.QueueURL)
	case pointStarted:
		e.output(contract.OutputBuildNumber, strconv.Itoa(o.Number))
		e.output(contract.OutputBuildURL, o.BuildURL)
	}
}

// learnt rewrites the builds output with what is now known of one build.
func (e *ends) learnt(index int, o BuildOutcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries[index] = entryOf(o)
	e.writeBuilds()
}

// writeBuilds writes the builds output as far as it is known, with e.mu
// held, so that a later version is never overtaken by an earlier one: one
// line of JSON, which fits a dotenv file and GitHub's fromJSON alike.
func (e *ends) writeBuilds() {
	data, _ := json.Marshal(e.entries) // strings, numbers and nulls only
	e.write(contract.OutputBuilds, string(data))
}

// built reports the end of build i: its verdict line, or why Jenkins
// could not be used for it. A downstream build's end is a line of its
// own; a failed build's verdict waits for the builds it started, since it
// names the deepest that failed first.
func (e *ends) built(i int, f findings) {
	o := f.out
	e.beat.done(i)
	e.learnt(i, o)
	e.mu.Lock()
	e.ended[i] = true
	e.mu.Unlock()
	switch {
	case o.Err != nil:
		if e.show.warnErrs || o.Upstream != "" {
			e.logger(f.label, o.Upstream != "").Warning("%v", o.Err)
		}
	case o.Result == build.None:
		// Followed as far as wait_for said, or stopped without a result.
	case o.Upstream != "":
		e.logger(f.label, true).Status("%s", endLine(e.verdictOf(o)))
	case o.Result.Failed():
		e.mu.Lock()
		e.held = append(e.held, i)
		e.mu.Unlock()
	default:
		e.Report.Verdict(e.verdictOf(o))
	}
	e.release(false)
}

// release gives the verdicts held for builds whose descendants have all
// ended, or every one when all is set.
func (e *ends) release(all bool) {
	// In join's order: the step's lock, then the ends'.
	e.step.mu.Lock()
	e.mu.Lock()
	var ready []int
	kept := e.held[:0]
	for _, i := range e.held {
		if all || !e.descendantRunning(i) {
			ready = append(ready, i)
		} else {
			kept = append(kept, i)
		}
	}
	e.held = kept
	e.mu.Unlock()
	e.step.mu.Unlock()
	for _, i := range ready {
		e.failedVerdict(i)
	}
}

// descendantRunning reports whether a build that build i started, at any
// depth, is still followed; s.mu and e.mu held.
func (e *ends) descendantRunning(i int) bool {
	for j := range e.parents {
		if !e.ended[j] && below(j, i, e.parents) {
			return true
		}
	}
	return false
}

// below reports whether build i started build j, at any depth.
func below(j, i int, parents []int) bool {
	for p := parents[j]; p >= 0; p = parents[p] {
		if p == i {
			return true
		}
	}
	return false
}

// deepestFailed is the build that really failed below build i (see
// build.Culprit), with what its run returned; -1 for none.
func (s *step) deepestFailed(i int) (int, findings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	results := make([]build.Result, len(s.found))
	for j, f := range s.found {
		results[j] = f.out.Result
	}
	d := build.Culprit(i, s.parents, results)
	if d < 0 {
		return -1, findings{}
	}
	return d, s.found[d]
}

// failedVerdict gives the verdict of failed build i: the deepest failed
// build it started first, with its failed tests, then its own.
func (e *ends) failedVerdict(i int) {
	e.step.mu.Lock()
	own := e.found[i]
	e.step.mu.Unlock()
	if d, deep := e.deepestFailed(i); d >= 0 {
		e.Report.Verdict(e.verdictOf(deep.out))
		if deep.tests != nil {
			for _, c := range deep.tests.Failures(maxNamedTests) {
				e.Report.Status("%s", failedTest(c))
			}
		}
	}
	e.Report.Verdict(e.verdictOf(own.out))
}

// maxNamedTests bounds the failed tests a verdict names.
const maxNamedTests = 10

// failedTest is the line that names a failed test, with the first line of
// its error.
func failedTest(c build.TestCase) string {
	name := c.Name
	if c.ClassName != "" {
		name = c.ClassName + "." + c.Name
	}
	line, _, _ := strings.Cut(strings.TrimSpace(c.ErrorDetails), "\n")
	if line == "" {
		return "  failed test " + name
	}
	return "  failed test " + name + ": " + line
}

// endLine is how a downstream build's end reads, beside its label: as
// the verdict line, without the build's name.
func endLine(v report.Verdict) string {
	var b strings.Builder
	b.WriteString(string(v.Result))
	if v.FailedStage != "" {
		b.WriteString(" in stage " + v.FailedStage)
	}
	switch {
	case v.Duration == "":
	case v.Result == build.Timeout:
		// How long the step waited, not the build's own duration.
		b.WriteString(" after " + v.Duration)
	default:
		b.WriteString(" in " + v.Duration)
	}
	return b.String() + " " + v.URL
}

// verdictOf is the verdict of a build that ended with a result.
func (e *ends) verdictOf(o BuildOutcome) report.Verdict {
	v := report.Verdict{
		Job: o.Job.Name, Number: o.Number, Result: o.Result, URL: cmp.Or(o.BuildURL, o.QueueURL),
		FailedStage: o.FailedStage,
	}
	switch {
	case o.Result == build.Timeout:
		v.Duration = report.Rough(time.Since(e.begin))
	case o.Number > 0 && o.DurationMS >= 0:
		v.Duration = report.Elapsed(o.DurationMS)
	}
	return v
}

// stepEnded reports the end of the step, once.
func (e *ends) stepEnded(out Outcome, found []findings) {
	e.release(true)
	if i := out.Deciding(); i >= 0 {
		e.decidingOutputs(out.Builds[i])
	}
	failed, failedURL := e.reallyFailed(out), ""
	if failed >= 0 {
		failedURL = out.Builds[failed].BuildURL
	}
	e.failedOutputs(out, failed)
	e.mu.Lock()
	e.writeBuilds()
	e.mu.Unlock()
	e.summarize(found, e.writeJUnit(found), failedURL)
	if e.show.tally && len(out.Builds) > 0 {
		e.Report.Status("%s", tally(out.Builds))
	}
	e.Report.End()
}

// decidingOutputs writes the outputs of the build that decides the step.
func (e *ends) decidingOutputs(o BuildOutcome) {
	if o.QueueURL != "" {
		e.output(contract.OutputQueueURL, o.QueueURL)
	}
	if o.Number > 0 {
		e.output(contract.OutputBuildNumber, strconv.Itoa(o.Number))
		e.output(contract.OutputBuildURL, o.BuildURL)
	}
	if o.Result == build.None {
		return
	}
	e.output(contract.OutputResult, string(o.Result))
	if o.DurationMS >= 0 && o.Number > 0 {
		e.output(contract.OutputDurationMS, strconv.FormatInt(o.DurationMS, 10))
		e.output(contract.OutputFailedStage, o.FailedStage)
	}
}

// reallyFailed is the build that really failed: the deepest failed build
// that the failed build deciding the step (else its first failed build)
// started, else that build itself; -1 when none failed. The outputs and
// the summary both name it.
func (e *ends) reallyFailed(out Outcome) int {
	failed := -1
	if i := out.Deciding(); i >= 0 && out.Builds[i].Result.Failed() {
		failed = i
	}
	for i, b := range out.Builds {
		if failed < 0 && b.Upstream == "" && b.Result.Failed() {
			failed = i
		}
	}
	if failed < 0 {
		return -1
	}
	if d, _ := e.deepestFailed(failed); d >= 0 {
		return d
	}
	return failed
}

// failedOutputs write the build that really failed, empty when none did.
func (e *ends) failedOutputs(out Outcome, failed int) {
	if failed < 0 {
		// Written empty once there is a result, as failed_stage is.
		if i := out.Deciding(); i >= 0 && out.Builds[i].Result != build.None {
			e.output(contract.OutputFailedBuild, "")
			e.output(contract.OutputFailedJob, "")
		}
		return
	}
	e.output(contract.OutputFailedBuild, out.Builds[failed].BuildURL)
	e.output(contract.OutputFailedJob, out.Builds[failed].Job.Name)
}

// buildsEntry is one build in the builds output, as far as it is known:
// what is not known is null.
type buildsEntry struct {
	Job         string  `json:"job"`
	QueueURL    *string `json:"queue_url"`
	BuildNumber *int    `json:"build_number"`
	BuildURL    *string `json:"build_url"`
	Result      *string `json:"result"`
	DurationMS  *int64  `json:"duration_ms"`
	FailedStage *string `json:"failed_stage"`
	Upstream    *string `json:"upstream"`
}

// entryOf is a build's entry in the builds output.
func entryOf(o BuildOutcome) buildsEntry {
	e := buildsEntry{Job: o.Job.Name}
	if o.QueueURL != "" {
		e.QueueURL = &o.QueueURL
	}
	if o.Number > 0 {
		e.BuildNumber, e.BuildURL = &o.Number, &o.BuildURL
	}
	if o.Result != build.None {
		res := string(o.Result)
		e.Result = &res
	}
	if o.Number > 0 && o.DurationMS >= 0 {
		e.DurationMS, e.FailedStage = &o.DurationMS, &o.FailedStage
	}
	if o.Upstream != "" {
		e.Upstream = &o.Upstream
	}
	return e
}

// tally is the step's last line when it shows several builds: how many of
// its own ended how.
func tally(outcomes []BuildOutcome) string {
	var ends []string
	for _, o := range outcomes {
		if o.Upstream == "" {
			ends = append(ends, report.BuildSummary{Result: o.Result, Number: o.Number, URL: o.QueueURL, Unfollowed: o.Err != nil}.Ended())
		}
	}
	return report.Count(ends)
}

// writeJUnit writes the junit file: the build's report as Jenkins has it,
// or when merged, all the builds' suites, each named after its build. It
// returns the file's path once written, else "".
func (e *ends) writeJUnit(found []findings) string {
	path := e.opts.Policy.Junit
	if path == "" {
		return ""
	}
	var run *build.TestRun
	var names []string
	for _, f := range found {
		switch {
		case f.out.Upstream != "":
			// Read for the verdict only: the file is the step's builds'.
		case f.tests == nil && f.noTests && !e.show.mergeTests:
			e.Report.Status("%s has no test report, so %s was not written", f.label(), path)
		case f.tests == nil:
		case e.show.mergeTests:
			names = append(names, f.label())
			run = merge(run, f.tests, f.label())
		default:
			names, run = append(names, f.label()), f.tests
		}
	}
	if run == nil {
		return ""
	}
	name := strings.Join(names, ", ")
	if err := e.Report.WriteJUnit(path, name, run); err != nil {
		e.Report.Warning("%v", err)
		return ""
	}
	e.Report.Status("Wrote the %d tests of %s to %s", run.Total(), name, path)
	return path
}

// merge adds a build's tests to the step's, its suites named after it.
func merge(into, t *build.TestRun, label string) *build.TestRun {
	if into == nil {
		into = &build.TestRun{}
	}
	into.Passed += t.Passed
	into.Failed += t.Failed
	into.Skipped += t.Skipped
	into.Duration += t.Duration
	for _, s := range t.Suites {
		s.Name = label + " › " + s.Name
		into.Suites = append(into.Suites, s)
	}
	return into
}

// summarize writes the step summary of a step that reached a queue item
// or a build; junit is the JUnit file written, or "", and failed the URL
// of the build that really failed, or "".
func (e *ends) summarize(found []findings, junit, failed string) {
	if !e.Report.WantsSummary() {
		return
	}
	s := report.Summary{JUnit: junit, Failed: failed}
	now := time.Now()
	for _, f := range found {
		if f.queue == 0 && f.number == 0 {
			continue
		}
		s.Builds = append(s.Builds, e.summary(f, now))
	}
	if len(s.Builds) == 0 {
		return
	}
	e.Report.Summary(s)
}

// summary is what the step summary shows of a build.
func (e *ends) summary(r findings, now time.Time) report.BuildSummary {
	o := r.out
	bs := report.BuildSummary{
		Job: r.job.Name, JobURL: e.Client.URL(r.job.Path), Number: r.number, URL: cmp.Or(o.BuildURL, o.QueueURL),
		Result: o.Result, FailedStage: o.FailedStage, Stages: r.stages, Tests: r.tests, Input: r.input.summary(now),
		Artifacts: r.artifacts, Notes: e.notes(r), Params: r.params, Unfollowed: o.Err != nil, Upstream: o.Upstream,
	}
	if r.owned {
		bs.Params, bs.Files = e.opts.Params, e.opts.Files
	}
	t := &bs.Timeline
	t.Queued = r.inQueueSince
	if b := r.build; b != nil {
		t.Started = b.Timestamp
		if b.Finished() {
			bs.Duration = report.Elapsed(b.Duration)
			t.Ended = b.Timestamp + b.Duration
		}
		if r.inQueueSince > 0 && b.Timestamp >= r.inQueueSince {
			bs.QueueTime = report.Elapsed(b.Timestamp - r.inQueueSince)
		}
	} else {
		bs.QueueTime = report.Rough(now.Sub(e.begin))
	}
	if t.Ended == 0 {
		t.Ended, t.Running = r.jenkins.now(now).UnixMilli(), true
	}
	return bs
}

// notes say how a build's following ended when its result does not say
// it all.
func (e *ends) notes(r findings) []string {
	o := r.out
	var out []string
	where, stop := "while the build was in the queue", "cancel the queue item"
	if r.number > 0 {
		where, stop = fmt.Sprintf("while #%d was running", r.number), "stop the build"
	}
	var stopped *StoppedError
	var qt *QueueTimeoutError
	switch cause := r.stopped; {
	case errors.As(cause, &qt):
		out = append(out, qt.Error()+".")
	case errors.Is(cause, ErrTimeout):
		out = append(out, fmt.Sprintf("The timeout (%s) passed %s.", e.opts.Policy.Timeout, where), e.abortNote(o, stop))
	case errors.As(cause, &stopped):
		out = append(out, fmt.Sprintf("The step was stopped (%v) %s.", stopped.Cause, where), e.abortNote(o, stop))
	case errors.Is(cause, errTriggerFailed):
		out = append(out, fmt.Sprintf("Another job's trigger failed %s, so the step stopped following this one.", where), e.abortNote(o, stop))
	case o.Err != nil:
		out = append(out, fmt.Sprintf("The run failed %s: %v", where, o.Err))
	case o.Result == build.Cancelled:
		out = append(out, "The queue item was cancelled before the build started.")
	case o.Result == build.None:
		out = append(out, fmt.Sprintf("wait_for is %s, so the build was not followed further.", e.opts.Policy.WaitFor))
	}
	if r.testsErr != nil {
		out = append(out, fmt.Sprintf("The test report could not be read: %v", r.testsErr))
	}
	if o.ArtifactsErr != nil {
		out = append(out, fmt.Sprintf("Not every artifact could be downloaded: %v", o.ArtifactsErr))
	}
	return out
}

// abortNote says whether the step asked Jenkins to stop a build it
// stopped following: never for a downstream build (run.conclude).
func (e *ends) abortNote(o BuildOutcome, stop string) string {
	switch {
	case o.Upstream != "":
		return "Another build started it, so Jenkins stops it with that build, not the step."
	case e.opts.Policy.AbortsOnStop(o.Owned):
		return "jenkins-trigger asked Jenkins to " + stop + "."
	case e.opts.Policy.AbortOnStop == nil:
		return "This step did not trigger the build, so Jenkins was not asked to " + stop + " (set abort_on_stop to true for that)."
	}
	return "abort_on_stop is false, so Jenkins was not asked to " + stop + "."
}
