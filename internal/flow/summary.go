package flow

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// heartbeatEvery is how long a build may write nothing before the run says
// it is still following it.
const heartbeatEvery = 30 * time.Second

// facts are what a run learns on the way that only its summary and its
// heartbeat need.
type facts struct {
	// inQueueSince is when Jenkins queued the item, in ms on its clock; 0
	// when unknown.
	inQueueSince int64
	// build is the build as last read; nil before it started.
	build *jenkins.Build
	// tests is the finished build's test report; nil when it has none or
	// it was not read. testsErr says why it could not be read.
	tests    *jenkins.TestReport
	testsErr error
	// quietSince is when the build last wrote something, or when the run
	// last said it was still following it.
	quietSince time.Time
}

// heartbeat notes whether the build wrote something, and after
// heartbeatEvery of silence says how long it has been running, from the
// build JSON already read: no extra request.
func (r *run) heartbeat(b *jenkins.Build, output bool) {
	now := r.Clock.Now()
	if output || r.quietSince.IsZero() {
		r.quietSince = now
		return
	}
	if now.Sub(r.quietSince) < heartbeatEvery {
		return
	}
	r.quietSince = now
	r.Report.Status("%s", stillRunning(-r.untilJenkins(b.Timestamp), b.EstimatedDuration))
}

// stillRunning is "still running: 2m10s of about 5m", or without Jenkins'
// estimate "still running: 2m10s".
func stillRunning(elapsed time.Duration, estimatedMS int64) string {
	s := "still running: " + roughDuration(max(elapsed, 0))
	if estimatedMS > 0 {
		s += " of about " + roughDuration(time.Duration(estimatedMS)*time.Millisecond)
	}
	return s
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

// readTests reads the finished build's test report, once and only when the
// step summary or the junit input needs it, and writes the JUnit file. A
// failure warns: the build's result decides the exit code, not its report.
func (r *run) readTests(ctx context.Context) {
	if !r.Report.WantsSummary() && r.cfg.JUnit == "" {
		return
	}
	t, err := r.Client.TestReport(ctx, r.job, r.number)
	if err != nil {
		r.testsErr = err
		r.Report.Warning("%v; the build's tests are left out", err)
		return
	}
	r.tests = t
	if t != nil {
		r.Report.Status("Tests: %d passed, %d failed, %d skipped", t.PassCount, t.FailCount, t.SkipCount)
	}
	if r.cfg.JUnit == "" {
		return
	}
	if t == nil {
		r.Report.Status("%s #%d has no test report, so %s was not written", r.job.Name, r.number, r.cfg.JUnit)
		return
	}
	if err := r.Report.WriteJUnit(r.cfg.JUnit, fmt.Sprintf("%s #%d", r.job.Name, r.number), t); err != nil {
		r.Report.Warning("%v", err)
		return
	}
	r.Report.Status("Wrote the %d tests of %s #%d to %s", t.Total(), r.job.Name, r.number, r.cfg.JUnit)
}

// timedOut is the verdict of a run whose timeout passed: how long it
// waited, and where the build or its queue item is.
func (r *run) timedOut() report.Verdict {
	v := verdictFor(r, ResultTimeout, 0, true)
	v.Duration = roughDuration(r.Clock.Now().Sub(r.begin()))
	return v
}

func (r *run) begin() time.Time { return r.deadline.Add(-r.cfg.Timeout) }

// summarize writes the step summary of a run that queued something, with
// whatever it reached.
func (r *run) summarize(result string, err error) {
	if r.queueID == 0 || !r.Report.WantsSummary() {
		return
	}
	s := report.Summary{
		Job:    r.job.Name,
		JobURL: r.Client.URL(r.job.Path),
		Number: r.number,
		URL:    r.Client.URL(jenkins.QueuePath(r.queueID)),
		Result: result,
		Params: summaryParams(r.cfg),
		Notes:  r.notes(result, err),
	}
	if r.number > 0 {
		s.URL = r.buildURL()
	} else {
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
	if t := r.tests; t != nil {
		s.Tests = &report.Tests{Passed: t.PassCount, Failed: t.FailCount, Skipped: t.SkipCount, URL: r.Client.URL(jenkins.TestReportPath(r.job, r.number))}
		for _, f := range t.Failures(r.job, r.number) {
			if len(s.Tests.Failures) == report.MaxFailures {
				break
			}
			s.Tests.Failures = append(s.Tests.Failures, report.FailedTest{Name: f.ClassName + "." + f.Name, URL: r.Client.URL(f.Path), Details: f.ErrorDetails})
		}
	}
	r.Report.Summary(s)
}

func summaryParams(cfg *config.Config) []report.Param {
	out := make([]report.Param, 0, len(cfg.Parameters)+len(cfg.Files))
	for _, p := range cfg.Parameters {
		out = append(out, report.Param{Name: p.Name, Value: p.Value})
	}
	for _, f := range cfg.Files {
		out = append(out, report.Param{Name: f.Name, Value: filepath.Base(f.Path), File: true})
	}
	return out
}

// notes say how a run ended when its result does not say it all.
func (r *run) notes(result string, err error) []string {
	var out []string
	where := "while the build was in the queue"
	stop := "cancel the queue item"
	if r.number > 0 {
		where = fmt.Sprintf("while #%d was running", r.number)
		stop = "stop the build"
	}
	var stopped *StoppedError
	switch {
	case errors.Is(err, ErrTimeout):
		out = append(out, fmt.Sprintf("The timeout (%s) passed %s.", r.cfg.Timeout, where), r.abortNote(stop))
	case errors.As(err, &stopped):
		out = append(out, fmt.Sprintf("The step was stopped (%v) %s.", stopped.Cause, where), r.abortNote(stop))
	case err != nil:
		out = append(out, fmt.Sprintf("The run failed %s: %v", where, err))
	case result == ResultCancelled:
		out = append(out, "The queue item was cancelled before the build started.")
	case result == "":
		out = append(out, fmt.Sprintf("wait_for is %s, so the build was not followed further.", r.cfg.WaitFor))
	}
	if r.testsErr != nil {
		out = append(out, fmt.Sprintf("The test report could not be read: %v", r.testsErr))
	}
	return out
}

func (r *run) abortNote(stop string) string {
	if r.cfg.AbortOnStop {
		return "jenkins-trigger asked Jenkins to " + stop + "."
	}
	return "abort_on_stop is false, so Jenkins was not asked to " + stop + "."
}
