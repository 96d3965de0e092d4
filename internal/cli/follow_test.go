package cli

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// posts counts the POST requests the fake received.
func (h *harness) posts() int {
	n := 0
	for _, r := range h.srv.Requests() {
		if r.Method == "POST" {
			n++
		}
	}
	return n
}

// startBuild triggers a build of job outside the run under test, as an
// earlier step would, and returns its queue item's and build's URLs.
func startBuild(t *testing.T, job string, spec func(map[string]string) jenkinstest.Script, advance time.Duration) (queueURL, buildURL string, h0 *harness) {
	t.Helper()
	h0 = newHarness(t, jenkinstest.Options{})
	h0.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: spec})
	h0.set("JENKINS_JOB", job, "JENKINS_WAIT_FOR", "queue")
	h0.runWant(ExitOK)
	out := h0.outputs()
	time.Sleep(advance)
	return out["JENKINS_QUEUE_URL"], h0.srv.URL() + "/job/" + strings.ReplaceAll(job, "/", "/job/") + "/1/", h0
}

func TestFollowTriggersNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, result string
		follow       string // "queue" or "build"
		advance      time.Duration
		want         int
	}{
		{"build url, success", "SUCCESS", "build", 10 * time.Second, ExitOK},
		{"build url, failure", "FAILURE", "build", 10 * time.Second, ExitFailure},
		{"queue url, still queued", "UNSTABLE", "queue", 0, ExitUnstable},
		{"queue url, started long ago", "SUCCESS", "queue", 20 * time.Second, ExitOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				queueURL, buildURL, h0 := startBuild(t, "team/deploy", script(tt.result, 30*time.Second, 5), tt.advance)
				posts := h0.posts()
				h := h0.again()
				follow := buildURL
				if tt.follow == "queue" {
					follow = queueURL
				}
				h.set("JENKINS_FOLLOW", follow)
				h.runWant(tt.want)
				if got := h.posts(); got != posts {
					t.Errorf("following sent %d POSTs", got-posts)
				}
				if n := len(h.srv.Builds("team/deploy")); n != 1 {
					t.Errorf("%d builds, want 1", n)
				}
				out := h.outputs()
				if out["JENKINS_RESULT"] != tt.result || out["JENKINS_BUILD_URL"] != buildURL || out["JENKINS_BUILD_NUMBER"] != "1" {
					t.Errorf("outputs %v", out)
				}
				// The whole console, from its start.
				if !strings.Contains(h.stdout.String(), "Started by user alice") || !strings.Contains(h.stdout.String(), "line 5") {
					t.Errorf("console not printed whole:\n%s", h.stdout.String())
				}
				h.assertNoSecrets()
			})
		})
	}
}

func TestFollowAsFarAsWaitFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, follow, waitFor string
		want                  []string // outputs written
	}{
		{"queue url, queue", "queue", "queue", []string{"JENKINS_QUEUE_URL", "JENKINS_BUILDS"}},
		{"queue url, start", "queue", "start", []string{"JENKINS_QUEUE_URL", "JENKINS_BUILD_NUMBER", "JENKINS_BUILD_URL", "JENKINS_BUILDS"}},
		{"build url, start", "build", "start", []string{"JENKINS_BUILD_NUMBER", "JENKINS_BUILD_URL", "JENKINS_BUILDS"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				queueURL, buildURL, h0 := startBuild(t, "deploy", script("SUCCESS", 10*time.Minute, 2), 20*time.Second)
				h := h0.again()
				follow := buildURL
				if tt.follow == "queue" {
					follow = queueURL
				}
				// The component sets junit by default: a build followed only
				// to its start has no report to write, and says nothing of it.
				h.set("JENKINS_FOLLOW", follow, "JENKINS_WAIT_FOR", tt.waitFor, "JENKINS_JUNIT", filepath.Join(h.dir, "junit.xml"))
				h.runWant(ExitOK)
				out := h.outputs()
				if len(out) != len(tt.want) {
					t.Errorf("outputs %v, want %v", out, tt.want)
				}
				for _, k := range tt.want {
					if out[k] == "" {
						t.Errorf("no %s in %v", k, out)
					}
				}
				if b := h.srv.Builds("deploy")[0]; b.Aborted || !b.Completed.IsZero() {
					t.Errorf("the build was not left running: %+v", b)
				}
			})
		})
	}
}

func TestFollowedBuildIsLeftAloneOnTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, abortOnStop string
		stopped           bool
	}{
		{"default", "", false},
		{"abort_on_stop true", "true", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				_, buildURL, h0 := startBuild(t, "deploy", script("SUCCESS", 10*time.Minute, 5), 10*time.Second)
				h := h0.again()
				h.set("JENKINS_FOLLOW", buildURL, "JENKINS_TIMEOUT", "1m", "JENKINS_ABORT_ON_STOP", tt.abortOnStop)
				h.runWant(ExitTimeout)
				if got := h.srv.Builds("deploy")[0].Aborted; got != tt.stopped {
					t.Errorf("build aborted = %v, want %v\n%s", got, tt.stopped, h.stdout.String())
				}
			})
		})
	}
}

func TestFollowBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		env    []string
		stderr string
	}{
		{"with parameters", []string{"JENKINS_FOLLOW", "<url>/job/deploy/1/", "JENKINS_PARAMETERS", "A=1"}, "input follow (JENKINS_FOLLOW): follows builds that are already queued or running, so parameters cannot be given with it"},
		{"another job", []string{"JENKINS_FOLLOW", "<url>/job/deploy/1/", "JENKINS_JOB", "other"}, "input job (JENKINS_JOB): job is other, but follow names a build of deploy"},
		{"a job url", []string{"JENKINS_FOLLOW", "<url>/job/deploy/"}, "input follow (JENKINS_FOLLOW): <url>/job/deploy/ is a job URL, not a build URL"},
		{"not under url's path", []string{"JENKINS_FOLLOW", "<url>x/job/deploy/1/"}, "input follow (JENKINS_FOLLOW): <url>x/job/deploy/1/ is not under the url input (<url>)"},
		{"a queue url without an id", []string{"JENKINS_FOLLOW", "<url>/queue/item/x/"}, "input follow (JENKINS_FOLLOW): <url>/queue/item/x/ is a queue item URL without a valid item number"},
		{"the same build twice", []string{"JENKINS_FOLLOW", "<url>/job/deploy/1/\n<url>/job/deploy/1"}, "input follow (JENKINS_FOLLOW): names <url>/job/deploy/1 twice"},
		{"fewer jobs than builds", []string{"JENKINS_FOLLOW", "<url>/job/deploy/1/\n<url>/job/deploy/2/", "JENKINS_JOB", "deploy"}, "input job (JENKINS_JOB): names 1 jobs and follow 2 builds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy"})
				for i := 0; i < len(tt.env); i += 2 {
					h.set(tt.env[i], strings.ReplaceAll(tt.env[i+1], "<url>", h.srv.URL()))
				}
				h.runWant(ExitBadInput)
				if want := strings.ReplaceAll(tt.stderr, "<url>", h.srv.URL()); !strings.Contains(h.stderr.String(), want) {
					t.Errorf("stderr %q lacks %q", h.stderr.String(), want)
				}
				if n := len(h.srv.Requests()); n != 0 {
					t.Errorf("%d requests sent", n)
				}
			})
		})
	}
}

