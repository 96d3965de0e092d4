package jenkinstest

import (
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, plainJob, JobSpec{FullName: "hidden", Visible: func(user string) bool { return user == "bob" }})
		r := f.do(call{path: "/api/json", header: map[string]string{"Authorization": "Basic YWxpY2U6d3Jvbmc="}}) // alice:wrong
		wantStatus(t, "wrong password", r, 401)
		if r.header.Get("WWW-Authenticate") != `Basic realm="Jenkins"` {
			t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
		}
		r = f.do(call{path: "/job/plain/api/json", anonymous: true})
		wantStatus(t, "anonymous", r, 403)
		for k, v := range map[string]string{
			"X-You-Are-Authenticated-As": "anonymous", "X-Required-Permission": "hudson.model.Hudson.Read", "X-Hudson": "1.395",
		} {
			if r.header.Get(k) != v {
				t.Errorf("%s: %q, want %q", k, r.header.Get(k), v)
			}
		}
		if !strings.Contains(r.body, "Authentication required") || r.header.Get("X-Jenkins-Session") == "" {
			t.Errorf("403 page %q", r.body)
		}
		wantStatus(t, "password", f.do(call{path: "/job/plain/api/json", password: true}), 200)
		wantStatus(t, "token", f.get("/job/plain/api/json"), 200)
		wantStatus(t, "invisible job", f.get("/job/hidden/api/json"), 404)
		if jobs := f.json("/api/json?tree=jobs[name]")["jobs"].([]any); len(jobs) != 1 {
			t.Errorf("jobs %v, want the hidden one left out", jobs)
		}
		anon := newFixture(t, Options{AnonymousRead: true}, plainJob)
		wantStatus(t, "anonymous read", anon.do(call{path: "/job/plain/api/json", anonymous: true}), 200)
	})
}

var cookieRE = regexp.MustCompile(`^JSESSIONID\.[0-9a-f]{8}$`)

// crumb fetches a crumb and reports it and the session cookie's name.
func (f *fixture) crumb(c call) (crumb, cookie string) {
	f.t.Helper()
	c.path = "/crumbIssuer/api/json"
	r := f.do(c)
	wantStatus(f.t, "crumbIssuer", r, 200)
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		cookie = ck.Name
	}
	m := regexp.MustCompile(`"crumb":"([0-9a-f]{64})","crumbRequestField":"Jenkins-Crumb"`).FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(r.body, `"_class":"hudson.security.csrf.DefaultCrumbIssuer"`) {
		f.t.Fatalf("crumb answer %s", r.body)
	}
	return m[1], cookie
}

func TestCrumbs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		build := call{method: http.MethodPost, path: plainPath + "build", password: true}
		with := func(c call, mod func(*call)) call { mod(&c); return c }

		f := newFixture(t, Options{}, JobSpec{FullName: "plain"})
		wantStatus(t, "password without crumb", f.do(build), 403)
		crumb, cookie := f.crumb(call{password: true})
		if !cookieRE.MatchString(cookie) {
			t.Errorf("session cookie %q", cookie)
		}
		if again, _ := f.crumb(call{password: true}); again != crumb {
			t.Error("the same session got another crumb")
		}
		wrong := "0" + crumb[1:]
		if wrong == crumb {
			wrong = "1" + crumb[1:]
		}
		r := f.do(with(build, func(c *call) { c.header = map[string]string{"Jenkins-Crumb": wrong} }))
		wantStatus(t, "wrong crumb", r, 403)
		if !strings.Contains(r.body, "No valid crumb was included in the request") {
			t.Errorf("body %q", r.body)
		}
		wantStatus(t, "crumb header", f.do(with(build, func(c *call) { c.header = map[string]string{"Jenkins-Crumb": crumb} })), 201)
		wantStatus(t, "crumb form field", f.do(with(build, func(c *call) { c.form = url.Values{"Jenkins-Crumb": {crumb}} })), 201)
		multi := func(c *call) {
			c.path = paramPath + "buildWithParameters"
			c.multipart = func(w *multipart.Writer) { _ = w.WriteField("Jenkins-Crumb", crumb) }
		}
		f.srv.AddJob(paramJob)
		wantStatus(t, "crumb in a multipart field", f.do(with(build, multi)), 403)
		wantStatus(t, "multipart with the header", f.do(with(build, func(c *call) {
			multi(c)
			c.header = map[string]string{"Jenkins-Crumb": crumb}
		})), 201)
		wantStatus(t, "API token, no crumb", f.do(call{method: http.MethodPost, path: plainPath + "build"}), 201)
		wantStatus(t, "API token, wrong crumb", f.do(call{method: http.MethodPost, path: plainPath + "build", header: map[string]string{"Jenkins-Crumb": "nope"}}), 201)
		wantStatus(t, "GET needs no crumb", f.do(call{path: "/job/plain/api/json", password: true}), 200)

		// The crumb is bound to the session: without the cookie it is useless.
		other := newFixture(t, Options{}, JobSpec{FullName: "plain"})
		c2, _ := other.crumb(call{password: true})
		other.client.Jar = nil
		wantStatus(t, "crumb without its session", other.do(with(build, func(c *call) { c.header = map[string]string{"Jenkins-Crumb": c2} })), 403)

		off := newFixture(t, Options{DisableCSRF: true}, JobSpec{FullName: "plain"})
		wantStatus(t, "crumbIssuer off", off.do(call{path: "/crumbIssuer/api/json", password: true}), 404)
		wantStatus(t, "CSRF off", off.do(build), 201)
	})
}

func TestLegacyCrumbXPath(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{})
		r := f.get(`/crumbIssuer/api/xml?xpath=concat(//crumbRequestField,":",//crumb)`)
		wantStatus(t, "xpath", r, 200)
		if !regexp.MustCompile(`^Jenkins-Crumb:[0-9a-f]{64}$`).MatchString(r.body) {
			t.Errorf("body %q", r.body)
		}
	})
}
