package cli

import (
	"context"
	"encoding/json"
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

// The tests of this file hold "Downstream builds" in shared/interface.md,
// through the whole command.

// orchestrator adds deploy-all, a 20 s Pipeline whose Deploy stage builds
// deploy-eu (a 10 s Pipeline) and waits for it, then builds deploy-us (a
// 10 s freestyle job) without waiting. euResult is deploy-eu's result, and
// it is propagated.
func orchestrator(h *harness, euResult string, euTook time.Duration) {
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy-all", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{Duration: 20 * time.Second, EstimatedDuration: 20 * time.Second, Log: lines(10, 2*time.Second, "deploy-all"),
			Stages: []jenkinstest.Stage{{Name: "Build", Duration: 4 * time.Second}, {Name: "Deploy", Start: 4 * time.Second, Duration: 16 * time.Second}},
			Downstream: []jenkinstest.Downstream{
				{At: 5 * time.Second, Job: "deploy-eu", Wait: true, Propagate: true},
				{At: 6 * time.Second, Job: "deploy-us"},
			}}
	}})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy-eu", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{Duration: euTook, EstimatedDuration: euTook, Result: euResult, Log: lines(5, 2*time.Second, "deploy-eu"),
			Stages: []jenkinstest.Stage{{Name: "Roll out", Duration: euTook, Result: euResult}}}
	}})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy-us", Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{QuietPeriod: 2 * time.Second, Duration: 10 * time.Second, EstimatedDuration: 10 * time.Second, Log: lines(5, 2*time.Second, "deploy-us")}
	}})
}

// firstSeen records, on the harness' clock, when the step first asked
// about each build, by its path.
type firstSeen struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (f *firstSeen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if _, ok := f.seen[r.URL.Path]; !ok {
			f.seen[r.URL.Path] = time.Now()
		}
		f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// at is when the step first read something of path's build.
func (f *firstSeen) at(prefix string) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first time.Time
	for p, t := range f.seen {
		if strings.HasPrefix(p, prefix) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}

// buildsOutput reads the builds output.
func buildsOutput(t *testing.T, out map[string]string) []map[string]any {
	t.Helper()
	var builds []map[string]any
	if err := json.Unmarshal([]byte(out["JENKINS_BUILDS"]), &builds); err != nil {
		t.Fatalf("builds %q: %v", out["JENKINS_BUILDS"], err)
	}
	return builds
}

// downstreamRequest reports whether a request is one only the downstream
// tracker sends.
func downstreamRequest(r jenkinstest.RequestRecord) bool {
	return strings.HasSuffix(r.Path, "/allSteps") || strings.Contains(r.RawQuery, "upstreamProject") ||
		strings.Contains(r.RawQuery, "triggeredBuilds") || r.Path == "/jenkins/api/json"
}

// TestDownstreamOrchestrator: an orchestrator's children are found as
// they start, through Graph View's allSteps or, without it, through their
// causes; each is reported once, followed to its end by its status and
// listed in builds with its upstream, while the step's result stays the
// orchestrator's. A `wait: false` child is followed too.
func TestDownstreamOrchestrator(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		graphView  string
		downstream string
	}{
		{"all steps", "stages", ""},
		{"causes only", "", ""},
		{"follow", "stages", "follow"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{GraphView: tt.graphView})
				orchestrator(h, "SUCCESS", 10*time.Second)
				seen := &firstSeen{seen: map[string]time.Time{}}
				h.fronted(seen.wrap)
				h.set("JENKINS_JOB", "deploy-all")
				if tt.downstream != "" {
					h.set("JENKINS_DOWNSTREAM", tt.downstream)
				}
				h.runWant(ExitOK)

				stdout := h.stdout.String()
				for _, want := range []string{"→ deploy-eu #1 started by deploy-all #1\n", "→ deploy-us #1 started by deploy-all #1\n"} {
					if n := strings.Count(stdout, want); n != 1 {
						t.Errorf("%q said %d times:\n%s", want, n, stdout)
					}
				}
				for _, want := range []string{"deploy-eu #1 | SUCCESS in 10s ", "deploy-us #1 | SUCCESS in 10s "} {
					if !strings.Contains(stdout, want) {
						t.Errorf("no %q:\n%s", want, stdout)
					}
				}
				// follow streams each child's console, every line labelled;
				// show none. The step's own lines stay unlabelled.
				eu, us := strings.Count(stdout, "deploy-eu #1 | deploy-eu line "), strings.Count(stdout, "deploy-us #1 | deploy-us line ")
				if want := map[bool]int{true: 5}[tt.downstream == "follow"]; eu != want || us != want {
					t.Errorf("%d and %d labelled console lines of the children, want %d each:\n%s", eu, us, want, stdout)
				}
				if strings.Count(stdout, "deploy-eu line ") != eu || !strings.Contains(stdout, "\ndeploy-all line 1\n") {
					t.Errorf("a console line is not labelled as its build's:\n%s", stdout)
				}
				// Each child reported within 2 s of its start.
				for _, job := range []string{"deploy-eu", "deploy-us"} {
					b := h.srv.Builds(job)
					if len(b) != 1 {
						t.Fatalf("%s: builds %+v", job, b)
					}
					if late := seen.at("/jenkins/job/" + job + "/1/").Sub(b[0].Started); late < 0 || late > 2*time.Second {
						t.Errorf("%s #1 first read %v after its start, want within 2s", job, late)
					}
				}

				out := h.outputs()
				if out["JENKINS_RESULT"] != "SUCCESS" || !strings.HasSuffix(out["JENKINS_BUILD_URL"], "/job/deploy-all/1/") || out["JENKINS_FAILED_BUILD_URL"] != "" {
					t.Errorf("outputs %v, want deploy-all's and nothing failed", out)
				}
				builds := buildsOutput(t, out)
				if len(builds) != 3 || builds[0]["job"] != "deploy-all" || builds[0]["upstream"] != nil ||
					builds[1]["job"] != "deploy-eu" || builds[1]["upstream"] != out["JENKINS_BUILD_URL"] ||
					builds[2]["job"] != "deploy-us" || builds[2]["upstream"] != out["JENKINS_BUILD_URL"] || builds[2]["result"] != "SUCCESS" {
					t.Errorf("builds %v", builds)
				}

				requests := h.srv.Requests()
				allSteps := 0
				for _, r := range requests {
					if strings.HasSuffix(r.Path, "/allSteps") {
						allSteps++
					}
					if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/stop") {
						t.Errorf("the step stopped a build: %s", r.Path)
					}
				}
				if tt.graphView == "" && allSteps > 2 {
					t.Errorf("%d allSteps requests without Graph View, want one per Pipeline build at most", allSteps)
				}
				all := h.srv.Builds("deploy-all")
				late := time.Since(all[0].Completed)
				t.Logf("%d requests, %d of allSteps; the step ended %v after deploy-all", len(requests), allSteps, late)
				if late > 500*time.Millisecond {
					t.Errorf("the step ended %v after deploy-all, want within 0.5s", late)
				}
				if tt.downstream == "" && len(requests) > 60 {
					t.Errorf("%d requests, want at most 60", len(requests))
				}
			})
		})
	}
}

