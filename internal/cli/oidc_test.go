package cli

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// The tests of this file hold the oidc_* inputs of shared/interface.md,
// through the whole command, against jwt-auth-filter's check.

const oidcAudience = "https://jenkins.example.com"

// jwtPaths are jwt-auth-filter's protected paths that the docs give for
// jenkins-trigger: the plugin's default, /**/api/**, and what the step
// reaches outside it (triggers, stops, cancels, the console, artifacts,
// stages and inputs).
var jwtPaths = []string{
	"/**/api/**", "/**/build", "/**/buildWithParameters", "/**/stop", "/**/queue/cancelItem",
	"/**/logText/**", "/**/artifact/**", "/**/wfapi/**", "/**/input/**",
	"/**/stages/**", "/**/pipeline-overview/**", "/**/pipeline-console/**", "/**/pipeline-graph/**",
}

// oidcHarness is a fake Jenkins with jwt-auth-filter trusting an issuer
// like GitHub's, whose tokens live lifetime, and a
// GitHub step that mints them for oidcAudience. The job runs d and
// archives an artifact kept on an object store.
func oidcHarness(t *testing.T, lifetime, d time.Duration, challenge bool) (*harness, *jenkinstest.Issuer) {
	t.Helper()
	return oidcHarnessOn(t, jwtPaths, lifetime, d, challenge)
}

// oidcHarnessOn is oidcHarness with jwt-auth-filter protecting paths.
func oidcHarnessOn(t *testing.T, paths []string, lifetime, d time.Duration, challenge bool) (*harness, *jenkinstest.Issuer) {
	t.Helper()
	h := newHarness(t, jenkinstest.Options{})
	iss := jenkinstest.NewIssuer(jenkinstest.IssuerOptions{Net: h.net, Lifetime: lifetime, Claims: map[string]any{"user": "ci-bot"}})
	t.Cleanup(iss.Close)
	h.srv = jenkinstest.New(jenkinstest.Options{
		Net: h.net, ContextPath: "/jenkins", ArtifactRedirect: jenkinstest.ArtifactRedirectObjectStore,
		JWT: &jenkinstest.JWTAuth{JWKSURL: iss.JWKSURL(), Issuer: iss.URL(), Audience: oidcAudience, UsernameClaim: "user", ProtectedPaths: paths, Challenge: challenge},
	})
	t.Cleanup(h.srv.Close)
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{QuietPeriod: time.Second, Duration: d, Result: "SUCCESS", Log: lines(6, d/7, "step"),
			Artifacts: []jenkinstest.Artifact{{RelativePath: "dist/app.bin", Size: 64 << 10}}}
	}})
	h.env = map[string]string{
		"JENKINS_URL": h.srv.URL(), "JENKINS_JOB": "deploy", "JENKINS_DOTENV": filepath.Join(h.dir, "outputs.env"),
		"JENKINS_ARTIFACTS": "dist/*", "JENKINS_ARTIFACTS_DIR": filepath.Join(h.dir, "arts"),
		"JENKINS_OIDC_AUDIENCE": oidcAudience, "ACTIONS_ID_TOKEN_REQUEST_URL": iss.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": iss.RequestToken(),
		"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": filepath.Join(h.dir, "summary.md"),
	}
	return h, iss
}

// assertOIDCClean checks that no request was refused, that the object
// store got no credential, that every token was masked as soon as it was
// minted, and that no token is printed anywhere.
func assertOIDCClean(t *testing.T, h *harness, iss *jenkinstest.Issuer, refusedOK int) {
	t.Helper()
	refused := 0
	for _, r := range h.srv.Requests() {
		if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden {
			refused++
		}
	}
	if refused != refusedOK {
		t.Errorf("%d requests refused, want %d", refused, refusedOK)
	}
	foreign := h.srv.ArtifactOriginRequests()
	if len(foreign) == 0 {
		t.Error("no download went to the object store")
	}
	for _, d := range foreign {
		if d.Authorization || d.Cookie {
			t.Errorf("the object store got credentials: %v", d.Header)
		}
	}
	out := h.stdout.String()
	for _, tok := range iss.Minted() {
		if !strings.Contains(out, "::add-mask::"+tok+"\n") {
			t.Errorf("a minted token was not masked")
		}
	}
	h.assertNoSecrets(append(iss.Minted(), iss.RequestToken())...)
}

