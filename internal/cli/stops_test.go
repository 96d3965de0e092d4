package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// stopRuns is how many seeded runs TestStopLeavesNothingBehind makes.
const stopRuns = 240

// triggerAnswerDelay is how long the fake Jenkins takes to answer a
// trigger after it queued the build, as a loaded Jenkins may.
const triggerAnswerDelay = 4 * time.Second

// slowTrigger is a transport before the fake: it delays the answer to a
// trigger after Jenkins acted on it, and stops the run
// when the time reaches stopAt, wherever the run is then, even while it
// waits for that answer.
type slowTrigger struct {
	next   http.RoundTripper
	stopAt time.Time
	stop   func()

	mu sync.Mutex
	// sending and answered are when the last trigger was sent and
	// answered; sends and answers count them, sent and answers each.
	sending, answered time.Time
	sends, answers    int
	sent, answeredAt  []time.Time
	// stoppedAt is when stop was first called; zero before.
	stoppedAt time.Time
}

func (s *slowTrigger) RoundTrip(req *http.Request) (*http.Response, error) {
	s.maybeStop()
	trigger := req.Method == http.MethodPost && (strings.HasSuffix(req.URL.Path, "/build") || strings.HasSuffix(req.URL.Path, "/buildWithParameters"))
	if trigger {
		s.mu.Lock()
		s.sending = time.Now()
		s.sends++
		s.sent = append(s.sent, s.sending)
		s.mu.Unlock()
	}
	resp, err := s.next.RoundTrip(req)
	if err != nil || !trigger {
		return resp, err
	}
	// Jenkins queued the build; its answer is still on its way.
	for range triggerAnswerDelay / (500 * time.Millisecond) {
		select {
		case <-req.Context().Done():
			resp.Body.Close()
			return nil, req.Context().Err()
		case <-time.After(500 * time.Millisecond):
		}
		s.maybeStop()
	}
	if err := req.Context().Err(); err != nil {
		resp.Body.Close()
		return nil, err
	}
	s.mu.Lock()
	s.answered = time.Now()
	s.answers++
	s.answeredAt = append(s.answeredAt, s.answered)
	s.mu.Unlock()
	return resp, nil
}

func (s *slowTrigger) maybeStop() {
	if now := time.Now(); !now.Before(s.stopAt) {
		s.mu.Lock()
		if s.stoppedAt.IsZero() {
			s.stoppedAt = now
		}
		s.mu.Unlock()
		s.stop()
	}
}

// answering is which trigger's answer was on its way at stop (1 for the
// first), or 0 for none; s.mu is held.
func (s *slowTrigger) answering(stop time.Time) int {
	for i, at := range s.sent {
		if !at.After(stop) && (i >= len(s.answeredAt) || s.answeredAt[i].After(stop)) {
			return i + 1
		}
	}
	return 0
}

