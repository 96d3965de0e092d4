package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// hostileCause is a note that would be a workflow command, a second
// query parameter, an escape and a new line, were it not encoded.
const hostileCause = "v1.2 & token=x+y %41 ✓\n::error::pwned\t##[warning]pwned ::set-output name=a::b"

// TestCauseAsJenkinsRecordsIt: with a build token, Jenkins records the
// build as started by the remote host with the CI run, or the cause input,
// as its note, byte for byte, whether the trigger is plain or a multipart
// upload; a hostile note forms no workflow command where the step prints
// Jenkins' console.
func TestCauseAsJenkinsRecordsIt(t *testing.T) {
	t.Parallel()
	github := []string{"GITHUB_ACTIONS", "true", "GITHUB_SERVER_URL", "https://github.com", "GITHUB_REPOSITORY", "octo/app",
		"GITHUB_WORKFLOW", "Deploy", "GITHUB_RUN_ID", "9876543210", "GITHUB_RUN_ATTEMPT", "1"}
	gitlab := []string{"GITLAB_CI", "true", "CI_PROJECT_PATH", "group/app", "CI_PIPELINE_URL", "https://gitlab.example.com/group/app/-/pipelines/77",
		"CI_JOB_URL", "https://gitlab.example.com/group/app/-/jobs/991"}
	for _, tt := range []struct {
		name string
		env  []string
		note string
	}{
		{"github", github, "GitHub Actions: octo/app, workflow Deploy, run https://github.com/octo/app/actions/runs/9876543210/attempts/1"},
		{"gitlab", gitlab, "GitLab CI: group/app, pipeline https://gitlab.example.com/group/app/-/pipelines/77, job https://gitlab.example.com/group/app/-/jobs/991"},
		{"given", append([]string{"INPUT_CAUSE", "release 1.2"}, github...), "release 1.2"},
		{"hostile", append([]string{"JENKINS_CAUSE", hostileCause}, github...), hostileCause},
	} {
		for _, upload := range []bool{false, true} {
			name := tt.name + "/plain"
			if upload {
				name = tt.name + "/multipart"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					h := newHarness(t, jenkinstest.Options{})
					h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: secretBuildToken,
						Params: []jenkinstest.ParamDef{{Name: "PLAN", Type: "file"}}, Script: script("SUCCESS", 5*time.Second, 2)})
					h.set("JENKINS_JOB", "deploy", "JENKINS_BUILD_TOKEN", secretBuildToken).set(tt.env...)
					if upload {
						plan := filepath.Join(h.dir, "plan.txt")
						if err := os.WriteFile(plan, []byte("plan"), 0o600); err != nil {
							t.Fatal(err)
						}
						h.set("JENKINS_FILES", "PLAN="+plan)
					}
					if h.env["GITHUB_ACTIONS"] == "true" {
						h.set("GITHUB_OUTPUT", filepath.Join(h.dir, "github_output"))
					}
					h.runWant(ExitOK)
					want := map[string]any{"_class": "hudson.model.Cause$RemoteCause", "addr": "127.0.0.1", "note": tt.note,
						"shortDescription": "Started by remote host 127.0.0.1 with note: " + tt.note}
					if got := h.causes("/job/deploy/1/"); len(got) != 1 || !equalJSON(got[0], want) {
						t.Errorf("causes %v, want %v", got, want)
					}
					if q := h.triggerQuery(); q.Get("cause") != tt.note || q.Get("token") != secretBuildToken {
						t.Errorf("trigger query %v, want the note beside the token", q)
					}
					if !strings.Contains(h.stdout.String(), "Started by remote host 127.0.0.1 with note: "+strings.SplitN(tt.note, "\n", 2)[0]) {
						t.Errorf("the console's cause line is not shown:\n%s", h.stdout.String())
					}
					for _, line := range activeLines(h.stdout.String()) {
						if strings.Contains(line, "pwned") {
							t.Errorf("the note reached the runner outside the console: %q", line)
						}
					}
					h.assertNoSecrets()
				})
			})
		}
	}
}

