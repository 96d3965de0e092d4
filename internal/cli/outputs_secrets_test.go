package cli

import (
	"encoding/json"
	"fmt"
	"html"
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

// The tests of this file hold "Outputs" and "Secrets" in
// shared/interface.md through the whole command: an output is never
// altered to hide a secret, and no form of a secret is ever printed.

// onGitHub sets the harness to GitHub mode, with GITHUB_OUTPUT, and
// returns that file's path.
func (h *harness) onGitHub() string {
	out := filepath.Join(h.dir, "github_output")
	h.set("GITHUB_ACTIONS", "true", "GITHUB_OUTPUT", out, "GITHUB_STEP_SUMMARY", filepath.Join(h.dir, "summary.md"))
	return out
}

// TestOutputsNotCorruptedByWeakSecrets: a secret that is also a number or
// a word of every URL (a header X-Num: 1000, X-Forwarded-Proto: http, a
// password 1) leaves every output as Jenkins gave it, builds valid JSON
// that a later step follows; a warning names each such secret, never
// showing it.
func TestOutputsNotCorruptedByWeakSecrets(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, warn string
		env        []string
	}{
		{"header X-Num: 1000", "the value of header X-Num", []string{"JENKINS_HEADERS", "X-Num: 1000"}},
		{"header X-Forwarded-Proto: http", "the value of header X-Forwarded-Proto", []string{"JENKINS_HEADERS", "X-Forwarded-Proto: http"}},
		{"password 1", "input token (JENKINS_TOKEN)", []string{"JENKINS_USER", "carol", "JENKINS_TOKEN", "1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{Users: map[string]jenkinstest.User{"alice": {APIToken: secretToken}, "carol": {Password: "1"}}})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: withScript(jenkinstest.Script{Duration: time.Second, Result: "SUCCESS", Log: lines(2, 100*time.Millisecond, "step")})})
				ghOut := h.onGitHub()
				h.set("JENKINS_JOB", "deploy").set(tt.env...)
				h.runWant(ExitOK)
				outs := h.outputs()
				if outs["JENKINS_BUILD_NUMBER"] != "1" || outs["JENKINS_DURATION_MS"] != "1000" || outs["JENKINS_RESULT"] != "SUCCESS" {
					t.Errorf("outputs %q", outs)
				}
				for _, name := range []string{"JENKINS_BUILD_URL", "JENKINS_QUEUE_URL"} {
					if u, err := url.Parse(outs[name]); err != nil || u.Scheme != "http" || u.Host == "" {
						t.Errorf("%s = %q is no URL", name, outs[name])
					}
				}
				var builds []struct {
					BuildNumber int    `json:"build_number"`
					DurationMS  int64  `json:"duration_ms"`
					BuildURL    string `json:"build_url"`
				}
				if err := json.Unmarshal([]byte(outs["JENKINS_BUILDS"]), &builds); err != nil || len(builds) != 1 ||
					builds[0].BuildNumber != 1 || builds[0].DurationMS != 1000 || builds[0].BuildURL != outs["JENKINS_BUILD_URL"] {
					t.Errorf("builds = %s (%v)", outs["JENKINS_BUILDS"], err)
				}
				data, err := os.ReadFile(ghOut)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(data), "***") || !strings.Contains(string(data), "\n"+outs["JENKINS_BUILDS"]+"\n") {
					t.Errorf("GITHUB_OUTPUT:\n%s", data)
				}
				if want := "::warning::" + tt.warn + " is too short or too common to mask safely"; !strings.Contains(h.stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, h.stdout.String())
				}
				next := h.again().set("JENKINS_FOLLOW", outs["JENKINS_BUILDS"]).set(tt.env...)
				next.runWant(ExitOK)
			})
		})
	}
}

