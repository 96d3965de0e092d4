package flow

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
)

// facts are what a run learns on the way that only its summary, its
// heartbeat and its outcome need.
type facts struct {
	// inQueueSince is when Jenkins queued the item, in ms on its clock; 0
	// when unknown.
	inQueueSince int64
	// build is the build as last read; nil before it started.
	build *jenkins.Build
	// tests is the finished build's test report; nil when it has none or
	// it was not read. testsErr says why it could not be read.
	tests    *report.TestRun
	testsErr error
	// quietSince is when the build last wrote something, or when the run
	// last said it was still following it.
	quietSince time.Time
	// stages are a Pipeline's stages as last read; failedStage is the
	// first that failed, once the build finished.
	stages      []jenkins.Stage
	failedStage string
	// inputSince is when the build started waiting for input; zero when
	// it does not wait. inputWaited adds up the waits that ended.
	inputSince        time.Time
	inputWaited       time.Duration
	inputMessage      string
	inputPage         string
	inputAnswer       string
	inputStillWaiting bool
	// artifacts are the files downloaded; artifactsErr says why the rest
	// could not be.
	artifacts    []report.Artifact
	artifactsErr error
	// followedParams are the parameters of a build this step follows, as
	// Jenkins shows them.
	followedParams []report.Param
}

// roughDuration is d to the second, without trailing zero units: "5m",
// "2m10s", "1h".
func roughDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// timedOut is the verdict of a run whose timeout passed: how long it
// waited, and where the build or its queue item is.
func (r *Run) timedOut() report.Verdict {
	v := r.verdict(result.Timeout, 0)
	v.Duration = roughDuration(r.Clock.Now().Sub(r.begin()))
	return v
}

func (r *Run) begin() time.Time { return r.deadline.Add(-r.opts.Timeout) }

// summarize writes the step summary of a run that reached a queue item or
// a build, with whatever it reached.
func (r *Run) summarize(res result.Result, err error) {
	if r.progress.Queue == nil && r.progress.Build == nil || !r.Report.WantsSummary() {
		return
	}
	s := report.Summary{
		Job:         r.opts.Job.Name,
		JobURL:      r.Client.URL(r.opts.Job.Path),
		Number:      r.number(),
		URL:         r.where(),
		Result:      res,
		Params:      r.summaryParams(),
		Notes:       r.notes(res, err),
		Tests:       r.tests,
		Stages:      summaryStages(r.stages),
		FailedStage: r.failedStage,
		Input:       r.inputWait(),
		Artifacts:   r.artifacts,
	}
	if r.opts.Job.Path == "" {
		// A followed queue item whose job could not be read.
		s.Job, s.JobURL = fmt.Sprintf("queue item %d", r.progress.Queue.ID), ""
	}
	if r.progress.Build == nil {
		s.QueueTime = roughDuration(r.Clock.Now().Sub(r.begin()))
	}
	if b := r.build; b != nil {
		if b.Finished() {
			s.Duration = formatDuration(b.Duration)
		}
		if r.inQueueSince > 0 && b.Timestamp >= r.inQueueSince {
			s.QueueTime = formatDuration(b.Timestamp - r.inQueueSince)
		}
	}
	r.Report.Summary(s)
}

// readFollowedParams reads the parameters of a build this step did not
// trigger, for the step summary.
func (r *Run) readFollowedParams(ctx context.Context) {
	if r.progress.Owned || !r.Report.WantsSummary() {
		return
	}
	params, err := r.Client.BuildParameters(ctx, r.opts.Job, r.number())
	if err != nil {
		r.Report.Warning("%v; the parameters are left out of the summary", err)
		return
	}
	for _, p := range params {
		r.followedParams = append(r.followedParams, report.Param{Name: p.Name, Value: p.Value})
	}
}