// TestOIDCFollowsALongBuild: a build of three minutes is followed to its
// end on tokens that live 60 s, each minted again before it expires, and
// no request is refused.
func TestOIDCFollowsALongBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h, iss := oidcHarness(t, time.Minute, 3*time.Minute, true)
		h.runWant(ExitOK)
		if n := len(iss.Minted()); n < 6 {
			t.Errorf("%d tokens minted for a build of 3 minutes on tokens of 60 s", n)
		}
		if iss.Refused() != 0 {
			t.Errorf("the token service refused %d requests", iss.Refused())
		}
		assertOIDCClean(t, h, iss, 0)
	})
}

// TestOIDCRefusedThenMintedAgain: a token refused at the trigger, by the
// front door or by Jenkins, is minted again and the trigger sent once
// more, which makes one build: the refused POST was not taken.
func TestOIDCRefusedThenMintedAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		challenge bool
		// refused counts the requests Jenkins refused: with no challenge,
		// the trigger's token passes for anonymous, whose crumb is not
		// the one sent, and the crumb is fetched again with it too.
		refused int
		// refuse turns the first trigger away, or has Jenkins do it.
		refuse func(h *harness, iss *jenkinstest.Issuer, w http.ResponseWriter) bool
	}{
		{"the front door revoked it", false, 0, func(_ *harness, _ *jenkinstest.Issuer, w http.ResponseWriter) bool {
			w.Header().Set("X-Goog-IAP-Generated-Response", "true")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte("Invalid IAP credentials: JWT has been revoked"))
			return true
		}},
		{"the issuer rotated its key, Jenkins challenges", true, 1, func(h *harness, iss *jenkinstest.Issuer, _ http.ResponseWriter) bool {
			iss.Rotate()
			h.srv.ForgetJWKS()
			return false
		}},
		{"the issuer rotated its key, Jenkins takes it for anonymous", false, 2, func(h *harness, iss *jenkinstest.Issuer, _ http.ResponseWriter) bool {
			iss.Rotate()
			h.srv.ForgetJWKS()
			return false
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h, iss := oidcHarness(t, 5*time.Minute, 20*time.Second, tt.challenge)
				var once sync.Once
				var doorRefused atomic.Int32
				h.fronted(func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						refused := false
						if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/build") {
							once.Do(func() { refused = tt.refuse(h, iss, w) })
						}
						if refused {
							doorRefused.Add(1)
							return
						}
						next.ServeHTTP(w, r)
					})
				})
				h.runWant(ExitOK)
				if n := len(h.srv.Builds("deploy")); n != 1 {
					t.Errorf("%d builds, want 1", n)
				}
				if n := len(iss.Minted()); n != 2 {
					t.Errorf("%d tokens minted, want 2", n)
				}
				if n := doorRefused.Load(); int(n) != 1-min(tt.refused, 1) {
					t.Errorf("the front door refused %d", n)
				}
				assertOIDCClean(t, h, iss, tt.refused)
			})
		})
	}
}

