package cli

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// The tests of this file hold each bullet of "Several jobs" in
// shared/interface.md, through the whole command.

// region is a build of job: it waits in the queue, then runs d, writing a
// line every 2 s that names the job, and ends with result.
func region(job, result string, queue, d time.Duration) func(map[string]string) jenkinstest.Script {
	return func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{QuietPeriod: 5 * time.Second, QueueWait: queue, Duration: d, Result: result,
			EstimatedDuration: d, Log: lines(int(d/(2*time.Second)), 2*time.Second, job+" deploying")}
	}
}

// threeRegions adds team/deploy-eu (SUCCESS), team/deploy-us (a Pipeline
// that FAILS in its Deploy stage, with tests) and team/deploy-ap
// (UNSTABLE, with an artifact), each taking V.
func threeRegions(h *harness) {
	params := []jenkinstest.ParamDef{{Name: "V", Type: "string"}}
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/deploy-eu", Params: params, Script: region("team/deploy-eu", "SUCCESS", 2*time.Second, 40*time.Second)})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/deploy-us", Params: params, Pipeline: true, Script: func(p map[string]string) jenkinstest.Script {
		s := region("team/deploy-us", "FAILURE", 0, 30*time.Second)(p)
		s.Stages = []jenkinstest.Stage{{Name: "Build", Duration: 10 * time.Second}, {Name: "Deploy", Start: 10 * time.Second, Duration: 20 * time.Second, Result: "FAILURE"}}
		s.Tests = &jenkinstest.TestReport{Suites: []jenkinstest.TestSuite{{Name: "smoke", Cases: []jenkinstest.TestCase{
			{ClassName: "smoke.Api", Name: "health", Status: "FAILED", ErrorDetails: "503"}, {ClassName: "smoke.Api", Name: "version", Status: "PASSED"},
		}}}}
		return s
	}})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/deploy-ap", Params: params, Script: func(p map[string]string) jenkinstest.Script {
		s := region("team/deploy-ap", "UNSTABLE", 4*time.Second, 50*time.Second)(p)
		s.Tests = &jenkinstest.TestReport{Suites: []jenkinstest.TestSuite{{Name: "smoke", Cases: []jenkinstest.TestCase{{ClassName: "smoke.Api", Name: "health", Status: "PASSED"}}}}}
		s.Artifacts = []jenkinstest.Artifact{{RelativePath: "dist/release.txt", Content: []byte("ap " + p["V"] + "\n")}}
		return s
	}})
}

const regions = "team/deploy-eu\nteam/deploy-us\nteam/deploy-ap"