// TestStopLeavesNothingBehind stops runs at seeded moments, before, while
// and after the trigger is answered, in the queue and while the build runs,
// by a signal or by the timeout, against a Jenkins slow to answer the
// trigger. No run may leave a queue item or a build running, or hang.
func TestStopLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		phases := map[string]int{}
		for seed := range uint64(stopRuns) {
			rng := rand.New(rand.NewPCG(seed, 0x73746f70))
			byTimeout := rng.IntN(2) == 0
			stopAfter := time.Duration(rng.Int64N(int64(36 * time.Second)))
			if rng.IntN(10) == 0 {
				stopAfter = 0 // before anything is sent
			}
			h := newHarness(t, jenkinstest.Options{})
			h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: []jenkinstest.ParamDef{{Name: "V", Type: "string"}},
				Script: func(map[string]string) jenkinstest.Script {
					return jenkinstest.Script{QuietPeriod: 3 * time.Second, QueueWait: 5 * time.Second, Duration: 20 * time.Second,
						Result: "SUCCESS", Log: lines(10, 2*time.Second, "deploy")}
				}})
			ctx, cancel := context.WithCancelCause(context.Background())
			start := time.Now()
			st := &slowTrigger{next: h.http.Transport, stopAt: start.Add(stopAfter)}
			if byTimeout {
				// The timeout passes in the bubble's time; a run that reaches
				// it stops itself. A timeout of a few milliseconds would pass
				// while the fake has not yet read the trigger this run
				// already sent: a race no real Jenkins runs. Stops at 0 come
				// by signal.
				stopAfter = max(stopAfter, time.Second)
				st.stopAt = start.Add(time.Hour)
				h.set("JENKINS_TIMEOUT", stopAfter.String())
			}
			st.stop = func() { cancel(errors.New("terminated signal received")) }
			h.http.Transport = st
			h.set("JENKINS_JOB", "deploy", "JENKINS_PARAMETERS", "V=1")

			done := make(chan int, 1)
			go func() { done <- h.run(ctx) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(time.Hour): // in the bubble's time
				t.Fatalf("seed %d: the run hangs", seed)
			}
			cancel(nil)

			st.mu.Lock()
			phase := stopPhase(stopAfter, st.sending.Sub(start), st.answered.Sub(start), !st.sending.IsZero(), !st.answered.IsZero(), h.srv.Builds("deploy"), start)
			st.mu.Unlock()
			switch {
			case code == ExitOK:
				phase = "finished before the stop"
			case byTimeout && code != ExitTimeout, !byTimeout && code != 143:
				t.Errorf("seed %d (%s, stop after %s): exit %d\n%s%s", seed, phase, stopAfter, code, h.stdout.String(), h.stderr.String())
			}
			phases[phase]++
			switch out := h.stdout.String() + h.stderr.String(); {
			case strings.Contains(out, "looking for the build it queued"):
				phases["  of which the trigger's answer was lost and searched for"]++
			case strings.Contains(out, "The step was stopped while Jenkins answered the trigger"):
				phases["  of which the trigger's answer arrived after the stop"]++
			}

			// Let a stopped build wind down, then look for leftovers.
			time.Sleep(5 * time.Second)
			if items := queued(t, h); len(items) > 0 {
				t.Errorf("seed %d (%s, stop after %s, timeout %v): queue items left behind: %v\n%s%s", seed, phase, stopAfter, byTimeout, items, h.stdout.String(), h.stderr.String())
			}
			for _, b := range h.srv.Builds("deploy") {
				if b.Completed.IsZero() {
					t.Errorf("seed %d (%s, stop after %s, timeout %v): build #%d left running\n%s%s", seed, phase, stopAfter, byTimeout, b.Number, h.stdout.String(), h.stderr.String())
				}
			}
			if n := len(h.srv.Builds("deploy")); n > 1 {
				t.Errorf("seed %d: %d builds", seed, n)
			}
		}
		t.Logf("%d seeded stops, by phase: %v", stopRuns, phases)
	})
}

// stopPhase names where a run was when it was stopped.
func stopPhase(stop, sending, answered time.Duration, sent, wasAnswered bool, builds []jenkinstest.BuildRecord, start time.Time) string {
	switch {
	case !sent || stop < sending:
		return "before the trigger"
	case !wasAnswered || stop < answered:
		return "while Jenkins answered the trigger"
	case len(builds) == 0 || stop < builds[0].Started.Sub(start):
		return "in the queue"
	}
	return "while building"
}

// queued lists the fake's waiting queue items, as Jenkins' /queue shows
// them.
func queued(t *testing.T, h *harness) []int {
	t.Helper()
	return queuedIn(t, h.srv)
}

