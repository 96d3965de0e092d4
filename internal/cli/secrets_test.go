package cli

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// Secrets with characters that URLs, query strings and shells escape, so
// that an escaped copy would be caught too.
const (
	oddToken      = "T0k/en+odd&chars=%41~secret-1"
	oddPassword   = "P@ss:w/rd #secret?2"
	oddBuildToken = "B/uild tok&en=secret+3"
)

// secretForms are the ways the secrets could show up: as given, escaped
// for a query, a path or a URL's userinfo, and as Basic auth values.
func secretForms() []string {
	var forms []string
	for _, s := range []string{oddToken, oddPassword, oddBuildToken, secretToken, secretPassword, secretBuildToken} {
		userinfo := strings.TrimPrefix(url.UserPassword("u", s).String(), "u:")
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s), userinfo)
	}
	for _, up := range []string{"alice:" + oddToken, "bob:" + oddPassword} {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(up)))
	}
	return forms
}

// secretScenario is one way a run can go.
type secretScenario struct {
	name  string
	fault func(*atomic.Pointer[jenkinstest.Server]) func(*http.Request) jenkinstest.Fault
	setup func(h *harness)
	code  int
}

func withScript(s jenkinstest.Script) func(map[string]string) jenkinstest.Script {
	return func(map[string]string) jenkinstest.Script { return s }
}

func resultScript(result string) jenkinstest.Script {
	return jenkinstest.Script{
		QuietPeriod: time.Second, QueueWait: 2 * time.Second, Duration: 20 * time.Second, Result: result,
		Log: lines(4, 4*time.Second, "step"),
		Tests: &jenkinstest.TestReport{Suites: []jenkinstest.TestSuite{{Name: "suite", Cases: []jenkinstest.TestCase{
			{ClassName: "app.LoginTest", Name: "ok", Status: "PASSED", Duration: 0.5},
			{ClassName: "app.LoginTest", Name: "broken", Status: "FAILED", Duration: 1, ErrorDetails: "expected 1, got 2"},
		}}}},
	}
}

func faultOn(n int32, fault jenkinstest.Fault, match func(*http.Request) bool) func(*atomic.Pointer[jenkinstest.Server]) func(*http.Request) jenkinstest.Fault {
	return func(*atomic.Pointer[jenkinstest.Server]) func(*http.Request) jenkinstest.Fault {
		return faultFirst(n, fault, match)
	}
}