// TestCauseOnlyWithBuildToken: without a build token the trigger carries
// no cause, Jenkins records the user, and a cause given for nothing is
// warned of.
func TestCauseOnlyWithBuildToken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		warn bool
	}{
		{"default", []string{"GITLAB_CI", "true", "CI_PROJECT_PATH", "group/app"}, false},
		{"given", []string{"JENKINS_CAUSE", "release 1.2"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: secretBuildToken, Script: script("SUCCESS", 5*time.Second, 2)})
				h.set("JENKINS_JOB", "deploy").set(tt.env...)
				h.runWant(ExitOK)
				if q := h.triggerQuery(); q.Has("cause") {
					t.Errorf("trigger query %v carries a cause", q)
				}
				if got := h.causes("/job/deploy/1/"); len(got) != 1 || got[0].(map[string]any)["shortDescription"] != "Started by user alice" {
					t.Errorf("causes %v", got)
				}
				if warned := strings.Contains(h.stderr.String(), "cause is given but build_token is not, so it is not sent"); warned != tt.warn {
					t.Errorf("warned %v, want %v:\n%s", warned, tt.warn, h.stderr.String())
				}
			})
		})
	}
}

// TestCauseNotSentToAParameterNamedCause: Jenkins reads a job's
// parameters from the query too, so a job with a parameter named cause
// would take the note for it; the note is not sent, with a warning.
func TestCauseNotSentToAParameterNamedCause(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: secretBuildToken,
			Params: []jenkinstest.ParamDef{{Name: "cause", Type: "string", Default: "manual"}}, Script: script("SUCCESS", 5*time.Second, 2)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_BUILD_TOKEN", secretBuildToken, "JENKINS_CAUSE", "release 1.2")
		h.runWant(ExitOK)
		if b := h.srv.Builds("deploy"); len(b) != 1 || b[0].Params["cause"] != "manual" {
			t.Errorf("builds %+v, want the parameter's default", b)
		}
		if !strings.Contains(h.stderr.String(), "deploy has a parameter named cause, so the cause note is not sent") {
			t.Errorf("no warning:\n%s", h.stderr.String())
		}
	})
}

// causes reads the causes of the build at path as Jenkins exports them.
func (h *harness) causes(path string) []any {
	h.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, h.srv.URL()+path+"api/json?tree=actions[causes[*]]", nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.SetBasicAuth("alice", secretToken)
	resp, err := h.http.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Actions []struct {
			Causes []any `json:"causes"`
		} `json:"actions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		h.t.Fatal(err)
	}
	for _, a := range b.Actions {
		if a.Causes != nil {
			return a.Causes
		}
	}
	return nil
}

// triggerQuery is the query of the step's one trigger, decoded.
func (h *harness) triggerQuery() url.Values {
	h.t.Helper()
	for _, r := range h.srv.Requests() {
		if r.Method == http.MethodPost && (strings.HasSuffix(r.Path, "/build") || strings.HasSuffix(r.Path, "/buildWithParameters")) {
			q, err := url.ParseQuery(r.RawQuery)
			if err != nil {
				h.t.Fatalf("trigger query %q: %v", r.RawQuery, err)
			}
			return q
		}
	}
	h.t.Fatal("no trigger")
	return nil
}

func equalJSON(got any, want map[string]any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}

// activeLines are the lines of a GitHub step's output that the runner
// reads for workflow commands: all but those between ::stop-commands::
// and its token.
func activeLines(out string) []string {
	var active []string
	stop := ""
	for _, line := range strings.Split(out, "\n") {
		switch token, ok := strings.CutPrefix(line, "::stop-commands::"); {
		case stop == "" && ok:
			stop = "::" + token + "::"
		case stop != "" && line == stop:
			stop = ""
		case stop == "":
			active = append(active, line)
		}
	}
	return active
}
