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

// newEnds starts the report of the runs' ends, each run's entry in the
// builds output with its job.
func newEnds(s *step, runs []*run) *ends {
	e := &ends{step: s, written: map[string]string{}, entries: make([]buildsEntry, len(runs))}
	for i, r := range runs {
		e.entries[i].Job = r.job.Name
	}
	return e
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
// entry in the builds output, and with one build the outputs of its own
// (with several, which one they describe is known only at the end).
func (e *ends) reached(index int, p point, o BuildOutcome) {
	e.learnt(index, o)
	if e.several {
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

// built reports the end of one build: its verdict line, or, with several
// builds, why Jenkins could not be used for it.
func (e *ends) built(o BuildOutcome, r *run) {
	e.beat.done(r.index)
	e.learnt(r.index, o)
	switch {
	case o.Err != nil:
		if e.several {
			r.log.Warning("%v", o.Err)
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
		v.Duration = report.Rough(time.Since(e.begin))
	case o.Number > 0 && o.DurationMS >= 0:
		v.Duration = report.Elapsed(o.DurationMS)
	}
	e.Report.Verdict(v)
}

// stepEnded reports the end of the step, once.
func (e *ends) stepEnded(out Outcome, runs []*run) {
	if i := out.Deciding(); i >= 0 {
		e.decidingOutputs(out.Builds[i])
	}
	e.mu.Lock()
	e.writeBuilds()
	e.mu.Unlock()
	e.summarize(out, runs, e.writeJUnit(runs))
	if e.several && len(out.Builds) > 0 {
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

// tally is the step's last line with several builds: how many ended how.
func tally(outcomes []BuildOutcome) string {
	ends := make([]string, len(outcomes))
	for i, o := range outcomes {
		ends[i] = report.BuildSummary{Result: o.Result, Number: o.Number, URL: o.QueueURL, Unfollowed: o.Err != nil}.Ended()
	}
	return report.Count(ends)
}

// writeJUnit writes the junit file: one build's report as Jenkins has it,
// or with several builds all their suites, each named after its build. It
// returns the file's path once written, else "".
func (e *ends) writeJUnit(runs []*run) string {
	path := e.opts.Policy.Junit
	if path == "" {
		return ""
	}
	var run *build.TestRun
	var names []string
	for _, r := range runs {
		if r.tests == nil {
			continue
		}
		names = append(names, r.label())
		if !e.several {
			run = r.tests
			break
		}
		run = merge(run, r.tests, r.label())
	}
	if run == nil {
		if len(runs) == 1 && runs[0].noTests {
			e.Report.Status("%s has no test report, so %s was not written", runs[0].label(), path)
		}
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
func (e *ends) summarize(out Outcome, runs []*run, junit string) {
	if !e.Report.WantsSummary() {
		return
	}
	s := report.Summary{JUnit: junit}
	now := time.Now()
	for i, r := range runs {
		if r.queue == 0 && r.number == 0 || i >= len(out.Builds) {
			continue
		}
		s.Builds = append(s.Builds, r.summary(out.Builds[i], now))
	}
	if len(s.Builds) == 0 {
		return
	}
	e.Report.Summary(s)
}

// summary is what the step summary shows of the run's build.
func (r *run) summary(o BuildOutcome, now time.Time) report.BuildSummary {
	bs := report.BuildSummary{
		Job: r.job.Name, JobURL: r.Client.URL(r.job.Path), Number: r.number, URL: cmp.Or(o.BuildURL, o.QueueURL),
		Result: o.Result, FailedStage: o.FailedStage, Stages: r.stages, Tests: r.tests, Input: r.input.summary(now),
		Artifacts: r.artifacts, Notes: r.notes(o), Params: r.params, Unfollowed: o.Err != nil,
	}
	if r.owned {
		bs.Params, bs.Files = r.opts.Params, r.opts.Files
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
		bs.QueueTime = report.Rough(now.Sub(r.begin))
	}
	if t.Ended == 0 {
		t.Ended, t.Running = r.jenkins.now(now).UnixMilli(), true
	}
	return bs
}

// notes say how a build's following ended when its result does not say
// it all.
func (r *run) notes(o BuildOutcome) []string {
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
		out = append(out, fmt.Sprintf("The timeout (%s) passed %s.", r.opts.Policy.Timeout, where), r.abortNote(stop))
	case errors.As(cause, &stopped):
		out = append(out, fmt.Sprintf("The step was stopped (%v) %s.", stopped.Cause, where), r.abortNote(stop))
	case errors.Is(cause, errTriggerFailed):
		out = append(out, fmt.Sprintf("Another job's trigger failed %s, so the step stopped following this one.", where), r.abortNote(stop))
	case o.Err != nil:
		out = append(out, fmt.Sprintf("The run failed %s: %v", where, o.Err))
	case o.Result == build.Cancelled:
		out = append(out, "The queue item was cancelled before the build started.")
	case o.Result == build.None:
		out = append(out, fmt.Sprintf("wait_for is %s, so the build was not followed further.", r.opts.Policy.WaitFor))
	}
	if r.testsErr != nil {
		out = append(out, fmt.Sprintf("The test report could not be read: %v", r.testsErr))
	}
	if r.artifactsErr != nil {
		out = append(out, fmt.Sprintf("Not every artifact could be downloaded: %v", r.artifactsErr))
	}
	return out
}

func (r *run) abortNote(stop string) string {
	switch {
	case r.opts.Policy.AbortsOnStop(r.owned):
		return "jenkins-trigger asked Jenkins to " + stop + "."
	case r.opts.Policy.AbortOnStop == nil:
		return "This step did not trigger the build, so Jenkins was not asked to " + stop + " (set abort_on_stop to true for that)."
	}
	return "abort_on_stop is false, so Jenkins was not asked to " + stop + "."
}