// TestSeveralJobs triggers three jobs in one step, in GitHub mode, and
// checks what the contract says of them: all triggered, then followed at
// once; each console line marked with its build; every build to its own
// end; the exit code and deciding build; the builds output; artifacts,
// JUnit, the summary and an annotation per failed build.
func TestSeveralJobs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{WFAPI: true})
		threeRegions(h)
		summary, junit := filepath.Join(h.dir, "summary.md"), filepath.Join(h.dir, "junit.xml")
		h.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=7", "GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summary,
			"JENKINS_JUNIT", junit, "JENKINS_ARTIFACTS", "dist/*", "JENKINS_ARTIFACTS_DIR", filepath.Join(h.dir, "arts"))
		h.runWant(ExitFailure)

		// All at once: the step takes about as long as its longest build.
		var starts, ends []time.Time
		for _, job := range []string{"team/deploy-eu", "team/deploy-us", "team/deploy-ap"} {
			b := h.srv.Builds(job)
			if len(b) != 1 || b[0].Params["V"] != "7" {
				t.Fatalf("%s: builds %+v", job, b)
			}
			starts, ends = append(starts, b[0].Started), append(ends, b[0].Completed)
		}
		if slices.MaxFunc(starts, time.Time.Compare).After(slices.MinFunc(ends, time.Time.Compare)) {
			t.Errorf("a build started after another ended: started %v, ended %v", starts, ends)
		}
		if took := time.Since(epoch); took > 75*time.Second {
			t.Errorf("the step took %v for builds of 40 s, 30 s and 50 s", took)
		}

		// Each console line marked with its build, none mixing two.
		consoleLine := regexp.MustCompile(`^((team/deploy-(?:eu|us|ap)) #1) \| (.*)$`)
		seen := map[string]int{}
		for _, line := range strings.Split(h.stdout.String(), "\n") {
			m := consoleLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			seen[m[1]]++
			if strings.Count(line, " deploying line ") > 1 || strings.Contains(line, " deploying line ") && !strings.HasPrefix(m[3], m[2]+" deploying line ") {
				t.Errorf("a line of %s shows another build's text: %q", m[1], line)
			}
		}
		for _, b := range []string{"team/deploy-eu #1", "team/deploy-us #1", "team/deploy-ap #1"} {
			if seen[b] < 5 {
				t.Errorf("%d console lines of %s", seen[b], b)
			}
		}
		if strings.Contains(h.stdout.String(), "::group::") {
			t.Error("a group around consoles streamed together")
		}

		// One annotation per failed build: the FAILURE an error, the
		// UNSTABLE a warning.
		if n := strings.Count(h.stdout.String(), "::error::FAILURE in stage Deploy: team/deploy-us #1"); n != 1 {
			t.Errorf("%d error annotations for the failed build:\n%s", n, h.stdout.String())
		}
		if n := strings.Count(h.stdout.String(), "::warning::UNSTABLE: team/deploy-ap #1"); n != 1 {
			t.Errorf("%d warning annotations for the unstable build", n)
		}

		// The outputs are the deciding build's, the FAILURE; builds has all.
		out := h.outputs()
		if out["JENKINS_RESULT"] != "FAILURE" || out["JENKINS_FAILED_STAGE"] != "Deploy" || !strings.HasSuffix(out["JENKINS_BUILD_URL"], "/job/team/job/deploy-us/1/") {
			t.Errorf("outputs %v, want team/deploy-us's", out)
		}
		var builds []map[string]any
		if err := json.Unmarshal([]byte(out["JENKINS_BUILDS"]), &builds); err != nil || len(builds) != 3 {
			t.Fatalf("builds %q: %v", out["JENKINS_BUILDS"], err)
		}
		for i, want := range []struct {
			job, result string
			duration    float64
		}{{"team/deploy-eu", "SUCCESS", 40000}, {"team/deploy-us", "FAILURE", 30000}, {"team/deploy-ap", "UNSTABLE", 50000}} {
			b := builds[i]
			if b["job"] != want.job || b["result"] != want.result || b["duration_ms"] != want.duration || b["build_number"] != 1.0 {
				t.Errorf("builds[%d] = %v", i, b)
			}
		}

		// Artifacts under artifacts_dir/<job>/.
		if data, err := os.ReadFile(filepath.Join(h.dir, "arts", "team", "deploy-ap", "dist", "release.txt")); err != nil || string(data) != "ap 7\n" {
			t.Errorf("artifact: %q, %v", data, err)
		}

		// One JUnit file with every build's suites, named after their build.
		var report struct {
			Suites []struct {
				Name string `xml:"name,attr"`
			} `xml:"testsuite"`
		}
		data, err := os.ReadFile(junit)
		if err != nil || xml.Unmarshal(data, &report) != nil {
			t.Fatalf("junit: %v\n%s", err, data)
		}
		if len(report.Suites) != 2 || report.Suites[0].Name != "team/deploy-us #1 › smoke" || report.Suites[1].Name != "team/deploy-ap #1 › smoke" {
			t.Errorf("suites %+v", report.Suites)
		}

		// The summary: a row per build, the timeline, then each build.
		md := h.read(summary)
		for _, want := range []string{
			"### ❌ Jenkins: 3 builds: 1 SUCCESS, 1 FAILURE, 1 UNSTABLE",
			"| Job | Build | Result | Duration | Queue time | Failed stage |",
			"| FAILURE | 30s | 5s | Deploy |",
			"```mermaid\ngantt\n", "    section team/deploy-us #35;1\n", "    Deploy :crit, ",
			"#### ❌ team/deploy-us #1 FAILURE in stage Deploy",
			"- [smoke.Api.health](",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("summary lacks %q:\n%s", want, md)
			}
		}
		if strings.Index(md, "#### ✅ team/deploy-eu") > strings.Index(md, "#### ❌ team/deploy-us") {
			t.Error("the summary's builds are not in the order of job")
		}
		// The annotations said it; the one line says it again, plain.
		if lines := strings.Split(strings.TrimSpace(h.stdout.String()), "\n"); lines[len(lines)-1] != "Error: 2 of 3 builds did not succeed: team/deploy-us #1 FAILURE, team/deploy-ap #1 UNSTABLE" {
			t.Errorf("last line %q", lines[len(lines)-1])
		}
		h.assertNoSecrets()
	})
}