// queuedIn is queued for a fake Jenkins outside a harness.
func queuedIn(t *testing.T, srv *jenkinstest.Server) []int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/queue/api/json?tree=items[id]", nil)
	req.SetBasicAuth("alice", secretToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var q struct {
		Items []struct {
			ID int `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, it := range q.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// stopRunsThreeJobs is how many seeded runs TestStopsWithThreeJobs makes.
const stopRunsThreeJobs = 200

// TestStopsWithThreeJobs stops steps that trigger three jobs at seeded
// moments: before, during and after the triggers (each answered 4 s after
// Jenkins queued the build), while the builds wait in the queue or run, by
// a signal or by the timeout. No step may leave a queue item or a build
// running, trigger a job twice, or hang; every phase is met by some seed,
// the bubble seeing every wait of the step, the shared queue read's
// included.
func TestStopsWithThreeJobs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		jobs := []string{"deploy-eu", "deploy-us", "deploy-ap"}
		phases := map[string]int{}
		for seed := range uint64(stopRunsThreeJobs) {
			rng := rand.New(rand.NewPCG(seed, 0x74687265))
			byTimeout := rng.IntN(2) == 0
			stopAfter := time.Duration(rng.Int64N(int64(45 * time.Second)))
			if rng.IntN(10) == 0 {
				stopAfter = 0 // before anything is sent
			}
			h := newHarness(t, jenkinstest.Options{})
			for _, job := range jobs {
				queue := time.Duration(rng.IntN(20)) * time.Second
				h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Params: []jenkinstest.ParamDef{{Name: "V", Type: "string"}},
					Script: func(map[string]string) jenkinstest.Script {
						return jenkinstest.Script{QuietPeriod: 3 * time.Second, QueueWait: queue, Duration: 20 * time.Second,
							Result: "SUCCESS", Log: lines(10, 2*time.Second, job)}
					}})
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			start := time.Now()
			st := &slowTrigger{next: h.http.Transport, stopAt: start.Add(stopAfter)}
			if byTimeout {
				stopAfter = max(stopAfter, time.Second)
				st.stopAt = start.Add(time.Hour)
				h.set("JENKINS_TIMEOUT", stopAfter.String())
			}
			st.stop = func() { cancel(errors.New("terminated signal received")) }
			h.http.Transport = st
			h.set("JENKINS_JOB", strings.Join(jobs, "\n"), "JENKINS_PARAMETERS", "V=1")

			done := make(chan int, 1)
			go func() { done <- h.run(ctx) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(time.Hour): // in the bubble's time
				t.Fatalf("seed %d: the run hangs", seed)
			}
			cancel(nil)

			started := 0
			for _, job := range jobs {
				if n := len(h.srv.Builds(job)); n > 1 {
					t.Errorf("seed %d: %d builds of %s", seed, n, job)
				} else {
					started += n
				}
			}
			st.mu.Lock()
			stopAt := st.stoppedAt
			if byTimeout {
				stopAt = start.Add(stopAfter)
			}
			phase := "before the triggers"
			switch {
			case code == ExitOK:
				phase = "finished before the stop"
			case st.answering(stopAt) > 0:
				// The stop came while a trigger's answer was on its way,
				// whatever the builds triggered before were doing.
				phase = fmt.Sprintf("while Jenkins answered trigger %d", st.answering(stopAt))
			case started == len(jobs):
				phase = "while all three built"
			case started > 0:
				phase = "with some building, some queued"
			case st.answers == len(jobs):
				phase = "with the builds queued"
			case st.sends > 0:
				phase = "between the triggers"
			}
			st.mu.Unlock()
			if code != ExitOK && (byTimeout && code != ExitTimeout || !byTimeout && code != 143) {
				t.Errorf("seed %d (%s, stop after %s): exit %d\n%s%s", seed, phase, stopAfter, code, h.stdout.String(), h.stderr.String())
			}
			phases[phase]++

			// Let a stopped build wind down, then look for leftovers.
			time.Sleep(5 * time.Second)
			if items := queued(t, h); len(items) > 0 {
				t.Errorf("seed %d (%s, stop after %s, timeout %v): queue items left behind: %v\n%s%s", seed, phase, stopAfter, byTimeout, items, h.stdout.String(), h.stderr.String())
			}
			for _, job := range jobs {
				for _, b := range h.srv.Builds(job) {
					if b.Completed.IsZero() {
						t.Errorf("seed %d (%s, stop after %s, timeout %v): %s #%d left running\n%s%s", seed, phase, stopAfter, byTimeout, job, b.Number, h.stdout.String(), h.stderr.String())
					}
				}
			}
		}
		t.Logf("%d seeded stops of three jobs, by phase: %v", stopRunsThreeJobs, phases)
		for _, want := range []string{"before the triggers", "while Jenkins answered trigger 1", "while Jenkins answered trigger 2",
			"while Jenkins answered trigger 3", "with the builds queued", "with some building, some queued", "while all three built",
			"finished before the stop"} {
			if phases[want] == 0 {
				t.Errorf("no seed stopped the step %s", want)
			}
		}
	})
}
