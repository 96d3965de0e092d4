package jenkinstest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// jwtFixture is a fake with jwt-auth-filter trusting iss, whose tokens
// name the user in the claim "user".
func jwtFixture(t *testing.T, n *memnet.Network, iss *Issuer, paths []string, challenge bool) *fixture {
	t.Helper()
	return newFixture(t, Options{Net: n, JWT: &JWTAuth{
		JWKSURL: iss.JWKSURL(), Issuer: iss.URL(), Audience: "https://jenkins.example.com",
		UsernameClaim: "user", ProtectedPaths: paths, Challenge: challenge,
	}}, plainJob)
}

func TestJWTAuth(t *testing.T) {
	t.Parallel()
	// issuers are the three a case's token may come from.
	type issuers struct{ iss, other, nameless *Issuer }
	const aud = "https://jenkins.example.com"
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }
	tests := []struct {
		name      string
		paths     []string
		challenge bool
		method    string
		path      string
		token     func(f *fixture, is issuers) string
		status    int
		as        string // X-You-Are-Authenticated-As of a 403, or "" for none
	}{
		{"valid on api", nil, false, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string { return is.iss.Mint(aud, time.Minute) }, 200, ""},
		{"expired", nil, false, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string {
			tok := is.iss.Mint(aud, time.Minute)
			time.Sleep(time.Minute)
			return tok
		}, 403, "anonymous"},
		{"wrong audience", nil, false, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string { return is.iss.Mint("other", time.Minute) }, 403, "anonymous"},
		{"wrong issuer", nil, false, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string { return is.other.Mint(aud, time.Minute) }, 403, "anonymous"},
		{"no username claim", nil, false, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string { return is.nameless.Mint(aud, time.Minute) }, 403, "anonymous"},
		{"forged signature", nil, false, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string {
			tok := is.iss.Mint(aud, time.Minute)
			return tok[:len(tok)-4] + "AAAA"
		}, 403, "anonymous"},
		{"expired, challenged", nil, true, "GET", "/job/plain/api/json", func(_ *fixture, is issuers) string {
			tok := is.iss.Mint(aud, time.Minute)
			time.Sleep(2 * time.Minute)
			return tok
		}, 401, ""},
		{"trigger outside the default path", nil, false, "POST", "/job/plain/build", func(_ *fixture, is issuers) string { return is.iss.Mint(aud, time.Minute) }, 403, ""},
		{"trigger on an added path", []string{"/**/api/**", "/**/build"}, false, "POST", "/job/plain/build", func(_ *fixture, is issuers) string { return is.iss.Mint(aud, time.Minute) }, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				n := &memnet.Network{}
				is := issuers{
					iss:      NewIssuer(IssuerOptions{Net: n, Claims: map[string]any{"user": "ci-bot"}}),
					other:    NewIssuer(IssuerOptions{Net: n, Claims: map[string]any{"user": "ci-bot"}}),
					nameless: NewIssuer(IssuerOptions{Net: n}),
				}
				for _, i := range []*Issuer{is.iss, is.other, is.nameless} {
					t.Cleanup(i.Close)
				}
				f := jwtFixture(t, n, is.iss, tt.paths, tt.challenge)
				r := f.do(call{method: tt.method, path: tt.path, anonymous: true, header: bearer(tt.token(f, is))})
				wantStatus(t, tt.name, r, tt.status)
				if tt.as != "" && r.header.Get("X-You-Are-Authenticated-As") != tt.as {
					t.Errorf("authenticated as %q, want %q", r.header.Get("X-You-Are-Authenticated-As"), tt.as)
				}
				if tt.status == 401 && (!strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer resource_metadata="http://localhost:8080/jenkins/.well-known/oauth-protected-resource/job/plain/api/json"`) ||
					!strings.Contains(r.body, `"invalid_token"`)) {
					t.Errorf("challenge %q: %s", r.header.Get("WWW-Authenticate"), r.body)
				}
			})
		})
	}
}

func TestIssuerMints(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{})
		iss := NewIssuer(IssuerOptions{Net: f.net, Lifetime: time.Minute})
		t.Cleanup(iss.Close)
		get := func(token string) (*http.Response, map[string]any) {
			req, _ := http.NewRequest(http.MethodGet, iss.RequestURL()+"&audience=https%3A%2F%2Fjenkins.example.com", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := f.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var v map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&v)
			return resp, v
		}
		if resp, _ := get("wrong"); resp.StatusCode != 401 || iss.Refused() != 1 {
			t.Errorf("a wrong request token: %d, %d refused", resp.StatusCode, iss.Refused())
		}
		resp, v := get(iss.RequestToken())
		token, _ := v["value"].(string)
		if resp.StatusCode != 200 || len(iss.Minted()) != 1 || iss.Minted()[0] != token {
			t.Fatalf("%d %v", resp.StatusCode, v)
		}
		var claims map[string]any
		if !decodeSegment(strings.Split(token, ".")[1], &claims) {
			t.Fatal("payload")
		}
		if claims["aud"] != "https://jenkins.example.com" || claims["exp"] != float64(epoch.Add(time.Minute).Unix()) || claims["iss"] != iss.URL() {
			t.Errorf("claims %v", claims)
		}
	})
}