// TestSeveralJobsExitCodes: the first of 6, 4, 1, 3, 2 that holds for any
// build is the step's, and the outputs are the first build that gave it.
func TestSeveralJobsExitCodes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		results  []string
		code     int
		deciding string
	}{
		{"all succeed", []string{"SUCCESS", "SUCCESS"}, ExitOK, "a"},
		{"unstable", []string{"SUCCESS", "UNSTABLE", "UNSTABLE"}, ExitUnstable, "b"},
		{"aborted over unstable", []string{"UNSTABLE", "ABORTED"}, ExitAborted, "b"},
		{"failure over aborted", []string{"ABORTED", "FAILURE", "NOT_BUILT"}, ExitFailure, "b"},
		{"timeout over failure", []string{"FAILURE", "TIMEOUT"}, ExitTimeout, "b"},
		{"jenkins over timeout", []string{"TIMEOUT", "UNUSABLE", "FAILURE"}, ExitJenkins, "b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				// A login page in place of one build's console: not Jenkins,
				// and not worth a retry.
				h.fronted(answer(func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/job/unusable/1/logText") }, body("text/html", loginPage)))
				var jobs []string
				for i, res := range tt.results {
					name := string(rune('a' + i))
					d := 20 * time.Second
					switch res {
					case "TIMEOUT":
						d, res = time.Hour, "SUCCESS"
					case "UNUSABLE":
						name = "unusable"
					}
					h.srv.AddJob(jenkinstest.JobSpec{FullName: name, Script: region(name, res, 0, d)})
					jobs = append(jobs, name)
				}
				h.set("JENKINS_JOB", strings.Join(jobs, "\n"), "JENKINS_TIMEOUT", "2m")
				h.runWant(tt.code)
				out := h.outputs()
				deciding := tt.deciding
				if deciding == "b" && jobs[1] == "unusable" {
					deciding = "unusable"
				}
				if !strings.Contains(out["JENKINS_BUILD_URL"], "/job/"+deciding+"/1/") {
					t.Errorf("outputs %v, want build %s's", out, deciding)
				}
			})
		})
	}
}

// TestSeveralJobsCheckedFirst: every job is read, and the parameters
// checked against each, before anything is sent; a problem with any is
// the step's error, naming the job, and nothing is triggered.
func TestSeveralJobsCheckedFirst(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		jobs   string
		params string
		code   int
		msg    string
	}{
		{"a job named twice", "team/deploy-eu\n team/deploy-us\nteam/deploy-eu ", "V=1", ExitBadInput, "input job (JENKINS_JOB): names job team/deploy-eu twice"},
		{"the same job by name and URL", "team/deploy-eu\n<url>/job/team/job/deploy-eu/", "V=1", ExitBadInput, "names job team/deploy-eu twice"},
		{"a parameter one job lacks", regions + "\nplain", "V=1", ExitBadInput, "input parameters (JENKINS_PARAMETERS): plain takes no parameters"},
		{"a job that does not exist", "team/deploy-eu\nteam/deploy-uk", "V=1", ExitJenkins, "no job team/deploy-uk, or this user may not see it (did you mean deploy-us, deploy-eu"},
		{"jobs on one line", "team/deploy-eu,team/deploy-us", "V=1", ExitJenkins, "put one job a line"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				threeRegions(h)
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "plain"})
				h.set("JENKINS_JOB", strings.ReplaceAll(tt.jobs, "<url>", h.srv.URL()), "JENKINS_PARAMETERS", tt.params)
				h.runWant(tt.code)
				if !strings.Contains(h.stderr.String(), tt.msg) {
					t.Errorf("stderr %q lacks %q", h.stderr.String(), tt.msg)
				}
				if n := h.posts(); n != 0 {
					t.Errorf("%d POSTs", n)
				}
			})
		})
	}
}

// TestSeveralJobsRefusedTrigger: when the second of three triggers is
// refused, the first is cancelled, the third never sent, and the exit is
// 6, naming the job.
func TestSeveralJobsRefusedTrigger(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "a", Script: region("a", "SUCCESS", 0, time.Minute)})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "b", RefuseTrigger: http.StatusForbidden})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "c", Script: region("c", "SUCCESS", 0, time.Minute)})
		h.set("JENKINS_JOB", "a\nb\nc")
		h.runWant(ExitJenkins)
		if !strings.Contains(h.stderr.String(), "error: job b: Jenkins refused the trigger (403)") {
			t.Errorf("stderr %q", h.stderr.String())
		}
		if len(h.srv.Builds("a")) != 0 || len(queued(t, h)) != 0 || len(h.srv.Builds("c")) != 0 {
			t.Errorf("left behind: builds of a %v, queue %v, builds of c %v", h.srv.Builds("a"), queued(t, h), h.srv.Builds("c"))
		}
		if !strings.Contains(h.stdout.String(), "a | Cancelled queue item 1") {
			t.Errorf("stdout:\n%s", h.stdout.String())
		}
	})
}