// TestDownstreamParameterizedTrigger: a freestyle build's Parameterized
// Trigger children, blocking and not, are found through the console's
// lines confirmed by their causes and the plugin's record.
func TestDownstreamParameterizedTrigger(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "release", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 10 * time.Second, Log: lines(5, 2*time.Second, "release"), Downstream: []jenkinstest.Downstream{
				{At: 2 * time.Second, Job: "team/build-app", Wait: true},
				{At: 3 * time.Second, Job: "notify"},
			}}
		}})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/build-app", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 8 * time.Second, Result: "UNSTABLE"}
		}})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "notify", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{QuietPeriod: time.Second, Duration: 30 * time.Second}
		}})
		h.set("JENKINS_JOB", "release")
		h.runWant(ExitUnstable)
		stdout := h.stdout.String()
		for _, want := range []string{"→ team/build-app #1 started by release #1\n", "→ notify #1 started by release #1\n",
			"team/build-app #1 | UNSTABLE in 8s ", "notify #1 | SUCCESS in 30s "} {
			if n := strings.Count(stdout, want); n != 1 {
				t.Errorf("%q said %d times:\n%s", want, n, stdout)
			}
		}
		// The step waited for the child that outlives its parent.
		if notify := h.srv.Builds("notify"); len(notify) != 1 || notify[0].Completed.After(time.Now()) {
			t.Errorf("notify %+v not followed to its end", notify)
		}
		out := h.outputs()
		if out["JENKINS_RESULT"] != "UNSTABLE" || len(buildsOutput(t, out)) != 3 {
			t.Errorf("outputs %v", out)
		}
	})
}