func secretScenarios() []secretScenario {
	job := func(spec jenkinstest.JobSpec) func(*harness) {
		return func(h *harness) { h.srv.AddJob(spec) }
	}
	params := []jenkinstest.ParamDef{{Name: "TARGET", Type: "choice", Choices: []string{"staging", "prod"}}, {Name: "V", Type: "string"}}
	var out []secretScenario
	for _, r := range []struct {
		result string
		code   int
	}{{"SUCCESS", ExitOK}, {"FAILURE", ExitFailure}, {"UNSTABLE", ExitUnstable}, {"ABORTED", ExitAborted}, {"NOT_BUILT", ExitAborted}} {
		out = append(out, secretScenario{name: r.result, code: r.code, setup: job(jenkinstest.JobSpec{FullName: "deploy", BuildToken: oddBuildToken, Params: params, Script: withScript(resultScript(r.result))})})
	}
	out = append(out,
		secretScenario{name: "cancelled in the queue", code: ExitAborted, setup: job(jenkinstest.JobSpec{FullName: "deploy", BuildToken: oddBuildToken, Params: params,
			Script: withScript(jenkinstest.Script{QueueWait: time.Hour, CancelAfter: 20 * time.Second})})},
		secretScenario{name: "timeout", code: ExitTimeout, setup: func(h *harness) {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: oddBuildToken, Params: params, Script: withScript(resultScript("SUCCESS"))})
			h.set("JENKINS_TIMEOUT", "10s")
		}},
		secretScenario{name: "wait for the queue", code: ExitOK, setup: func(h *harness) {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: oddBuildToken, Params: params, Script: withScript(resultScript("SUCCESS"))})
			h.set("JENKINS_WAIT_FOR", "queue")
		}},
	)
	deploy := func(h *harness) {
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: oddBuildToken, Params: params, Script: withScript(resultScript("SUCCESS"))})
	}
	then := func(env ...string) func(*harness) {
		return func(h *harness) { deploy(h); h.set(env...) }
	}
	for _, b := range []struct {
		name string
		env  []string
	}{
		{"no job", []string{"JENKINS_JOB", ""}},
		{"bad timeout", []string{"JENKINS_TIMEOUT", "soon"}},
		{"bad wait_for", []string{"JENKINS_WAIT_FOR", "end"}},
		{"bad parameters", []string{"JENKINS_PARAMETERS", "TARGET"}},
		{"bad JSON parameters", []string{"JENKINS_PARAMETERS", `{"TARGET":`}},
		{"unknown parameter", []string{"JENKINS_PARAMETERS", "TARGTE=prod"}},
		{"bad choice", []string{"JENKINS_PARAMETERS", "TARGET=qa"}},
		{"missing file", []string{"JENKINS_FILES", "F=/does/not/exist"}},
		{"bad ca_cert", []string{"JENKINS_CA_CERT", "/does/not/exist.pem"}},
		{"bad boolean", []string{"JENKINS_LOG", "maybe"}},
		{"job elsewhere", []string{"JENKINS_JOB", "https://elsewhere.example.com/job/x/"}},
	} {
		out = append(out, secretScenario{name: "bad input: " + b.name, code: ExitBadInput, setup: then(b.env...)})
	}
	out = append(out,
		secretScenario{name: "wrong token", code: ExitJenkins, setup: then("JENKINS_TOKEN", oddToken+"-wrong")},
		secretScenario{name: "wrong build token", code: ExitJenkins, setup: then("JENKINS_BUILD_TOKEN", oddBuildToken+"-wrong")},
		secretScenario{name: "no such job", code: ExitJenkins, setup: then("JENKINS_JOB", "nope")},
		secretScenario{name: "disabled job", code: ExitJenkins, setup: func(h *harness) {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Disabled: true, BuildToken: oddBuildToken})
		}},
	)
	for _, f := range []struct {
		name  string
		fault func(*atomic.Pointer[jenkinstest.Server]) func(*http.Request) jenkinstest.Fault
		code  int
	}{
		{"502 on reads", faultOn(4, jenkinstest.Fault502, isGET), ExitOK},
		{"503 on reads", faultOn(4, jenkinstest.Fault503, isGET), ExitOK},
		{"504 on reads", faultOn(4, jenkinstest.Fault504, isGET), ExitOK},
		{"dropped reads", faultOn(4, jenkinstest.FaultReset, isGET), ExitOK},
		{"503 on the trigger", faultOn(2, jenkinstest.Fault503, isTrigger), ExitOK},
		{"502 on the trigger", faultOn(1, jenkinstest.Fault502, isTrigger), ExitJenkins},
		{"answer to the trigger lost", faultOn(1, jenkinstest.FaultResetAfter, isTrigger), ExitOK},
		{"trigger dropped", faultOn(1, jenkinstest.FaultReset, isTrigger), ExitJenkins},
		{"restart", func(srv *atomic.Pointer[jenkinstest.Server]) func(*http.Request) jenkinstest.Fault {
			var reads atomic.Int32
			return func(r *http.Request) jenkinstest.Fault {
				if strings.HasSuffix(r.URL.Path, "progressiveText") && reads.Add(1) == 2 {
					go srv.Load().Restart(time.Minute)
					return jenkinstest.Fault503
				}
				return jenkinstest.FaultNone
			}
		}, ExitOK},
	} {
		out = append(out, secretScenario{name: "fault: " + f.name, fault: f.fault, code: f.code, setup: deploy})
	}
	// Not the fake's own behaviour: error pages that dump the request,
	// credentials and all, as some proxies and debug pages do.
	for _, e := range []struct {
		name   string
		match  func(*http.Request) bool
		status int
	}{{"trigger", isTrigger, http.StatusForbidden}, {"queue read", isQueueRead, http.StatusBadRequest}} {
		out = append(out, secretScenario{name: "error page echoing the " + e.name, code: ExitJenkins, setup: func(h *harness) {
			deploy(h)
			h.fronted(answer(e.match, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(e.status)
				fmt.Fprintf(w, "<pre>%s %s\nAuthorization: %s\nCookie: %s</pre>", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Cookie"))
			}))
			h.env["JENKINS_URL"] = withUserinfo(h.env["JENKINS_URL"], "bob", oddPassword)
		}})
	}
	return out
}