// TestOIDCRefusedCombinations: what cannot go with an OIDC token is bad
// input, found before anything is sent or minted, in one line.
func TestOIDCRefusedCombinations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		want []string
	}{
		{"with token", []string{"JENKINS_USER", "alice", "JENKINS_TOKEN", secretToken}, []string{"input oidc_audience", "token"}},
		{"with an Authorization line in headers", []string{"JENKINS_HEADERS", "Authorization: Bearer " + iapToken}, []string{"input headers", "Authorization"}},
		{"with a line of oidc_header in headers", []string{"JENKINS_OIDC_HEADER", "x-jwt", "JENKINS_HEADERS", "X-Jwt: " + iapToken}, []string{"input headers", "X-Jwt"}},
		{"with oidc_token", []string{"JENKINS_OIDC_TOKEN", "CI_JOB_JWT"}, []string{"input oidc_token", "oidc_audience"}},
		{"without id-token: write", []string{"ACTIONS_ID_TOKEN_REQUEST_URL", "", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""}, []string{"input oidc_audience", "permissions: id-token: write"}},
		{"in a header the tool sets", []string{"JENKINS_OIDC_HEADER", "Content-Type"}, []string{"input oidc_header"}},
		{"oidc_token naming no variable", []string{"JENKINS_OIDC_AUDIENCE", "", "JENKINS_OIDC_TOKEN", "JENKINS_ID_TOKEN"}, []string{"input oidc_token", "JENKINS_ID_TOKEN", "not set"}},
		{"oidc_token naming no JWT", []string{"JENKINS_OIDC_AUDIENCE", "", "JENKINS_OIDC_TOKEN", "JENKINS_ID_TOKEN", "JENKINS_ID_TOKEN", secretBuildToken}, []string{"input oidc_token", "not a JWT"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h, iss := oidcHarness(t, time.Minute, 10*time.Second, false)
				h.set("GITHUB_ACTIONS", "").set(tt.env...)
				h.runWant(ExitBadInput)
				stderr := strings.TrimSpace(h.stderr.String())
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr lacks %q: %s", w, stderr)
					}
				}
				if strings.Contains(stderr, "\n") {
					t.Errorf("want one line: %s", stderr)
				}
				if n := len(h.srv.Requests()); n != 0 || len(iss.Minted()) != 0 {
					t.Errorf("%d requests sent, %d tokens minted", n, len(iss.Minted()))
				}
				h.assertNoSecrets(iapToken)
			})
		})
	}
}

// TestOIDCTokenFromGitLab: the token GitLab's id_tokens: put in a variable
// is sent as it is; one that expires before timeout would is warned of.
func TestOIDCTokenFromGitLab(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		lifetime time.Duration
		warn     bool
	}{
		{"lives longer than timeout", 2 * time.Hour, false},
		{"expires before timeout", 10 * time.Minute, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h, iss := oidcHarness(t, time.Minute, 30*time.Second, false)
				token := iss.Mint(oidcAudience, tt.lifetime)
				h.set("GITHUB_ACTIONS", "", "GITHUB_STEP_SUMMARY", "", "JENKINS_OIDC_AUDIENCE", "", "ACTIONS_ID_TOKEN_REQUEST_URL", "", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "",
					"JENKINS_OIDC_TOKEN", "JENKINS_ID_TOKEN", "JENKINS_ID_TOKEN", token)
				h.runWant(ExitOK)
				warned := strings.Contains(h.stderr.String(), "warning: the OIDC token in JENKINS_ID_TOKEN expires in 10m0s, before timeout 1h0m0s")
				if warned != tt.warn {
					t.Errorf("warned %v, want %v:\n%s", warned, tt.warn, h.stderr.String())
				}
				if len(iss.Minted()) != 1 {
					t.Errorf("%d tokens minted, want the one given", len(iss.Minted()))
				}
				for _, d := range h.srv.ArtifactOriginRequests() {
					if d.Authorization {
						t.Error("the object store got the token")
					}
				}
				h.assertNoSecrets(token)
			})
		})
	}
}

// TestOIDCOnTheDefaultPaths: with jwt-auth-filter's default path alone,
// Jenkins sees no one at the trigger, and the step says which paths to
// add.
func TestOIDCOnTheDefaultPaths(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h, iss := oidcHarnessOn(t, jenkinstest.DefaultJWTPaths, time.Minute, 10*time.Second, false)
		h.set("GITHUB_ACTIONS", "")
		h.runWant(ExitJenkins)
		stderr := strings.TrimSpace(h.stderr.String())
		if !strings.Contains(stderr, "Jenkins refused the trigger (403)") || !strings.Contains(stderr, "the paths jwt-auth-filter protects") || strings.Contains(stderr, "\n") {
			t.Errorf("stderr:\n%s", stderr)
		}
		if n := len(h.srv.Builds("deploy")); n != 0 {
			t.Errorf("%d builds", n)
		}
		h.assertNoSecrets(append(iss.Minted(), iss.RequestToken())...)
	})
}