// TestFollowStaysOnJenkins: a followed URL lies under url, or under the
// root URL Jenkins reports for itself; on any other host it names another
// Jenkins, which may have a job of the same name, and is bad input before
// anything is sent but the one read of that root URL.
func TestFollowStaysOnJenkins(t *testing.T) {
	t.Parallel()
	const root = "http://localhost:8080/jenkins/"
	for _, tt := range []struct {
		name   string
		noRoot bool   // Jenkins has no root URL configured
		follow string // <url> is url, <host> its host and port, <port+1> the port after it
		want   int
		stderr string // for bad input
	}{
		{name: "under url", follow: "<url>/job/deploy/1/", want: ExitOK},
		{name: "under the root URL", follow: root + "job/deploy/1/", want: ExitOK},
		{name: "under the root URL, no root URL configured", noRoot: true, follow: root + "job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): " + root + "job/deploy/1/ is not under the url input (<url>), and Jenkins reports no root URL of its own: only a URL under url, or under that root URL, is followed"},
		{name: "another host", follow: "http://other.example/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): http://other.example/jenkins/job/deploy/1/ is under neither the url input (<url>) nor the root URL Jenkins reports for itself (" + root + "): only a URL under one of them is followed"},
		{name: "another host, no root URL configured", noRoot: true, follow: "http://other.example/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): http://other.example/jenkins/job/deploy/1/ is not under the url input (<url>), and Jenkins reports no root URL of its own"},
		{name: "url's host, another port", follow: "http://127.0.0.1:<port+1>/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): http://127.0.0.1:<port+1>/jenkins/job/deploy/1/ is under neither the url input (<url>)"},
		{name: "the root URL's host, another port", follow: "http://localhost:8081/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): http://localhost:8081/jenkins/job/deploy/1/ is under neither"},
		{name: "url's host, https", follow: "https://<host>/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): https://<host>/jenkins/job/deploy/1/ is under neither"},
		{name: "credentials in a URL under url", follow: "http://someone:hunter2@<host>/jenkins/job/deploy/1/", want: ExitOK},
		{name: "credentials in a URL on another host", follow: "http://someone:hunter2@other.example/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): http://other.example/jenkins/job/deploy/1/ is under neither"},
		{name: "url's host as credentials", follow: "http://<host>@other.example/jenkins/job/deploy/1/", want: ExitBadInput,
			stderr: "input follow (JENKINS_FOLLOW): http://other.example/jenkins/job/deploy/1/ is under neither"},
		{name: "a builds output with an entry on another host", want: ExitBadInput,
			follow: `[{"job":"deploy","build_url":"<url>/job/deploy/1/"},{"job":"deploy","queue_url":"http://other.example/jenkins/queue/item/2/","build_url":null}]`,
			stderr: "input follow (JENKINS_FOLLOW): http://other.example/jenkins/queue/item/2/ is under neither"},
		{name: "a builds output under the root URL", follow: `[{"job":"deploy","build_url":"` + root + `job/deploy/1/"}]`, want: ExitOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h0 := newHarness(t, jenkinstest.Options{NoRootURL: tt.noRoot})
				h0.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 10*time.Second, 2)})
				h0.set("JENKINS_JOB", "deploy")
				h0.runWant(ExitOK)
				before := len(h0.srv.Requests())
				h := h0.again()
				u, _ := url.Parse(h.srv.URL())
				port, _ := strconv.Atoi(u.Port())
				expand := strings.NewReplacer("<url>", h.srv.URL(), "<host>", u.Host, "<port+1>", strconv.Itoa(port+1)).Replace
				h.set("JENKINS_FOLLOW", expand(tt.follow))
				h.runWant(tt.want)
				sent := h.srv.Requests()[before:]
				if tt.want == ExitOK {
					if out := h.outputs(); out["JENKINS_BUILD_URL"] != h.srv.URL()+"/job/deploy/1/" || out["JENKINS_RESULT"] != "SUCCESS" {
						t.Errorf("outputs %v", out)
					}
					return
				}
				if want := expand(tt.stderr); !strings.Contains(h.stderr.String(), want) || strings.Count(h.stderr.String(), "\n") != 1 {
					t.Errorf("stderr %q, want one line with %q", h.stderr.String(), want)
				}
				// Only Jenkins' root URL is read, and only for a URL on another origin.
				for _, r := range sent {
					if r.Method != "GET" || r.Path != "/jenkins/api/json" || len(sent) > 1 {
						t.Errorf("%d requests sent: %s %s?%s", len(sent), r.Method, r.Path, r.RawQuery)
					}
				}
				h.assertNoSecrets("hunter2")
			})
		})
	}
}

