package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// answer replaces the fake's answer to the requests that match.
func answer(match func(*http.Request) bool, h http.HandlerFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				h(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// alter lets the fake answer and then changes the answer's headers.
func alter(match func(*http.Request) bool, edit func(http.Header)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				w = &headerEdit{ResponseWriter: w, edit: edit}
			}
			next.ServeHTTP(w, r)
		})
	}
}

type headerEdit struct {
	http.ResponseWriter
	edit func(http.Header)
}

func (e *headerEdit) WriteHeader(code int) {
	e.edit(e.Header())
	e.ResponseWriter.WriteHeader(code)
}

func (e *headerEdit) Flush() { http.NewResponseController(e.ResponseWriter).Flush() }

func isJobRead(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/job/deploy/api/json")
}
func isQueueRead(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/queue/item/")
}
func isBuildRead(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/job/deploy/1/api/json")
}
func isConsole(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/progressiveText") }

func body(contentType, text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, text)
	}
}

const loginPage = `<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method="post" action="/oauth2/start">Sign in with SSO</form></body></html>`

func console(size string, more bool, text func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.Header().Set("X-Text-Size", size)
		if more {
			w.Header().Set("X-More-Data", "true")
		}
		text(w, r)
	}
}

// forever streams console lines until the client hangs up.
func forever(w http.ResponseWriter, r *http.Request) {
	line := bytes.Repeat([]byte("spam spam spam\r\n"), 2048)
	for r.Context().Err() == nil {
		if _, err := w.Write(line); err != nil {
			return
		}
	}
}

// hush accepts the request and never answers: the bubble's time passes
// until the client's next timer, as it would while a client waits in vain.
func hush(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

// TestHostileAnswers runs whole triggers while the server in front of the
// fake answers something Jenkins would not: each run ends with a clear
// exit 6, or at the latest at its timeout, and never triggers twice.
func TestHostileAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		env     []string
		code    int
		msg     string
		aborted bool // the build was stopped at the timeout
	}{
		{"login page for the job", answer(isJobRead, body("text/html", loginPage)), nil, ExitJenkins, "a page that is not Jenkins' (a login page?) came from something in front of Jenkins, not from Jenkins; give the headers the front door wants", false},
		{"JSON too large", answer(isJobRead, body("application/json", `{"x":"`+strings.Repeat("x", 5<<20)+`"}`)), nil, ExitJenkins, "answer too large", false},
		{"truncated queue item", answer(isQueueRead, body("application/json", `{"_class":"hudson.model.Queue$LeftItem","cancelled":false,"executable":{"number":`)), nil, ExitJenkins, "unexpected end of JSON input", false},
		{"queue item naming build -3", answer(isQueueRead, body("application/json", `{"id":1,"cancelled":false,"executable":{"number":-3}}`)), nil, ExitJenkins, "queue item 1 names build #-3", false},
		{"queue item that never resolves", answer(isQueueRead, body("application/json", `{"id":1,"cancelled":false,"executable":null}`)), []string{"JENKINS_TIMEOUT", "2m"}, ExitTimeout, "timeout 2m0s passed", false},
		{"build as null", answer(isBuildRead, body("application/json", `null`)), nil, ExitJenkins, "unusable answer", false},
		{"build with a negative duration", answer(isBuildRead, body("application/json", `{"number":1,"building":false,"result":"SUCCESS","duration":-5}`)), nil, ExitJenkins, "negative duration", false},
		{"build as HTML", answer(isBuildRead, body("text/html;charset=utf-8", loginPage)), nil, ExitJenkins, "came from something in front of Jenkins", false},
		{"negative X-Text-Size", answer(isConsole, console("-1", true, func(http.ResponseWriter, *http.Request) {})), nil, ExitJenkins, `bad X-Text-Size "-1"`, false},
		{"huge X-Text-Size", answer(isConsole, console("9223372036854775807", true, func(http.ResponseWriter, *http.Request) {})), nil, ExitJenkins, "bad X-Text-Size", false},
		{"console as a login page", answer(isConsole, body("text/html", loginPage)), nil, ExitJenkins, "came from something in front of Jenkins", false},
		{"console answer that never ends", answer(isConsole, console("100", true, forever)), nil, ExitJenkins, "goes on past", false},
		// X-More-Data alone must not keep the run going: a finished build
		// ends it after a bounded drain, well before the timeout.
		{"console that always has more", alter(isConsole, func(h http.Header) { h.Set("X-More-Data", "true") }), []string{"JENKINS_TIMEOUT", "30m"}, ExitOK, "still grows after the build finished", false},
		{"silent Jenkins", answer(func(*http.Request) bool { return true }, hush), []string{"JENKINS_TIMEOUT", "1s"}, ExitTimeout, "timeout 1s passed", false},
		{"silent console", answer(isConsole, hush), []string{"JENKINS_TIMEOUT", "1s"}, ExitTimeout, "timeout 1s passed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				// The build starts at once, so that a 1s timeout finds it
				// running.
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script {
					return jenkinstest.Script{Duration: time.Minute, Log: lines(5, 10*time.Second, "step"), Result: "SUCCESS"}
				}})
				h.fronted(tt.wrap)
				h.set("JENKINS_JOB", "deploy").set(tt.env...)
				// A hang fails here rather than at the suite's deadline.
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Hour) // in the bubble's time
				defer cancel()
				// The command's own transport: its limits are part of the test.
				env := Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: builtClient(t, h.net, h.env)}
				if code := Run(ctx, env); code != tt.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, h.stdout.String(), h.stderr.String())
				}
				if ctx.Err() != nil {
					t.Fatal("the run hung")
				}
				stderr := h.stderr.String()
				if !strings.Contains(stderr, tt.msg) {
					t.Errorf("stderr lacks %q:\n%s", tt.msg, stderr)
				}
				if tt.code != ExitOK && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
					t.Errorf("want one line on stderr:\n%s", stderr)
				}
				builds := h.srv.Builds("deploy")
				if len(builds) > 1 {
					t.Errorf("%d builds", len(builds))
				}
				if tt.aborted && (len(builds) != 1 || !builds[0].Aborted) {
					t.Errorf("build not stopped at the timeout: %+v", builds)
				}
				h.assertNoSecrets()
			})
		})
	}
}
