package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// fourStages is a 20 s Pipeline of four stages; fail names the stage that
// fails, if any, and the build then ends FAILURE.
func fourStages(fail string, inputs ...jenkinstest.Input) func(map[string]string) jenkinstest.Script {
	return func(map[string]string) jenkinstest.Script {
		s := jenkinstest.Script{QuietPeriod: time.Second, QueueWait: time.Second, Duration: 20 * time.Second,
			EstimatedDuration: 20 * time.Second, Result: "SUCCESS", Inputs: inputs}
		for i, name := range []string{"Checkout", "Build", "Integration Tests", "Deploy"} {
			st := jenkinstest.Stage{Name: name, Start: time.Duration(i)*5*time.Second + 100*time.Millisecond, Duration: 4800 * time.Millisecond}
			switch {
			case name == fail:
				st.Result = "FAILURE"
				s.Result = "FAILURE"
			case fail != "" && i == 3:
				st.Result = "NOT_EXECUTED"
			}
			s.Stages = append(s.Stages, st)
			s.Log = append(s.Log, jenkinstest.LogLine{At: st.Start + time.Second, Text: "+ ./" + strings.ToLower(strings.Fields(name)[0]) + ".sh"})
		}
		return s
	}
}

func TestPipelineStages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts jenkinstest.Options
	}{
		{"wfapi", jenkinstest.Options{WFAPI: true}},
		{"graph view", jenkinstest.Options{GraphView: "stages"}},
		{"older graph view", jenkinstest.Options{GraphView: "pipeline-overview"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, tt.opts)
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Pipeline: true, Script: fourStages("Integration Tests")})
				summary := filepath.Join(h.dir, "summary.md")
				h.set("JENKINS_JOB", "app", "GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summary)
				h.runWant(ExitFailure)
				out := h.stdout.String()
				for _, want := range []string{
					"Stage Checkout: started", "Stage Checkout: SUCCESS in ",
					"Stage Integration Tests: FAILED in ",
					"::error::FAILURE in stage Integration Tests: app #1",
				} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
				if got := h.outputs()["JENKINS_FAILED_STAGE"]; got != "Integration Tests" {
					t.Errorf("failed_stage = %q", got)
				}
				md, err := os.ReadFile(summary)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{"FAILURE in stage Integration Tests", "| Stage |", "Checkout", "Deploy"} {
					if !strings.Contains(string(md), want) {
						t.Errorf("summary lacks %q:\n%s", want, md)
					}
				}
				h.assertNoSecrets()
			})
		})
	}
}

func TestPipelineWithoutStagePlugins(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Pipeline: true, Script: fourStages("")})
		h.set("JENKINS_JOB", "app")
		h.runWant(ExitOK)
		if n := strings.Count(h.stdout.String(), "Stages are not available"); n != 1 {
			t.Errorf("said %d times that stages are not available:\n%s", n, h.stdout.String())
		}
		if got, ok := h.outputs()["JENKINS_FAILED_STAGE"]; !ok || got != "" {
			t.Errorf("failed_stage = %q, %v", got, ok)
		}
	})
}

func TestFreestyleMakesNoPipelineRequests(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{WFAPI: true, GraphView: "stages"})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: script("SUCCESS", 20*time.Second, 10)})
		h.set("JENKINS_JOB", "app")
		h.runWant(ExitOK)
		for _, r := range h.srv.Requests() {
			if strings.Contains(r.Path, "/wfapi/") || strings.Contains(r.Path, "/stages/") || strings.Contains(r.Path, "/input/") {
				t.Errorf("a freestyle build asked %s", r.Path)
			}
		}
	})
}

func approve(params ...jenkinstest.ParamDef) jenkinstest.Input {
	return jenkinstest.Input{At: 12 * time.Second, ID: "approve", Message: "Deploy to production?", OK: "Ship it", Params: params}
}