func TestFollowQueueItemOfAnotherJob(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		queueURL, _, h0 := startBuild(t, "deploy", script("SUCCESS", 10*time.Second, 2), 0)
		h0.srv.AddJob(jenkinstest.JobSpec{FullName: "other"})
		h := h0.again()
		h.set("JENKINS_FOLLOW", queueURL, "JENKINS_JOB", "other", "JENKINS_JUNIT", filepath.Join(h.dir, "junit.xml"))
		h.runWant(ExitBadInput)
		if !strings.Contains(h.stderr.String(), "job is other, but follow names a build of deploy") {
			t.Errorf("stderr: %s", h.stderr.String())
		}
	})
}

// GitLab hands a job's dotenv outputs to later jobs as variables: they must
// not change what a later trigger does.
func TestDotenvOutputsOfAnEarlierJobAreNotInputs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, buildURL, h0 := startBuild(t, "deploy", script("SUCCESS", 5*time.Second, 2), 0)
		h0.srv.AddJob(jenkinstest.JobSpec{FullName: "smoke", Script: script("SUCCESS", 5*time.Second, 2)})
		h := h0.again()
		h.set("JENKINS_JOB", "smoke",
			"JENKINS_QUEUE_URL", h0.outputs()["JENKINS_QUEUE_URL"], "JENKINS_BUILD_URL", buildURL,
			"JENKINS_BUILD_NUMBER", "1", "JENKINS_RESULT", "FAILURE", "JENKINS_DURATION_MS", "5", "JENKINS_FAILED_STAGE", "Deploy")
		h.runWant(ExitOK)
		if n := len(h.srv.Builds("smoke")); n != 1 {
			t.Fatalf("smoke has %d builds, want 1", n)
		}
		if got := h.outputs()["JENKINS_BUILD_URL"]; got != h.srv.URL()+"/job/smoke/1/" {
			t.Errorf("build_url = %q", got)
		}
	})
}

func TestUnwritableOutputFilesStopBeforeAnythingIsSent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"GITHUB_OUTPUT", []string{"GITHUB_ACTIONS", "true", "GITHUB_OUTPUT", "/nonexistent/dir/out"}, "GITHUB_OUTPUT"},
		{"GITHUB_OUTPUT outside GitHub mode", []string{"GITHUB_OUTPUT", "/nonexistent/dir/out"}, "GITHUB_OUTPUT"},
		{"GITHUB_STEP_SUMMARY", []string{"GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", "/nonexistent/dir/summary"}, "GITHUB_STEP_SUMMARY"},
		{"dotenv", []string{"JENKINS_DOTENV", "/nonexistent/dir/out.env"}, "dotenv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy"})
				h.set(append([]string{"JENKINS_JOB", "deploy"}, tt.env...)...)
				h.runWant(ExitBadInput)
				if n := len(h.srv.Requests()); n != 0 {
					t.Errorf("%d requests sent", n)
				}
				all := h.stdout.String() + h.stderr.String()
				if !strings.Contains(all, tt.want) || strings.Contains(all, "goroutine") || strings.Count(strings.TrimSpace(h.stderr.String()+h.stdout.String()), "\n") > 2 {
					t.Errorf("want one line naming %s, got:\n%s", tt.want, all)
				}
			})
		})
	}
}

