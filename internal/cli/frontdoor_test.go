package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// The tests of this file hold "Front door" in shared/interface.md, through
// the whole command.

// Values a front door wants: an IAP token, and a Cloudflare service token.
const (
	iapToken = "eyJhbGciOiJSUzI1NiJ9.iap-payload.s1gnature"
	cfID     = "0a1b2c3d.access"
	cfSecret = "cf-secret-4b6c8d0e2f"
)

// door is a fake Jenkins behind a front door that wants headers, refusing
// as refusal; the job archives an artifact, served from an object store.
func door(t *testing.T, want map[string]string, refusal jenkinstest.Refusal) *harness {
	t.Helper()
	h := newHarness(t, jenkinstest.Options{
		FrontDoor:        &jenkinstest.FrontDoor{Headers: want, Refusal: refusal},
		ArtifactRedirect: jenkinstest.ArtifactRedirectObjectStore,
	})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: []jenkinstest.ParamDef{{Name: "V", Type: "string"}}, Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{QuietPeriod: time.Second, Duration: 10 * time.Second, Result: "SUCCESS", Log: lines(3, 2*time.Second, "step"),
			Artifacts: []jenkinstest.Artifact{{RelativePath: "dist/app.bin", Size: 256 << 10}}}
	}})
	h.set("JENKINS_JOB", "deploy", "JENKINS_PARAMETERS", "V=1", "JENKINS_ARTIFACTS", "dist/*", "JENKINS_ARTIFACTS_DIR", filepath.Join(h.dir, "arts"))
	return h
}

// TestThroughTheFrontDoor: with the front door's headers, a token and a
// password (with its crumb and the session that holds it) both trigger,
// follow and bring the artifact back from the object store, where none of
// the door's headers, and nothing of Jenkins', goes.
func TestThroughTheFrontDoor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		want    map[string]string
		headers string
		creds   []string
	}{
		{"IAP with a token", map[string]string{"Proxy-Authorization": "Bearer " + iapToken}, "Proxy-Authorization: Bearer " + iapToken, nil},
		{"Cloudflare with a password", map[string]string{"CF-Access-Client-Id": cfID, "CF-Access-Client-Secret": cfSecret},
			"CF-Access-Client-Id: " + cfID + "\nCF-Access-Client-Secret: " + cfSecret, []string{"JENKINS_USER", "bob", "JENKINS_TOKEN", secretPassword}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := door(t, tt.want, jenkinstest.RefuseCloudflareForbidden)
				h.set("JENKINS_HEADERS", tt.headers, "GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", filepath.Join(h.dir, "summary.md")).set(tt.creds...)
				h.runWant(ExitOK)
				for _, r := range h.srv.Requests() {
					if r.FrontDoor {
						t.Errorf("the front door refused %s %s", r.Method, r.Path)
					}
				}
				foreign := h.srv.ArtifactOriginRequests()
				if len(foreign) == 0 {
					t.Fatal("no download went to the object store")
				}
				for _, d := range foreign {
					for name := range d.Header {
						if _, ok := tt.want[name]; ok || name == "Authorization" || name == "Cookie" || name == "Jenkins-Crumb" {
							t.Errorf("the object store got %s", name)
						}
					}
				}
				h.assertNoSecrets(iapToken, cfID, cfSecret)
			})
		})
	}
}

// TestFrontDoorRefuses: without its headers, the front door's refusal ends
// the step before anything is triggered, with one line that says the
// answer did not come from Jenkins, names the status, and points at the
// headers input rather than at the user and token.
func TestFrontDoorRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		refusal jenkinstest.Refusal
		status  string
	}{
		{jenkinstest.RefuseIAP, "401 Unauthorized"},
		{jenkinstest.RefuseCloudflareLogin, "302 Found to https://jenkinstest.cloudflareaccess.com/cdn-cgi/access/login/127.0.0.1"},
		{jenkinstest.RefuseCloudflareForbidden, "403 Forbidden"},
		{jenkinstest.RefuseWAFLoginPage, "a page that is not Jenkins' (a login page?)"},
	} {
		t.Run(tt.refusal.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := door(t, map[string]string{"Proxy-Authorization": "Bearer " + iapToken}, tt.refusal)
				h.set("JENKINS_HEADERS", "Proxy-Authorization: Bearer wrong-"+iapToken)
				h.runWant(ExitJenkins)
				line := strings.TrimSpace(h.stderr.String())
				if strings.Count(line, "\n") != 0 || !strings.Contains(line, tt.status) ||
					!strings.Contains(line, "came from something in front of Jenkins, not from Jenkins") ||
					!strings.Contains(line, "headers input") || strings.Contains(line, "check user and token") {
					t.Errorf("stderr %q", line)
				}
				if n := h.posts(); n != 0 {
					t.Errorf("%d POSTs", n)
				}
				h.assertNoSecrets(iapToken)
			})
		})
	}
}