// TestSecretsNeverWritten runs the whole command through every scenario,
// in plain and GitHub mode and with the credentials given three ways, and
// scans everything it wrote: stdout, stderr, outputs, dotenv, the step
// summary and the JUnit file. In GitHub mode only ::add-mask:: lines may
// carry a secret.
func TestSecretsNeverWritten(t *testing.T) {
	t.Parallel()
	creds := []struct {
		name string
		env  func(base string) []string
	}{
		{"token, password in url, build token", func(base string) []string {
			return []string{"JENKINS_URL", withUserinfo(base, "bob", oddPassword), "JENKINS_USER", "alice", "JENKINS_TOKEN", oddToken, "JENKINS_BUILD_TOKEN", oddBuildToken}
		}},
		{"password in url alone", func(base string) []string {
			return []string{"JENKINS_URL", withUserinfo(base, "bob", oddPassword), "JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", oddBuildToken}
		}},
	}
	forms := secretForms()
	var runs atomic.Int32
	for _, github := range []bool{false, true} {
		for _, cr := range creds {
			for _, sc := range secretScenarios() {
				mode := "plain"
				if github {
					mode = "github"
				}
				t.Run(mode+"/"+cr.name+"/"+sc.name, func(t *testing.T) {
					t.Parallel()
					synctest.Test(t, func(t *testing.T) {
						var srv atomic.Pointer[jenkinstest.Server]
						opts := jenkinstest.Options{Users: map[string]jenkinstest.User{"alice": {APIToken: oddToken}, "bob": {Password: oddPassword}}}
						if sc.fault != nil {
							opts.Fault = sc.fault(&srv)
						}
						h := newHarness(t, opts)
						srv.Store(h.srv)
						h.set("JENKINS_JOB", "deploy", "JENKINS_PARAMETERS", "TARGET=prod\nV=1.2.3", "JENKINS_JUNIT", filepath.Join(h.dir, "junit.xml"))
						h.set(cr.env(h.srv.URL())...)
						if github {
							ghOut, summary := filepath.Join(h.dir, "github_output"), filepath.Join(h.dir, "step_summary.md")
							for _, f := range []string{ghOut, summary} {
								if err := os.WriteFile(f, nil, 0o600); err != nil {
									t.Fatal(err)
								}
							}
							h.set("GITHUB_ACTIONS", "true", "GITHUB_OUTPUT", ghOut, "GITHUB_STEP_SUMMARY", summary)
						}
						sc.setup(h)
						h.runWant(sc.code)
						runs.Add(1)
						h.assertNoSecrets(forms...)
						if m := sessionCookie.FindString(h.everything()); m != "" {
							t.Errorf("a session cookie was printed: %s", m)
						}
						if github && !strings.HasPrefix(h.stdout.String(), "::add-mask::") {
							t.Errorf("secrets not masked before anything else:\n%s", h.stdout.String())
						}
					})
				})
			}
		}
	}
	t.Cleanup(func() { t.Logf("%d runs scanned", runs.Load()) })
}

// sessionCookie is the fake's session cookie with a value in clear.
var sessionCookie = regexp.MustCompile(`JSESSIONID\.[0-9a-f]+=[^*\s]`)

func withUserinfo(base, user, password string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}