func TestOutputsGoToGitHubOutputOutsideGitHubMode(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 5*time.Second, 2)})
		out := filepath.Join(h.dir, "github_output")
		h.set("JENKINS_JOB", "deploy", "GITHUB_OUTPUT", out)
		h.runWant(ExitOK)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"queue_url", "build_number", "build_url", "result", "duration_ms", "failed_stage"} {
			if !strings.Contains(string(data), name) {
				t.Errorf("GITHUB_OUTPUT lacks %s:\n%s", name, data)
			}
		}
		if strings.Contains(h.stdout.String(), "::") {
			t.Errorf("plain mode printed workflow commands:\n%s", h.stdout.String())
		}
	})
}

func TestNothingListensAtURL(t *testing.T) {
	t.Parallel()
	// Port 1 lies below the range handed out for port 0, so no server of a
	// parallel test can come to listen there.
	const addr = "127.0.0.1:1"
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Skipf("something listens at %s on this machine", addr)
	}
	for _, url := range []string{"http://" + addr + "/jenkins", "http://jenkins.invalid/jenkins"} {
		t.Run(url, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.set("JENKINS_URL", url, "JENKINS_JOB", "deploy")
				start := time.Now()
				code := h.run(context.Background())
				took := time.Since(start)
				if code != ExitJenkins {
					t.Fatalf("exit %d, want %d\n%s%s", code, ExitJenkins, h.stdout.String(), h.stderr.String())
				}
				if took > time.Minute+15*time.Second {
					t.Errorf("gave up after %s of (virtual) time, want about a minute", took)
				}
				lines := strings.Split(strings.TrimSpace(h.stderr.String()), "\n")
				last := lines[len(lines)-1]
				if !strings.Contains(last, url) || strings.Contains(h.stdout.String()+h.stderr.String(), "queue/item") {
					t.Errorf("the error line should name %s and no queue item:\n%s\n%s", url, h.stdout.String(), h.stderr.String())
				}
				// The builds output says the build was not reached.
				if out := h.outputs(); len(out) != 1 || out["JENKINS_BUILDS"] != `[{"job":"deploy","queue_url":null,"build_number":null,"build_url":null,"result":null,"duration_ms":null,"failed_stage":null,"upstream":null}]` {
					t.Errorf("outputs %v for a run that reached nothing", out)
				}
			})
		})
	}
}

// TestFollowRootReadWithinTimeout: the read of Jenkins' root URL that a
// follow URL on another origin needs is bounded by timeout, as the rest of
// the step is: exit 4 once it passes, with nothing followed.
func TestFollowRootReadWithinTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if r.URL.Path == "/jenkins/api/json" {
				return jenkinstest.Fault503
			}
			return jenkinstest.FaultNone
		}})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 10*time.Second, 2)})
		h.set("JENKINS_FOLLOW", "http://localhost:8080/jenkins/job/deploy/1/", "JENKINS_TIMEOUT", "20s")
		start := time.Now()
		h.runWant(ExitTimeout)
		if took := time.Since(start); took > 21*time.Second {
			t.Errorf("gave up after %v, want within the 20s timeout", took)
		}
		if !strings.Contains(h.stderr.String(), "timeout (20s) passed before anything was triggered") || strings.Count(h.stderr.String(), "\n") != 1 {
			t.Errorf("stderr %q, want one line naming the timeout", h.stderr.String())
		}
	})
}

// TestFollowRootReadRefused: a read of Jenkins' root URL that Jenkins
// refuses says what to check, as any other refused request does.
func TestFollowRootReadRefused(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 10*time.Second, 2)})
		h.set("JENKINS_FOLLOW", "http://localhost:8080/jenkins/job/deploy/1/", "JENKINS_TOKEN", "wrong-token-of-alice")
		h.runWant(ExitJenkins)
		if want := `Jenkins refused the credentials of user "alice" (401): check user and token`; !strings.Contains(h.stderr.String(), want) || strings.Count(h.stderr.String(), "\n") != 1 {
			t.Errorf("stderr %q, want one line with %q", h.stderr.String(), want)
		}
	})
}