// TestHeadersBadInput: each rule of the contract for headers is bad input,
// found before anything is sent.
func TestHeadersBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, headers string
		env           []string
		msg           string
	}{
		{"no colon", "Proxy-Authorization Bearer x", nil, "line 1 has no ':'"},
		{"not a token", "Proxy Authorization: x", nil, "line 1: the name before ':' is not a header name: its character at column 6 is a space"},
		{"a secret without its name", "X-Key " + iapToken + ": x", nil, "line 1: the name before ':' is not a header name: its character at column 6"},
		{"a control character", "X-Key: a\x07b", nil, "the value of X-Key has a control character"},
		{"Host", "Host: evil.example.com", nil, "Host is set by jenkins-trigger itself"},
		{"Content-Length", "content-length: 1", nil, "Content-Length is set by jenkins-trigger itself"},
		{"Content-Type", "Content-Type: text/plain", nil, "Content-Type is set by jenkins-trigger itself"},
		{"Transfer-Encoding", "Transfer-Encoding: chunked", nil, "Transfer-Encoding is set by jenkins-trigger itself"},
		{"Connection", "Connection: close", nil, "Connection is set by jenkins-trigger itself"},
		{"Jenkins-Crumb", "Jenkins-Crumb: abc", nil, "Jenkins-Crumb is set by jenkins-trigger itself"},
		{"Authorization with a token", "Authorization: Bearer " + iapToken, nil, "sets Authorization"},
		{"Authorization with credentials in url", "Authorization: Bearer " + iapToken, []string{"JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_URL", "http://carol:" + secretPassword + "@127.0.0.1:1/jenkins"}, "sets Authorization"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy"})
				h.set("JENKINS_JOB", "deploy", "JENKINS_HEADERS", tt.headers).set(tt.env...)
				h.runWant(ExitBadInput)
				if want := "input headers (JENKINS_HEADERS): "; !strings.Contains(h.stderr.String(), want) || !strings.Contains(h.stderr.String(), tt.msg) {
					t.Errorf("stderr %q lacks %q", h.stderr.String(), tt.msg)
				}
				if n := len(h.srv.Requests()); n != 0 {
					t.Errorf("%d requests sent", n)
				}
				h.assertNoSecrets(iapToken)
			})
		})
	}
}

// TestHeaderValuesMasked: on GitHub every header's value is masked before
// anything else is printed, a bearer token also without its scheme, and no
// value shows anywhere the run writes.
func TestHeaderValuesMasked(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := door(t, map[string]string{"Proxy-Authorization": "Bearer " + iapToken, "X-Waf-Key": cfSecret}, jenkinsRefusal)
		h.set("JENKINS_HEADERS", "Proxy-Authorization: Bearer "+iapToken+"\nX-Waf-Key: "+cfSecret, "GITHUB_ACTIONS", "true",
			"GITHUB_STEP_SUMMARY", filepath.Join(h.dir, "summary.md"))
		h.runWant(ExitOK)
		lines := strings.Split(h.stdout.String(), "\n")
		masks := map[string]bool{}
		for i, line := range lines {
			if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
				masks[v] = true
				continue
			}
			for _, want := range []string{"Bearer " + iapToken, iapToken, cfSecret} {
				if !masks[want] {
					t.Errorf("line %d (%q) comes before %q is masked", i+1, line, want)
				}
			}
			break
		}
		h.assertNoSecrets(iapToken, cfSecret)
	})
}

// jenkinsRefusal is any refusal: the tests that use it pass the door.
const jenkinsRefusal = jenkinstest.RefuseIAP
