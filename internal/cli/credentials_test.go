package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// recorder is a server that is not Jenkins: it records whatever reaches it.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string
}

func newRecorder(t *testing.T, n *memnet.Network, tls bool) *recorder {
	rec := &recorder{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Method+" "+r.URL.String()+" auth="+r.Header.Get("Authorization")+" crumb="+r.Header.Get("Jenkins-Crumb"))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	})
	rec.Server = n.NewUnstartedServer(h)
	if tls {
		n.StartTLS(rec.Server)
	} else {
		n.Start(rec.Server)
	}
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// fronted serves the fake through wrap, and points the harness at it.
func redirectTo(target func(r *http.Request) string, status int, match func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				w.Header().Set("Location", target(r))
				w.WriteHeader(status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func pathHas(method, part string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && strings.Contains(r.URL.Path, part) }
}

// TestCredentialsStayHome redirects requests away from the configured
// Jenkins: credentials and the crumb must never follow, and nothing may be
// triggered twice.
func TestCredentialsStayHome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user string // alice has an API token, bob a password (crumbs)
		wrap func(elsewhere, tlsElsewhere *recorder) func(http.Handler) http.Handler
		code int
		// triggers is how many trigger requests reached Jenkins.
		triggers int
		msg      string
	}{
		{"job read sent to another host", "alice", func(e, _ *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return e.URL + r.URL.RequestURI() }, http.StatusFound, pathHas("GET", "/job/deploy/api/json"))
		}, ExitJenkins, 0, "302"},
		{"job read sent to https elsewhere", "alice", func(_, e *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return e.URL + r.URL.RequestURI() }, http.StatusMovedPermanently, pathHas("GET", "/job/deploy/api/json"))
		}, ExitJenkins, 0, "301"},
		{"crumb sent to another host", "bob", func(e, _ *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return e.URL + r.URL.RequestURI() }, http.StatusTemporaryRedirect, pathHas("GET", "/crumbIssuer/"))
		}, ExitJenkins, 0, "fetch CSRF crumb"},
		{"trigger sent to another host", "bob", func(e, _ *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return e.URL + r.URL.RequestURI() }, http.StatusTemporaryRedirect, pathHas("POST", "/build"))
		}, ExitJenkins, 0, "307"},
		{"trigger sent elsewhere on the same host", "alice", func(*recorder, *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return "/jenkins/job/deploy/build?again" }, http.StatusPermanentRedirect, pathHas("POST", "/job/deploy/build"))
		}, ExitJenkins, 0, "308"},
		{"queue item sent to another host", "alice", func(e, _ *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return e.URL + r.URL.RequestURI() }, http.StatusFound, pathHas("GET", "/queue/item/"))
		}, ExitJenkins, 1, "302"},
		{"trigger's Location names another host", "bob", func(e, _ *recorder) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(&relocate{ResponseWriter: w, to: e.URL}, r)
				})
			}
		}, ExitOK, 1, ""},
		{"redirect within Jenkins is followed", "bob", func(*recorder, *recorder) func(http.Handler) http.Handler {
			return redirectTo(func(r *http.Request) string { return r.URL.RequestURI() + "&moved=1" }, http.StatusFound, func(r *http.Request) bool {
				return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/job/deploy/api/json") && r.URL.Query().Get("moved") == ""
			})
		}, ExitOK, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 5*time.Second, 2)})
				elsewhere, tlsElsewhere := newRecorder(t, h.net, false), newRecorder(t, h.net, true)
				h.fronted(tt.wrap(elsewhere, tlsElsewhere))
				h.set("JENKINS_JOB", "deploy", "JENKINS_USER", tt.user)
				if tt.user == "bob" {
					h.set("JENKINS_TOKEN", secretPassword)
				}
				h.runWant(tt.code)
				for _, rec := range []*recorder{elsewhere, tlsElsewhere} {
					if got := rec.requests(); len(got) > 0 {
						t.Errorf("a request left the configured Jenkins: %q", got)
					}
				}
				triggers := 0
				for _, r := range h.srv.Requests() {
					if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/build") {
						triggers++
					}
				}
				if triggers != tt.triggers || len(h.srv.Builds("deploy")) > triggers {
					t.Errorf("%d triggers and %d builds, want %d triggers", triggers, len(h.srv.Builds("deploy")), tt.triggers)
				}
				if !strings.Contains(h.stderr.String(), tt.msg) {
					t.Errorf("stderr lacks %q:\n%s", tt.msg, h.stderr.String())
				}
				if tt.code == ExitOK && !strings.HasPrefix(h.outputs()["JENKINS_QUEUE_URL"], h.env["JENKINS_URL"]+"/queue/item/") {
					t.Errorf("queue_url %q is not under the configured url", h.outputs()["JENKINS_QUEUE_URL"])
				}
				h.assertNoSecrets()
			})
		})
	}
}

// relocate moves a trigger's Location to another host, keeping the path.
type relocate struct {
	http.ResponseWriter
	to string
}

func (r *relocate) WriteHeader(code int) {
	if loc := r.Header().Get("Location"); loc != "" && strings.Contains(loc, "/queue/item/") {
		r.Header().Set("Location", r.to+loc[strings.Index(loc, "/jenkins/queue/"):])
	}
	r.ResponseWriter.WriteHeader(code)
}

// TestPlainHTTPWarning: credentials sent in clear to a host that is not
// this machine are worth a warning; the same run over https, to loopback,
// or without credentials is not.
func TestPlainHTTPWarning(t *testing.T) {
	t.Parallel()
	const warning = "credentials are sent over plain http://"
	tests := []struct {
		name  string
		tls   bool
		host  string
		env   []string
		warns bool
	}{
		{"token to a remote host", false, plainHost, nil, true},
		{"build token to a remote host", false, plainHost, []string{"JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", secretBuildToken}, true},
		{"token in the url to a remote host", false, plainHost, []string{"JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_URL", "<userinfo>"}, true},
		{"no credentials", false, plainHost, []string{"JENKINS_USER", "", "JENKINS_TOKEN", ""}, false},
		{"token to loopback", false, "127.0.0.1", nil, false},
		{"token to localhost", false, "localhost", nil, false},
		{"token over https", true, tlsHost, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				opts := jenkinstest.Options{AnonymousBuild: true}
				var h *harness
				if tt.tls {
					h = newTLSHarness(t, opts)
					h.set("JENKINS_CA_CERT", string(h.srv.CAPEM()))
				} else {
					h = newHarness(t, opts)
				}
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: secretBuildToken, Script: script("SUCCESS", 5*time.Second, 2)})
				base := strings.Replace(h.srv.URL(), "127.0.0.1", tt.host, 1)
				h.set("JENKINS_JOB", "deploy", "JENKINS_URL", base).set(tt.env...)
				if h.env["JENKINS_URL"] == "<userinfo>" {
					h.env["JENKINS_URL"] = strings.Replace(base, "://", "://alice:"+secretToken+"@", 1)
				}
				code := Run(t.Context(), Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: builtClient(t, h.net, h.env)})
				if code != ExitOK {
					t.Fatalf("exit %d\n%s", code, h.stderr.String())
				}
				if got := strings.Count(h.stderr.String(), warning); got != map[bool]int{true: 1}[tt.warns] {
					t.Errorf("%d warnings, want it %v:\n%s", got, tt.warns, h.stderr.String())
				}
				h.assertNoSecrets()
			})
		})
	}
}
