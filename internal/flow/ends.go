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
	if !e.show.early {
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
// could not be used for it.
func (e *ends) built(i int, f findings) {
	o := f.out
	e.beat.done(i)
	e.learnt(i, o)
	switch {
	case o.Err != nil:
		if e.show.warnErrs {
			e.logger(f.label).Warning("%v", o.Err)
		}
		return
	case o.Result == build.None:
		// Followed as far as wait_for said, or stopped without a result.
		return
	}
	v := report.Verdict{
		Job: o.Job.Name, Number: o.Number, Result: o.Result, URL: cmp.Or(o.BuildURL, o.QueueURL),
		FailedStage: o.FailedStage,
	}
	switch {
	case o.Result == build.Timeout:
		v.Duration = report.Rough(e.Clock.Now().Sub(e.begin))
	case o.Number > 0 && o.DurationMS >= 0:
		v.Duration = report.Elapsed(o.DurationMS)
	}
	e.Report.Verdict(v)
}

// stepEnded reports the end of the step, once.
func (e *ends) stepEnded(out Outcome, found []findings) {
	if i := out.Deciding(); i >= 0 {
		e.decidingOutputs(out.Builds[i])
	}
	e.mu.Lock()
	e.writeBuilds()
	e.mu.Unlock()
	e.summarize(found, e.writeJUnit(found))
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
	return e
}

// tally is the step's last line when it shows several builds: how many
// ended how.
func tally(outcomes []BuildOutcome) string {
	ends := make([]string, len(outcomes))
	for i, o := range outcomes {
		ends[i] = report.BuildSummary{Result: o.Result, Number: o.Number, URL: o.QueueURL, Unfollowed: o.Err != nil}.Ended()
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
// or a build; junit is the JUnit file written, or "".
func (e *ends) summarize(found []findings, junit string) {
	if !e.Report.WantsSummary() {
		return
	}
	s := report.Summary{JUnit: junit}
	now := e.Clock.Now()
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
		Artifacts: r.artifacts, Notes: e.notes(r), Params: r.params, Unfollowed: o.Err != nil,
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
		out = append(out, fmt.Sprintf("The timeout (%s) passed %s.", e.opts.Policy.Timeout, where), e.abortNote(r.owned, stop))
	case errors.As(cause, &stopped):
		out = append(out, fmt.Sprintf("The step was stopped (%v) %s.", stopped.Cause, where), e.abortNote(r.owned, stop))
	case errors.Is(cause, errTriggerFailed):
		out = append(out, fmt.Sprintf("Another job's trigger failed %s, so the step stopped following this one.", where), e.abortNote(r.owned, stop))
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

func (e *ends) abortNote(owned bool, stop string) string {
	switch {
	case e.opts.Policy.AbortsOnStop(owned):
		return "jenkins-trigger asked Jenkins to " + stop + "."
	case e.opts.Policy.AbortOnStop == nil:
		return "This step did not trigger the build, so Jenkins was not asked to " + stop + " (set abort_on_stop to true for that)."
	}
	return "abort_on_stop is false, so Jenkins was not asked to " + stop + "."
}