// TestStageEchoingSecretWithheld: a stage named after a secret fails the
// build: failed_stage and builds, whose text would show it, are withheld
// with a warning that names them; the other outputs are written. builds
// keeps the last version written before, from before the build ended.
func TestStageEchoingSecretWithheld(t *testing.T) {
	t.Parallel()
	for _, github := range []bool{false, true} {
		t.Run(fmt.Sprintf("github=%v", github), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{WFAPI: true})
				stage := "Deploy " + secretToken
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
					return jenkinstest.Script{Duration: 10 * time.Second, Result: "FAILURE",
						Stages: []jenkinstest.Stage{{Name: stage, Start: time.Second, Duration: 5 * time.Second, Result: "FAILURE"}}}
				}})
				h.set("JENKINS_JOB", "app")
				if github {
					h.onGitHub()
				}
				h.runWant(ExitFailure)
				outs := h.outputs()
				if outs["JENKINS_RESULT"] != "FAILURE" || outs["JENKINS_BUILD_NUMBER"] != "1" {
					t.Errorf("outputs %q", outs)
				}
				if v, ok := outs["JENKINS_FAILED_STAGE"]; ok {
					t.Errorf("failed_stage written: %q", v)
				}
				if v := outs["JENKINS_BUILDS"]; strings.Contains(v, secretToken) || !strings.Contains(v, `"result":null`) {
					t.Errorf("builds written after the build ended: %q", v)
				}
				for _, name := range []string{"failed_stage", "builds"} {
					if want := "output " + name + " is withheld: Jenkins echoed a secret into"; !strings.Contains(h.stdout.String()+h.stderr.String(), want) {
						t.Errorf("no warning %q:\n%s%s", want, h.stdout.String(), h.stderr.String())
					}
				}
				if !github {
					h.assertNoSecrets()
					return
				}
				// On GitHub the runner masks the console, printed as it comes.
				for _, f := range []string{"github_output", "outputs.env", "summary.md"} {
					if data, _ := os.ReadFile(filepath.Join(h.dir, f)); strings.Contains(string(data), secretToken) {
						t.Errorf("%s carries the secret:\n%s", f, data)
					}
				}
			})
		})
	}
}

// TestConsoleScrubbedOutsideGitHub: a build's console that prints the
// token, whole or cut across two reads, shows it masked outside GitHub,
// for the step's only console and for labelled ones.
func TestConsoleScrubbedOutsideGitHub(t *testing.T) {
	t.Parallel()
	for _, jobs := range []string{"deploy", "deploy\nother"} {
		t.Run(fmt.Sprintf("%d jobs", strings.Count(jobs, "\n")+1), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				script := withScript(jenkinstest.Script{Duration: 20 * time.Second, Result: "SUCCESS", Log: []jenkinstest.LogLine{
					{At: time.Second, Text: "token " + secretToken},
					{At: 2 * time.Second, Text: "split " + secretToken[:12], Partial: true},
					{At: 12 * time.Second, Text: secretToken[12:] + " end"},
				}})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "other", Script: script})
				h.set("JENKINS_JOB", jobs)
				h.runWant(ExitOK)
				out := h.stdout.String()
				if !strings.Contains(out, "token ***\n") || !strings.Contains(out, "split *** end\n") {
					t.Errorf("console not scrubbed as expected:\n%s", out)
				}
				h.assertNoSecrets(secretToken[:12])
			})
		})
	}
}

// TestEchoedHeaderInEveryForm: a proxy page that echoes a header's value
// HTML-escaped (&#34;, &quot;), JSON-escaped or percent-encoded shows none
// of it, in plain mode or on GitHub.
func TestEchoedHeaderInEveryForm(t *testing.T) {
	t.Parallel()
	const value = `sk_live_"4f9a<2b>&7c/x`
	for _, github := range []bool{false, true} {
		t.Run(fmt.Sprintf("github=%v", github), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy"})
				h.fronted(answer(isTrigger, func(w http.ResponseWriter, r *http.Request) {
					v := r.Header.Get("X-Key")
					j, _ := json.Marshal(v)
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusForbidden)
					fmt.Fprintf(w, "<pre>X-Key: %s\n%s\n%s\n%s\n%s</pre>", html.EscapeString(v),
						strings.ReplaceAll(html.EscapeString(v), "&#34;", "&quot;"), j, strings.ReplaceAll(string(j), "/", `\/`), url.QueryEscape(v))
				}))
				h.set("JENKINS_JOB", "deploy", "JENKINS_HEADERS", "X-Key: "+value)
				if github {
					h.onGitHub()
				}
				h.runWant(ExitJenkins)
				if !strings.Contains(h.stdout.String()+h.stderr.String(), "X-Key: ***") {
					t.Errorf("the error does not show the page, masked:\n%s%s", h.stdout.String(), h.stderr.String())
				}
				h.assertNoSecrets("sk_live", "4f9a", "7c")
			})
		})
	}
}
