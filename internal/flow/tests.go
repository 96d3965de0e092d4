package flow

import (
	"context"
	"fmt"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// readTests reads the finished build's test report, once and only when the
// step summary or the junit input needs it, and writes the JUnit file. A
// failure warns: the build's result decides the exit code, not its report.
func (r *Run) readTests(ctx context.Context) {
	if !r.Report.WantsSummary() && r.opts.JUnit == "" {
		return
	}
	job, n := r.opts.Job, r.number()
	t, err := r.Client.TestReport(ctx, job, n)
	if err != nil {
		r.testsErr = err
		r.Report.Warning("%v; the build's tests are left out", err)
		return
	}
	if t != nil {
		r.tests = testRun(r.Client, job, n, t)
		r.Report.Status("Tests: %d passed, %d failed, %d skipped", t.PassCount, t.FailCount, t.SkipCount)
	}
	if r.opts.JUnit == "" {
		return
	}
	if t == nil {
		r.Report.Status("%s #%d has no test report, so %s was not written", job.Name, n, r.opts.JUnit)
		return
	}
	if err := r.Report.WriteJUnit(r.opts.JUnit, fmt.Sprintf("%s #%d", job.Name, n), r.tests); err != nil {
		r.Report.Warning("%v", err)
		return
	}
	r.Report.Status("Wrote the %d tests of %s #%d to %s", t.Total(), job.Name, n, r.opts.JUnit)
}

// testRun translates Jenkins' test report for the reporter, with each
// failed test linked the way the junit plugin names its page.
func testRun(c *jenkins.Client, job jenkins.Job, n int, t *jenkins.TestReport) *report.TestRun {
	run := &report.TestRun{
		Passed: t.PassCount, Failed: t.FailCount, Skipped: t.SkipCount,
		Duration: t.Duration, URL: c.URL(jenkins.TestReportPath(job, n)),
	}
	// Failures lists the failed tests in report order, as this loop meets
	// them.
	failures := t.Failures(job, n)
	for _, s := range t.Suites {
		rs := report.TestSuite{Name: s.Name, Duration: s.Duration, Timestamp: s.Timestamp}
		for _, tc := range s.Cases {
			rc := report.TestCase{
				ClassName: tc.ClassName, Name: tc.Name, Status: report.TestPassed, Duration: tc.Duration,
				ErrorDetails: tc.ErrorDetails, ErrorStackTrace: tc.ErrorStackTrace, SkippedMessage: tc.SkippedMessage,
			}
			switch {
			case tc.Failed():
				rc.Status = report.TestFailed
				rc.URL = c.URL(failures[0].Path)
				failures = failures[1:]
			case tc.Skipped():
				rc.Status = report.TestSkipped
			}
			rs.Cases = append(rs.Cases, rc)
		}
		run.Suites = append(run.Suites, rs)
	}
	return run
}