func TestInputSteps(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		opts    jenkinstest.Options
		onInput string
		input   jenkinstest.Input
		want    int
		answer  string // the action the fake should have received; "" none
		params  map[string]any
		timeout string
		aborted bool
	}{
		{name: "abort", onInput: "abort", input: approve(), want: ExitAborted, answer: "abort"},
		{name: "proceed, no parameters", onInput: "proceed", input: approve(), want: ExitOK, answer: "proceed"},
		{name: "proceed with every default", onInput: "proceed", want: ExitOK, answer: "proceed",
			input: approve(jenkinstest.ParamDef{Name: "REGION", Type: "choice", Choices: []string{"eu", "us"}},
				jenkinstest.ParamDef{Name: "NOTE", Type: "string", Default: "via CI"},
				jenkinstest.ParamDef{Name: "FORCE", Type: "boolean", Default: "false"}),
			params: map[string]any{"REGION": "eu", "NOTE": "via CI", "FORCE": false}},
		{name: "proceed, legacy input action with wfapi", opts: jenkinstest.Options{LegacyInputAction: true, WFAPI: true},
			onInput: "proceed", input: approve(), want: ExitOK, answer: "proceed"},
		{name: "proceed, a parameter without a default", onInput: "proceed", timeout: "2m",
			input: approve(jenkinstest.ParamDef{Name: "PLAN", Type: "file"}), want: ExitTimeout, aborted: true},
		{name: "wait meets the timeout", onInput: "wait", timeout: "2m", input: approve(), want: ExitTimeout, aborted: true},
		{name: "wait until someone answers", onInput: "wait", want: ExitOK,
			input: jenkinstest.Input{At: 12 * time.Second, ID: "approve", Message: "Deploy?", AnswerBy: "proceed", AnsweredAfter: 90 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, tt.opts)
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Pipeline: true, Script: fourStages("", tt.input)})
				summary := filepath.Join(h.dir, "summary.md")
				h.set("JENKINS_JOB", "app", "JENKINS_ON_INPUT", tt.onInput, "JENKINS_TIMEOUT", tt.timeout,
					"GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summary)
				h.runWant(tt.want)
				out := h.stdout.String()
				page := h.srv.URL() + "/job/app/1/input/"
				if !strings.Contains(out, "::notice::app #1 waits for input: Deploy") || !strings.Contains(out, page) {
					t.Errorf("the pause is not told with its message and page:\n%s", out)
				}
				answers := h.srv.InputAnswers("app")
				switch {
				case tt.answer == "" && len(answers) > 0:
					t.Errorf("answered %+v", answers)
				case tt.answer != "" && (len(answers) != 1 || answers[0].Action != tt.answer || answers[0].ID != "Approve"):
					t.Errorf("answers %+v, want one %s of Approve", answers, tt.answer)
				case tt.params != nil:
					for k, v := range tt.params {
						if answers[0].Params[k] != v {
							t.Errorf("the pipeline received %s=%v (%T), want %v", k, answers[0].Params[k], answers[0].Params[k], v)
						}
					}
				}
				if got := h.srv.Builds("app")[0].Aborted; got != tt.aborted {
					t.Errorf("build stopped = %v, want %v", got, tt.aborted)
				}
				md, _ := os.ReadFile(summary)
				say := "waited"
				if tt.want == ExitTimeout {
					say = "was still waiting for input when the step stopped"
				}
				if !strings.Contains(string(md), "**Input:**") || !strings.Contains(string(md), say) {
					t.Errorf("the summary does not say the build %s for input:\n%s", say, md)
				}
			})
		})
	}
}

func TestParallelInputsAreEachAnsweredOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{WFAPI: true})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Pipeline: true, Script: fourStages("",
			jenkinstest.Input{At: 12 * time.Second, ID: "eu", Message: "Deploy EU?"},
			jenkinstest.Input{At: 12 * time.Second, ID: "us", Message: "Deploy US?"})})
		h.set("JENKINS_JOB", "app", "JENKINS_ON_INPUT", "proceed")
		h.runWant(ExitOK)
		got := map[string]int{}
		for _, a := range h.srv.InputAnswers("app") {
			got[a.ID]++
		}
		if got["Eu"] != 1 || got["Us"] != 1 || len(got) != 2 {
			t.Errorf("answers by id: %v", got)
		}
	})
}
