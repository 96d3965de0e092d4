package cli

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// waiting is a build that waits wait for an executor, then runs d.
func waiting(wait, d time.Duration) func(map[string]string) jenkinstest.Script {
	return func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{QuietPeriod: 2 * time.Second, QueueWait: wait, Duration: d, Log: lines(3, d/4, "step"), Result: "SUCCESS"}
	}
}

// TestQueueTimeout runs whole steps with queue_timeout: a build still
// queued when it passes is cancelled and the step exits 4 in one line
// naming the queue's reason; one that started in time runs to its end;
// timeout still bounds the step; each build has its own.
func TestQueueTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		jobs   map[string]time.Duration // job: its wait in the queue
		env    []string
		code   int
		line   string
		result string
		builds map[string]int // job: builds it has in the end
	}{
		{"cancelled", map[string]time.Duration{"deploy": time.Hour}, []string{"JENKINS_JOB", "deploy"}, ExitTimeout,
			"error: deploy was still in the queue after 10m (queue_timeout): Waiting for next available executor on ‘linux’; queue item 1 was cancelled", "TIMEOUT", map[string]int{"deploy": 0}},
		{"started in time", map[string]time.Duration{"deploy": 9 * time.Minute}, []string{"JENKINS_JOB", "deploy"}, ExitOK, "", "SUCCESS", map[string]int{"deploy": 1}},
		{"timeout bounds the build", map[string]time.Duration{"deploy": 9 * time.Minute}, []string{"JENKINS_JOB", "deploy", "JENKINS_TIMEOUT", "15m"}, ExitTimeout,
			"error: timeout 15m0s passed before the build reached completion", "TIMEOUT", map[string]int{"deploy": 1}},
		{"several", map[string]time.Duration{"a": time.Hour, "b": time.Minute, "c": 30 * time.Minute}, []string{"JENKINS_JOB", "a\nb\nc"}, ExitTimeout,
			"error: a was still in the queue after 10m (queue_timeout): Waiting for next available executor on ‘linux’; queue item 1 was cancelled; " +
				"c was still in the queue after 10m (queue_timeout): Waiting for next available executor on ‘linux’; queue item 3 was cancelled",
			"TIMEOUT", map[string]int{"a": 0, "b": 1, "c": 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				for job, wait := range tt.jobs {
					h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: waiting(wait, 20*time.Minute)})
				}
				h.set("JENKINS_QUEUE_TIMEOUT", "10m").set(tt.env...)
				h.runWant(tt.code)
				if errs := errorLines(h.stderr.String()); tt.line != "" && (len(errs) != 1 || errs[0] != tt.line) {
					t.Errorf("error lines %q, want %q", errs, tt.line)
				}
				if got := h.outputs()["JENKINS_RESULT"]; got != tt.result {
					t.Errorf("result %q, want %s", got, tt.result)
				}
				for job, n := range tt.builds {
					if got := len(h.srv.Builds(job)); got != n {
						t.Errorf("%s has %d builds, want %d", job, got, n)
					}
				}
				time.Sleep(time.Hour) // whatever is still queued would start now
				for job, n := range tt.builds {
					if got := len(h.srv.Builds(job)); got != n {
						t.Errorf("%s has %d builds an hour later, want %d: its item was not cancelled", job, got, n)
					}
				}
			})
		})
	}
}

// TestFollowedItemOutlivesQueueTimeout: a queue item the step follows, and
// did not trigger, times the step out but stays in the queue.
func TestFollowedItemOutlivesQueueTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		queueURL, _, h0 := startBuild(t, "deploy", waiting(time.Hour, time.Minute), 2*time.Minute)
		h := h0.again()
		h.set("JENKINS_FOLLOW", queueURL, "JENKINS_QUEUE_TIMEOUT", "10m")
		h.runWant(ExitTimeout)
		want := "error: deploy was still in the queue after 10m (queue_timeout): Waiting for next available executor on ‘linux’; " +
			"queue item 1 was left in the queue (this step did not trigger it; set abort_on_stop to true to cancel it)"
		if errs := errorLines(h.stderr.String()); len(errs) != 1 || errs[0] != want {
			t.Errorf("error lines %q, want %q", errs, want)
		}
		time.Sleep(time.Hour)
		if len(h.srv.Builds("deploy")) != 1 {
			t.Error("the followed item was cancelled")
		}
	})
}

func errorLines(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "error: ") {
			out = append(out, line)
		}
	}
	return out
}