// nested adds deploy-all, which waits for deploy-eu, which waits for
// smoke, a Pipeline that FAILS in its Smoke stage with a failed test;
// each propagates the failure.
func nested(h *harness) {
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy-all", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{Duration: 10 * time.Second, Result: "SUCCESS",
			Stages:     []jenkinstest.Stage{{Name: "Deploy", Duration: 10 * time.Second}},
			Downstream: []jenkinstest.Downstream{{At: 2 * time.Second, Job: "deploy-eu", Wait: true, Propagate: true}}}
	}})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy-eu", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{Duration: 10 * time.Second, Result: "SUCCESS",
			Stages:     []jenkinstest.Stage{{Name: "Roll out", Duration: 3 * time.Second}, {Name: "Verify", Start: 3 * time.Second, Duration: 7 * time.Second}},
			Downstream: []jenkinstest.Downstream{{At: 4 * time.Second, Job: "smoke", Wait: true, Propagate: true}}}
	}})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "smoke", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{Duration: 6 * time.Second, Result: "FAILURE",
			Stages: []jenkinstest.Stage{{Name: "Smoke", Duration: 6 * time.Second, Result: "FAILURE"}},
			Tests: &jenkinstest.TestReport{Suites: []jenkinstest.TestSuite{{Name: "smoke", Cases: []jenkinstest.TestCase{
				{ClassName: "smoke.Api", Name: "health", Status: "FAILED", ErrorDetails: "503 from /health"},
				{ClassName: "smoke.Api", Name: "version", Status: "PASSED"},
			}}}}}
	}})
}

// TestDownstreamFailedGrandchild: two levels deep, the grandchild that
// really failed is named first in the verdict and its annotation, with its
// failed stage and tests, then the step's own build; failed_build_url and
// failed_job give it, builds gives the chain, and result stays the step's
// own build's.
func TestDownstreamFailedGrandchild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{GraphView: "stages"})
		nested(h)
		summaryPath := filepath.Join(h.dir, "summary.md")
		h.set("JENKINS_JOB", "deploy-all", "GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summaryPath)
		h.runWant(ExitFailure)
		stdout := h.stdout.String()
		// The builds' lines interleave as their runs go; the verdict comes
		// once they all ended.
		h.golden("github-downstream-verdict.golden", stdout[max(strings.Index(stdout, "::error::"), 0):])

		deep := strings.Index(stdout, "::error::FAILURE in stage Smoke: smoke #1 in 6s ")
		test := strings.Index(stdout, "failed test smoke.Api.health: 503 from /health")
		own := strings.Index(stdout, "::error::FAILURE in stage Deploy: deploy-all #1 ")
		if deep < 0 || test < deep || own < test {
			t.Errorf("the verdict does not name smoke #1, its test, then deploy-all #1:\n%s", stdout)
		}
		if n := strings.Count(stdout, "::error::"); n != 2 {
			t.Errorf("%d error annotations, want smoke's and deploy-all's", n)
		}
		out := h.outputs()
		if !strings.HasSuffix(out["JENKINS_FAILED_BUILD_URL"], "/job/smoke/1/") || out["JENKINS_FAILED_JOB"] != "smoke" ||
			out["JENKINS_RESULT"] != "FAILURE" || !strings.HasSuffix(out["JENKINS_BUILD_URL"], "/job/deploy-all/1/") {
			t.Errorf("outputs %v", out)
		}
		builds := buildsOutput(t, out)
		if len(builds) != 3 || builds[1]["job"] != "deploy-eu" || builds[1]["upstream"] != builds[0]["build_url"] ||
			builds[2]["job"] != "smoke" || builds[2]["upstream"] != builds[1]["build_url"] || builds[2]["result"] != "FAILURE" {
			t.Errorf("builds %v", builds)
		}
		// The summary nests each build below the one that started it, and its
		// heading names the build the error line and the outputs name.
		summary, err := os.ReadFile(summaryPath)
		if err != nil {
			t.Fatal(err)
		}
		heading, _, _ := strings.Cut(string(summary), "\n")
		if !strings.Contains(heading, "[smoke #1](") || !strings.Contains(heading, "below deploy-all #1 FAILURE") {
			t.Errorf("summary heading %q does not name smoke #1 below deploy-all #1", heading)
		}
		for _, row := range []string{"| [deploy-all](", "| ↳ [deploy-eu](", "| &emsp;↳ [smoke]("} {
			if !strings.Contains(string(summary), "\n"+row) {
				t.Errorf("summary has no row %q:\n%s", row, summary)
			}
		}
	})
}