// summaryParams are the parameters sent, or for a build this step did not
// trigger, those Jenkins shows it was started with.
func (r *Run) summaryParams() []report.Param {
	if !r.progress.Owned {
		return r.followedParams
	}
	out := make([]report.Param, 0, len(r.opts.Params)+len(r.opts.Files))
	for _, p := range r.opts.Params {
		out = append(out, report.Param{Name: p.Name, Value: p.Value})
	}
	for _, f := range r.opts.Files {
		out = append(out, report.Param{Name: f.Name, Value: filepath.Base(f.Path), File: true})
	}
	return out
}

func summaryStages(stages []jenkins.Stage) []report.Stage {
	out := make([]report.Stage, 0, len(stages))
	for _, s := range stages {
		st := report.Stage{Name: stageName(s), Status: reportStatus(s.Status)}
		if s.DurationMS > 0 {
			st.Duration = formatDuration(s.DurationMS)
		}
		if s.PauseMS > 0 {
			st.Paused = formatDuration(s.PauseMS)
		}
		out = append(out, st)
	}
	return out
}

// reportStatuses translate the client's stage statuses for the reporter.
var reportStatuses = map[jenkins.StageStatus]report.StageStatus{
	jenkins.StageSuccess:     report.StageSuccess,
	jenkins.StageFailed:      report.StageFailed,
	jenkins.StageUnstable:    report.StageUnstable,
	jenkins.StageAborted:     report.StageAborted,
	jenkins.StageRunning:     report.StageRunning,
	jenkins.StagePaused:      report.StagePaused,
	jenkins.StageNotExecuted: report.StageNotExecuted,
	jenkins.StageQueued:      report.StageQueued,
}

func reportStatus(s jenkins.StageStatus) report.StageStatus {
	if st, ok := reportStatuses[s]; ok {
		return st
	}
	return report.StageUnknown
}

// inputWait is what the summary says of the build's pauses for input; nil
// when it never paused.
func (r *Run) inputWait() *report.InputWait {
	if r.inputPage == "" {
		return nil
	}
	waited := r.inputWaited
	if !r.inputSince.IsZero() {
		waited += r.Clock.Now().Sub(r.inputSince)
	}
	return &report.InputWait{
		Message:      r.inputMessage,
		URL:          r.inputPage,
		Waited:       roughDuration(waited),
		StillWaiting: r.inputStillWaiting,
		Answer:       r.inputAnswer,
	}
}

// notes say how a run ended when its result does not say it all.
func (r *Run) notes(res result.Result, err error) []string {
	var out []string
	where := "while the build was in the queue"
	stop := "cancel the queue item"
	if r.progress.Build != nil {
		where = fmt.Sprintf("while #%d was running", r.number())
		stop = "stop the build"
	}
	var stopped *StoppedError
	switch {
	case errors.Is(err, ErrTimeout):
		out = append(out, fmt.Sprintf("The timeout (%s) passed %s.", r.opts.Timeout, where), r.abortNote(stop))
	case errors.As(err, &stopped):
		out = append(out, fmt.Sprintf("The step was stopped (%v) %s.", stopped.Cause, where), r.abortNote(stop))
	case err != nil:
		out = append(out, fmt.Sprintf("The run failed %s: %v", where, err))
	case res == result.Cancelled:
		out = append(out, "The queue item was cancelled before the build started.")
	case res == result.None:
		out = append(out, fmt.Sprintf("wait_for is %s, so the build was not followed further.", r.opts.WaitFor))
	}
	if r.testsErr != nil {
		out = append(out, fmt.Sprintf("The test report could not be read: %v", r.testsErr))
	}
	if r.artifactsErr != nil {
		out = append(out, fmt.Sprintf("Not every artifact could be downloaded: %v", r.artifactsErr))
	}
	return out
}

func (r *Run) abortNote(stop string) string {
	switch {
	case r.abortOnStop():
		return "jenkins-trigger asked Jenkins to " + stop + "."
	case r.opts.AbortOnStop == nil:
		return "This step did not trigger the build, so Jenkins was not asked to " + stop + " (set abort_on_stop to true for that)."
	}
	return "abort_on_stop is false, so Jenkins was not asked to " + stop + "."
}