// TestSeveralJobsTimeout: the timeout stops every build the step owns,
// exits 4 naming those it caught, and the outputs are the first of them.
func TestSeveralJobsTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "quick", Script: region("quick", "SUCCESS", 0, 10*time.Second)})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "slow", Script: region("slow", "SUCCESS", 0, time.Hour)})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "queued", Script: region("queued", "SUCCESS", time.Hour, time.Minute)})
		h.set("JENKINS_JOB", "quick\nslow\nqueued", "JENKINS_TIMEOUT", "1m")
		h.runWant(ExitTimeout)
		if !strings.Contains(h.stderr.String(), "timeout 1m0s passed before every build reached completion: slow #1, queued") {
			t.Errorf("stderr %q", h.stderr.String())
		}
		if b := h.srv.Builds("slow"); len(b) != 1 || !b[0].Aborted {
			t.Errorf("slow: %+v", b)
		}
		if q := queued(t, h); len(q) != 0 {
			t.Errorf("queue items left: %v", q)
		}
		if out := h.outputs(); out["JENKINS_RESULT"] != "TIMEOUT" || !strings.HasSuffix(out["JENKINS_BUILD_URL"], "/job/slow/1/") {
			t.Errorf("outputs %v", out)
		}
	})
}

// TestFollowSeveral: a step triggers three jobs with wait_for start; a
// later step follows them all from the builds output as it is, or from
// their URLs one a line, to their ends, and stops none of them when
// stopped (abort_on_stop's default for builds it only follows).
func TestFollowSeveral(t *testing.T) {
	t.Parallel()
	for _, form := range []string{"builds output", "lines"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h0 := newHarness(t, jenkinstest.Options{WFAPI: true})
				threeRegions(h0)
				h0.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=1", "JENKINS_WAIT_FOR", "start")
				h0.runWant(ExitOK)
				builds := h0.outputs()["JENKINS_BUILDS"]
				follow := builds
				if form == "lines" {
					var entries []struct {
						BuildURL string `json:"build_url"`
					}
					if err := json.Unmarshal([]byte(builds), &entries); err != nil {
						t.Fatal(err)
					}
					var urls []string
					for _, e := range entries {
						urls = append(urls, e.BuildURL)
					}
					follow = strings.Join(urls, "\n")
				}
				h := h0.again()
				h.set("JENKINS_FOLLOW", follow)
				triggered := h.posts()
				h.runWant(ExitFailure)
				if n := h.posts() - triggered; n != 0 {
					t.Errorf("%d POSTs while following", n)
				}
				var got []map[string]any
				if err := json.Unmarshal([]byte(h.outputs()["JENKINS_BUILDS"]), &got); err != nil || len(got) != 3 || got[1]["result"] != "FAILURE" || got[2]["result"] != "UNSTABLE" {
					t.Errorf("builds %v, %v", got, err)
				}
			})
		})
	}
}

// TestSeveralJobsOnInput: on_input applies to every build, and each
// notice names its build.
func TestSeveralJobsOnInput(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		approval := func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 30 * time.Second, Result: "SUCCESS",
				Stages: []jenkinstest.Stage{{Name: "Approve", Duration: 30 * time.Second}},
				Inputs: []jenkinstest.Input{{At: 5 * time.Second, ID: "Go", Message: "Deploy?"}}}
		}
		for _, job := range []string{"eu", "us"} {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Pipeline: true, Script: approval})
		}
		h.set("JENKINS_JOB", "eu\nus", "JENKINS_ON_INPUT", "proceed")
		h.runWant(ExitOK)
		for _, job := range []string{"eu", "us"} {
			if !strings.Contains(h.stdout.String(), "» "+job+" #1 | "+job+" #1 waits for input: Deploy? [Proceed / Abort]") {
				t.Errorf("no notice naming %s:\n%s", job, h.stdout.String())
			}
			if answers := h.srv.InputAnswers(job); len(answers) != 1 || answers[0].ID != "Go" {
				t.Errorf("%s: answers %+v", job, answers)
			}
		}
	})
}

// TestSeveralJobsWaitForQueue: wait_for queue ends the step once every
// build is queued, writing builds for each.
func TestSeveralJobsWaitForQueue(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		threeRegions(h)
		h.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=1", "JENKINS_WAIT_FOR", "queue")
		h.runWant(ExitOK)
		var got []map[string]any
		if err := json.Unmarshal([]byte(h.outputs()["JENKINS_BUILDS"]), &got); err != nil || len(got) != 3 {
			t.Fatalf("builds: %v", err)
		}
		for i, b := range got {
			if !strings.HasSuffix(b["queue_url"].(string), "/queue/item/"+string(rune('1'+i))+"/") || b["build_number"] != nil {
				t.Errorf("builds[%d] = %v", i, b)
			}
		}
		if !time.Now().Equal(epoch) {
			t.Errorf("waited %v past the triggers", time.Since(epoch))
		}
	})
}