// TestDownstreamStop: a stop of the step stops the build it triggered,
// and Jenkins aborts that build's waited child; the step never stops the
// child itself, even with abort_on_stop.
func TestDownstreamStop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{GraphView: "stages"})
		orchestrator(h, "SUCCESS", 5*time.Minute)
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		// Stopped once the step reads the child it found.
		h.fronted(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r)
				if strings.HasPrefix(r.URL.Path, "/jenkins/job/deploy-eu/1/") {
					cancel(errors.New("interrupt signal received"))
				}
			})
		})
		// abort_on_stop applies to the step's builds only.
		h.set("JENKINS_JOB", "deploy-all", "JENKINS_ABORT_ON_STOP", "true")
		if code := h.run(ctx); code != 130 {
			t.Fatalf("exit %d, want 130\n%s%s", code, h.stdout.String(), h.stderr.String())
		}
		time.Sleep(5 * time.Second)
		for _, r := range h.srv.Requests() {
			if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/jenkins/job/deploy-eu/") {
				t.Errorf("the step sent %s %s to the child", r.Method, r.Path)
			}
		}
		if all := h.srv.Builds("deploy-all"); len(all) != 1 || !all[0].Aborted {
			t.Errorf("deploy-all %+v, want stopped by the step", all)
		}
		if eu := h.srv.Builds("deploy-eu"); len(eu) != 1 || eu[0].Result != "ABORTED" {
			t.Errorf("deploy-eu %+v, want aborted by Jenkins with its parent", eu)
		}
		if !strings.Contains(h.stdout.String(), "→ deploy-eu #1 started by deploy-all #1") {
			t.Errorf("the child was not found:\n%s", h.stdout.String())
		}
	})
}

// TestDownstreamCost: off sends no request of its own, and the default
// show costs a build that starts nothing at most 3 requests more.
func TestDownstreamCost(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		count := func(downstream string, pipeline bool) []jenkinstest.RequestRecord {
			h := newHarness(t, jenkinstest.Options{GraphView: "stages"})
			h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Pipeline: pipeline, Script: func(map[string]string) jenkinstest.Script {
				return jenkinstest.Script{QuietPeriod: 5 * time.Second, Duration: 20 * time.Second, EstimatedDuration: 20 * time.Second, Log: lines(10, 2*time.Second, "deploy"),
					Stages: []jenkinstest.Stage{{Name: "Build", Duration: 10 * time.Second}, {Name: "Test", Start: 10 * time.Second, Duration: 10 * time.Second}}}
			}})
			h.set("JENKINS_JOB", "deploy")
			if downstream != "" {
				h.set("JENKINS_DOWNSTREAM", downstream)
			}
			h.runWant(ExitOK)
			return h.srv.Requests()
		}
		for _, pipeline := range []bool{false, true} {
			off, show := count("off", pipeline), count("", pipeline)
			for _, r := range off {
				if downstreamRequest(r) {
					t.Errorf("off sent %s %s?%s", r.Method, r.Path, r.RawQuery)
				}
			}
			t.Logf("pipeline %v: %d requests with off, %d with show", pipeline, len(off), len(show))
			if len(show) > len(off)+3 {
				t.Errorf("pipeline %v: show sent %d requests, off %d", pipeline, len(show), len(off))
			}
		}
		// The orchestrator with off: its children are not looked for.
		h := newHarness(t, jenkinstest.Options{GraphView: "stages"})
		orchestrator(h, "SUCCESS", 10*time.Second)
		h.set("JENKINS_JOB", "deploy-all", "JENKINS_DOWNSTREAM", "off")
		h.runWant(ExitOK)
		for _, r := range h.srv.Requests() {
			if downstreamRequest(r) || strings.Contains(r.Path, "/job/deploy-eu/") {
				t.Errorf("off sent %s %s?%s", r.Method, r.Path, r.RawQuery)
			}
		}
		if strings.Contains(h.stdout.String(), "→") || len(buildsOutput(t, h.outputs())) != 1 {
			t.Errorf("off reported children:\n%s", h.stdout.String())
		}
	})
}

// TestDownstreamScheduledAtTheEnd: a `wait: false` child scheduled just
// before its parent ends starts only after its quiet period, when the
// parent has finished; the console said it was scheduled, so it is looked
// for until it starts, then followed to its end.
func TestDownstreamScheduledAtTheEnd(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{GraphView: "stages"})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "release", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 10 * time.Second, EstimatedDuration: 10 * time.Second, Log: lines(5, 2*time.Second, "release"),
				Stages:     []jenkinstest.Stage{{Name: "Ship", Duration: 10 * time.Second}},
				Downstream: []jenkinstest.Downstream{{At: 9900 * time.Millisecond, Job: "announce"}}}
		}})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "announce", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{QuietPeriod: 5 * time.Second, Duration: 3 * time.Second, EstimatedDuration: 3 * time.Second, Log: lines(2, time.Second, "announce")}
		}})
		h.set("JENKINS_JOB", "release")
		h.runWant(ExitOK)
		if !strings.Contains(h.stdout.String(), "→ announce #1 started by release #1\n") || !strings.Contains(h.stdout.String(), "announce #1 | SUCCESS in 3s ") {
			t.Errorf("the child scheduled at the end was not followed:\n%s", h.stdout.String())
		}
		if builds := buildsOutput(t, h.outputs()); len(builds) != 2 || builds[1]["job"] != "announce" || builds[1]["result"] != "SUCCESS" {
			t.Errorf("builds %v", builds)
		}
	})
}
