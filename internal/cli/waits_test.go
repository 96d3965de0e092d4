package cli

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// threeJobs are the jobs of the tests of a step of several builds.
var threeJobs = []string{"deploy-eu", "deploy-us", "deploy-ap"}

// TestSharedQueueReadRetried: the one read of /queue/api/json that serves
// every build waiting in the queue answers 503 once; the read is retried
// while the other builds wait for it, and the step follows each build to
// its end, triggering each job once. Its builds wait on a channel for the
// shared read, a wait the bubble sees.
func TestSharedQueueReadRetried(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		queueReads := 0
		h := newHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/queue/api/json") {
				return jenkinstest.FaultNone
			}
			mu.Lock()
			defer mu.Unlock()
			queueReads++
			if queueReads == 1 {
				return jenkinstest.Fault503
			}
			return jenkinstest.FaultNone
		}})
		for _, job := range threeJobs {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: func(map[string]string) jenkinstest.Script {
				return jenkinstest.Script{QuietPeriod: 5 * time.Second, QueueWait: 10 * time.Second, Duration: 20 * time.Second,
					Result: "SUCCESS", Log: lines(4, 5*time.Second, job)}
			}})
		}
		h.set("JENKINS_JOB", strings.Join(threeJobs, "\n"))
		h.runWant(ExitOK)
		mu.Lock()
		reads := queueReads
		mu.Unlock()
		if reads < 2 {
			t.Errorf("%d reads of the queue: the 503 was not retried", reads)
		}
		for _, job := range threeJobs {
			builds := h.srv.Builds(job)
			if len(builds) != 1 || builds[0].Result != "SUCCESS" {
				t.Errorf("%s: builds %+v, want one that succeeded", job, builds)
			}
			if !strings.Contains(h.stdout.String()+h.stderr.String(), "SUCCESS: "+job+" #1 ") {
				t.Errorf("%s #1 was not followed to its end:\n%s%s", job, h.stdout.String(), h.stderr.String())
			}
		}
		triggers := 0
		for _, r := range h.srv.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/build") {
				triggers++
			}
		}
		if triggers != len(threeJobs) {
			t.Errorf("%d triggers, want one per job", triggers)
		}
	})
}

// TestStepDownloadsAtMostTwo: three builds that end together, each with
// three artifacts that take 2 s to send, download at most two files at
// once over the whole step, and all nine arrive.
func TestStepDownloadsAtMostTwo(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		files := []string{"dist/app.bin", "dist/app.sig", "report.txt"}
		for _, job := range threeJobs {
			var arts []jenkinstest.Artifact
			for _, f := range files {
				arts = append(arts, jenkinstest.Artifact{RelativePath: f, Size: 32 << 10})
			}
			h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: func(map[string]string) jenkinstest.Script {
				return jenkinstest.Script{Duration: 20 * time.Second, Result: "SUCCESS", Artifacts: arts}
			}})
		}
		var mu sync.Mutex
		inFlight, most := 0, 0
		h.fronted(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/artifact/") {
					next.ServeHTTP(w, r)
					return
				}
				mu.Lock()
				inFlight++
				most = max(most, inFlight)
				mu.Unlock()
				time.Sleep(2 * time.Second)
				next.ServeHTTP(w, r)
				mu.Lock()
				inFlight--
				mu.Unlock()
			})
		})
		dir := filepath.Join(h.dir, "artifacts")
		h.set("JENKINS_JOB", strings.Join(threeJobs, "\n"), "JENKINS_ARTIFACTS", "**", "JENKINS_ARTIFACTS_DIR", dir)
		h.runWant(ExitOK)
		if most != 2 {
			t.Errorf("at most %d downloads in flight, want 2", most)
		}
		for _, job := range threeJobs {
			for _, f := range files {
				if st, err := os.Stat(filepath.Join(dir, job, filepath.FromSlash(f))); err != nil || st.Size() != 32<<10 {
					t.Errorf("%s of %s: %v", f, job, err)
				}
			}
		}
	})
}

// TestStopFiveOwnedBuilds: a step stopped as by SIGINT while five builds
// it triggered run stops all five within the 7.5 s GitHub leaves between
// a cancel and SIGTERM, against a Jenkins that takes 1 s to answer each
// stop.
func TestStopFiveOwnedBuilds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		jobs := []string{"a", "b", "c", "d", "e"}
		for _, job := range jobs {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: func(map[string]string) jenkinstest.Script {
				return jenkinstest.Script{Duration: 10 * time.Minute, Result: "SUCCESS", Log: lines(10, time.Minute, job)}
			}})
		}
		h.fronted(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/stop") {
					time.Sleep(time.Second)
				}
				next.ServeHTTP(w, r)
			})
		})
		h.set("JENKINS_JOB", strings.Join(jobs, "\n"))
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		done := make(chan int, 1)
		go func() { done <- h.run(ctx) }()
		for running := 0; running < len(jobs); {
			time.Sleep(time.Second)
			running = 0
			for _, job := range jobs {
				running += len(h.srv.Builds(job))
			}
		}
		time.Sleep(10 * time.Second) // well into the builds
		stoppedAt := time.Now()
		cancel(errors.New("interrupt signal received"))
		if code := <-done; code != 130 && code != 143 {
			t.Errorf("exit %d, want a stop's\n%s%s", code, h.stdout.String(), h.stderr.String())
		}
		sigterm := stoppedAt.Add(7500 * time.Millisecond)
		if took := time.Since(stoppedAt); took > 7500*time.Millisecond {
			t.Errorf("the step ended %v after the stop, past GitHub's 7.5 s", took)
		}
		time.Sleep(time.Until(sigterm))
		for _, job := range jobs {
			builds := h.srv.Builds(job)
			if len(builds) != 1 || !builds[0].Aborted || builds[0].Result != "ABORTED" || builds[0].Completed.IsZero() || builds[0].Completed.After(sigterm) {
				t.Errorf("%s: builds %+v, want one aborted within 7.5 s of the stop at %v", job, builds, stoppedAt)
			}
		}
	})
}
