package jenkinstest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// cfDoor wants a Cloudflare Access service token, which cfHeaders send
// with keys in other cases; iapDoor wants an IAP token in
// Proxy-Authorization, where a client whose Authorization is Jenkins' puts it.
var (
	cfDoor    = map[string]string{"CF-Access-Client-Id": "42.access", "cf-access-client-secret": "s3cret"}
	cfHeaders = map[string]string{"Cf-Access-Client-Id": "42.access", "CF-ACCESS-CLIENT-SECRET": "s3cret"}
	iapDoor   = map[string]string{"Proxy-Authorization": "Bearer iap.id.token"}
)

// withHeaders is a transport that adds headers to every request, as a
// client configured with a front door's headers does.
type withHeaders struct {
	base http.RoundTripper
	h    map[string]string
}

func (w withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range w.h {
		r.Header.Set(k, v)
	}
	return w.base.RoundTrip(r)
}

// throughDoor makes f's client send the headers on every request.
func (f *fixture) throughDoor(h map[string]string) {
	f.client.Transport = withHeaders{base: f.client.Transport, h: h}
}

var cfRay = regexp.MustCompile(`^[0-9a-f]{16}-[A-Z]{3}$`)

func TestFrontDoorRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		refusal     Refusal
		status      int
		contentType string
		header      map[string]string
		body        string
	}{
		{RefuseIAP, 401, "text/html; charset=UTF-8", map[string]string{"X-Goog-IAP-Generated-Response": "true", "Via": "1.1 google"}, "Invalid IAP credentials: empty token"},
		{RefuseCloudflareLogin, 302, "", map[string]string{"Server": "cloudflare"}, ""},
		{RefuseCloudflareForbidden, 403, "text/html; charset=UTF-8", map[string]string{"Server": "cloudflare", "Expires": "Thu, 01 Jan 1970 00:00:01 GMT"}, "You don't have permission to view this."},
		{RefuseWAFLoginPage, 200, "text/html; charset=utf-8", map[string]string{"Cache-Control": "no-store"}, `<form method="post" action="https://sso.example.com/login`},
	} {
		t.Run(tt.refusal.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{FrontDoor: &FrontDoor{Headers: cfDoor, Refusal: tt.refusal}}, plainJob, tokenJob, artifactJob)
				calls := []call{
					{path: "/api/json"},
					{method: http.MethodPost, path: plainPath + "build"},
					{path: "/crumbIssuer/api/json", password: true},
					{path: "/buildByToken/build?job=tokened&token=let-me-in", anonymous: true},
					{path: "/job/folder/job/app/1/artifact/report.txt"},
					{method: http.MethodPost, path: "/job/folder/job/app/1/input/Ok/proceedEmpty", header: map[string]string{"CF-Access-Client-Id": "42.access"}},
				}
				for _, c := range calls {
					r := f.do(c)
					what := c.method + " " + c.path
					wantStatus(t, what, r, tt.status)
					if got := r.header.Get("Content-Type"); got != tt.contentType {
						t.Errorf("%s: Content-Type %q, want %q", what, got, tt.contentType)
					}
					for k, v := range tt.header {
						if r.header.Get(k) != v {
							t.Errorf("%s: %s %q, want %q", what, k, r.header.Get(k), v)
						}
					}
					for _, k := range []string{"X-Jenkins", "X-Jenkins-Session", "X-Hudson", "WWW-Authenticate", "Set-Cookie"} {
						if v := r.header.Get(k); v != "" {
							t.Errorf("%s: the door's answer has %s: %q", what, k, v)
						}
					}
					if tt.header["Server"] == "cloudflare" && !cfRay.MatchString(r.header.Get("CF-RAY")) {
						t.Errorf("%s: CF-RAY %q", what, r.header.Get("CF-RAY"))
					}
					if !strings.Contains(r.body, tt.body) {
						t.Errorf("%s: body %q, want %q in it", what, r.body, tt.body)
					}
					if tt.refusal == RefuseCloudflareLogin {
						checkAccessLogin(t, f, r.header.Get("Location"), c.path)
					}
				}
				for _, rec := range f.srv.Requests() {
					if !rec.FrontDoor || rec.Status != tt.status {
						t.Errorf("record %+v, want a door refusal with %d", rec, tt.status)
					}
				}
				if n := len(f.srv.Requests()); n != len(calls) {
					t.Errorf("%d records, want %d", n, len(calls))
				}
				time.Sleep(time.Minute)
				if b := f.srv.Builds("plain"); len(b) != 0 {
					t.Errorf("a refused trigger built %+v", b)
				}
				f.throughDoor(cfHeaders)
				if loc := f.post(plainPath + "build").header.Get("Location"); !strings.HasSuffix(loc, "/queue/item/1/") {
					t.Errorf("first trigger through the door: Location %q, want queue item 1", loc)
				}
			})
		})
	}
}

// checkAccessLogin checks a Cloudflare Access login redirect for a request
// to path.
func checkAccessLogin(t *testing.T, f *fixture, location, path string) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	jenkins, _ := url.Parse(f.srv.URL())
	q := u.Query()
	if u.Scheme != "https" || u.Host != cfTeam+".cloudflareaccess.com" || u.Path != "/cdn-cgi/access/login/"+jenkins.Hostname() ||
		!regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("kid")) || q.Get("redirect_url") != "/jenkins"+path {
		t.Errorf("Location %s for %s", location, path)
	}
}

func TestFrontDoorIAPWrongToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{FrontDoor: &FrontDoor{Headers: iapDoor}})
		r := f.do(call{path: "/api/json", header: map[string]string{"Proxy-Authorization": "Bearer stale"}})
		wantStatus(t, "stale token", r, 401)
		if r.body != "Invalid IAP credentials: Unable to parse JWT" {
			t.Errorf("body %q", r.body)
		}
	})
}

// TestFrontDoorComesFirst: the door answers before injected faults (which
// it does not even consult), a restart and Jenkins' own authentication.
func TestFrontDoorComesFirst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var consulted atomic.Int32
		f := newFixture(t, Options{FrontDoor: &FrontDoor{Headers: iapDoor, Refusal: RefuseIAP}, Fault: func(r *http.Request) Fault {
			consulted.Add(1)
			if r.URL.Query().Has("fail") {
				return Fault502
			}
			return FaultNone
		}})
		badCreds := map[string]string{"Authorization": "Basic YWxpY2U6d3Jvbmc="} // alice:wrong
		wantStatus(t, "fault, no door header", f.get("/api/json?fail"), 401)
		wantStatus(t, "wrong credentials, no door header", f.do(call{path: "/api/json", header: badCreds}), 401)
		if n := consulted.Load(); n != 0 {
			t.Errorf("Fault consulted %d times for refused requests", n)
		}
		f.srv.Restart(time.Minute)
		r := f.get("/api/json")
		if r.status != 401 || r.header.Get("X-Goog-IAP-Generated-Response") != "true" {
			t.Errorf("restarting, no door header: %d %v", r.status, r.header)
		}

		f.throughDoor(iapDoor)
		wantStatus(t, "restarting, through the door", f.get("/api/json"), 503)
		time.Sleep(time.Minute)
		wantStatus(t, "fault, through the door", f.get("/api/json?fail"), 502)
		r = f.do(call{path: "/api/json", header: badCreds})
		wantStatus(t, "wrong credentials, through the door", r, 401)
		if r.header.Get("WWW-Authenticate") != `Basic realm="Jenkins"` {
			t.Errorf("Jenkins' 401 without its challenge: %v", r.header)
		}
	})
}

func TestFrontDoorPasses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		door    map[string]string
		headers map[string]string
	}{
		{"cloudflare service token", cfDoor, cfHeaders},
		{"IAP Proxy-Authorization", iapDoor, iapDoor},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{FrontDoor: &FrontDoor{Headers: tt.door, Refusal: RefuseWAFLoginPage}}, plainJob, paramJob)
				f.throughDoor(tt.headers)
				r := f.get("/api/json?tree=url")
				if r.status != 200 || r.header.Get("X-Jenkins") == "" || !strings.Contains(r.body, `"url":`) {
					t.Fatalf("API token: %d %v %s", r.status, r.header, r.body)
				}
				r = f.post(plainPath + "build")
				if r.status != 201 || !strings.HasSuffix(r.header.Get("Location"), "/queue/item/1/") {
					t.Errorf("API token trigger: %d %s", r.status, r.header.Get("Location"))
				}
				wantStatus(t, "password without crumb", f.do(call{method: http.MethodPost, path: paramPath + "buildWithParameters", password: true}), 403)
				crumb, _ := f.crumb(call{password: true})
				r = f.do(call{method: http.MethodPost, path: paramPath + "buildWithParameters?BRANCH=x", password: true, header: map[string]string{"Jenkins-Crumb": crumb}})
				if r.status != 201 || !strings.HasSuffix(r.header.Get("Location"), "/queue/item/2/") {
					t.Errorf("password, crumb and session: %d %s", r.status, r.header.Get("Location"))
				}
				for _, rec := range f.srv.Requests() {
					if rec.FrontDoor {
						t.Errorf("refused %+v", rec)
					}
				}
			})
		})
	}
}

// TestFrontDoorConsumesItsHeaders reads what Jenkins got from the record of
// an artifact download it served. The client sends both doors' headers:
// the door's own are gone, the others and Jenkins' credentials are not.
func TestFrontDoorConsumesItsHeaders(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		door, other map[string]string
	}{
		{"cloudflare", cfDoor, iapDoor},
		{"iap", iapDoor, cfHeaders},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{FrontDoor: &FrontDoor{Headers: tt.door}}, artifactJob)
				f.throughDoor(cfHeaders)
				f.throughDoor(iapDoor)
				f.post("/job/folder/job/app/build")
				time.Sleep(10 * time.Second)
				wantStatus(t, "download", f.get(artifactBuild+"artifact/report.txt"), 200)
				d := f.srv.ArtifactDownloads("folder/app", 1, "report.txt")
				if len(d) != 1 || d[0].Origin != "jenkins" || !d[0].Authorization {
					t.Fatalf("downloads %+v", d)
				}
				for k := range tt.door {
					if v := d[0].Header.Values(k); len(v) != 0 {
						t.Errorf("Jenkins got the door's %s: %q", k, v)
					}
				}
				for k, v := range tt.other {
					if got := d[0].Header.Get(k); got != v {
						t.Errorf("Jenkins got %s %q, want %q", k, got, v)
					}
				}
				if !strings.HasPrefix(d[0].Header.Get("Authorization"), "Basic ") {
					t.Errorf("Jenkins' credentials lost: %v", d[0].Header)
				}
			})
		})
	}
}

// TestFrontDoorSparesOtherOrigins: the object store and the resource domain
// are other origins, which the door does not guard; what reaches them is
// recorded, so a client that leaks the door's headers (as Go's redirect
// policy does with any header but Authorization and Cookie) is caught.
func TestFrontDoorSparesOtherOrigins(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ArtifactRedirectObjectStore, ArtifactRedirectResourceDomain} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{ArtifactRedirect: mode, FrontDoor: &FrontDoor{Headers: cfDoor, Refusal: RefuseCloudflareForbidden}}, artifactJob)
				bare := f.client.Transport
				f.throughDoor(cfHeaders)
				f.post("/job/folder/job/app/build")
				time.Sleep(10 * time.Second)
				r := f.get(artifactBuild + "artifact/report.txt")
				wantStatus(t, "Jenkins", r, 302)
				loc := r.header.Get("Location")
				f.client.Transport = bare
				wantStatus(t, "Jenkins without the door's headers", f.get(artifactBuild+"artifact/report.txt"), 403)
				if got := follow(t, f, http.MethodGet, loc, false, nil); got.status != 200 || got.body != "all tests passed\n" {
					t.Errorf("other origin without the door's headers: %d %q", got.status, got.body)
				}
				wantStatus(t, "other origin with them", follow(t, f, http.MethodGet, loc, false, cfHeaders), 200)
				if mode == ArtifactRedirectObjectStore {
					wantStatus(t, "unknown key", follow(t, f, http.MethodGet, strings.Replace(loc, "report.txt", "nope.txt", 1), false, nil), 403)
				}

				foreign := f.srv.ArtifactOriginRequests()
				want := map[string]int{ArtifactRedirectObjectStore: 3, ArtifactRedirectResourceDomain: 2}[mode]
				if len(foreign) != want {
					t.Fatalf("%d requests on the other origin, want %d: %+v", len(foreign), want, foreign)
				}
				for i, d := range foreign {
					leaked := d.Header.Get("Cf-Access-Client-Secret") != ""
					if d.Origin != mode || leaked != (i == 1) || d.Authorization || d.Cookie || d.Header.Get("Authorization") != "" {
						t.Errorf("request %d on the other origin: %+v", i, d)
					}
				}
				files := f.srv.ArtifactDownloads("folder/app", 1, "report.txt")
				if len(files) != 3 || files[0].Origin != "jenkins" || files[0].Header.Get("Cf-Access-Client-Id") != "" ||
					files[1].Header.Get("Cf-Access-Client-Id") != "" || files[2].Header.Get("Cf-Access-Client-Id") != "42.access" {
					t.Errorf("file downloads %+v", files)
				}
			})
		})
	}
}

// TestGoRedirectLeaksDoorHeaders shows the trap: a client that puts the
// door's headers on its request and lets Go follow the redirect hands them
// to the object store, though Go drops Authorization on the way.
func TestGoRedirectLeaksDoorHeaders(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{ArtifactRedirect: ArtifactRedirectObjectStore, FrontDoor: &FrontDoor{Headers: cfDoor}}, artifactJob)
		f.throughDoor(cfHeaders)
		f.post("/job/folder/job/app/build")
		time.Sleep(10 * time.Second)
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL()+artifactBuild+"artifact/report.txt", nil)
		req.SetBasicAuth("alice", aliceToken)
		for k, v := range cfHeaders {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{Transport: f.net.Transport()}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		foreign := f.srv.ArtifactOriginRequests()
		if resp.StatusCode != 200 || len(foreign) != 1 {
			t.Fatalf("%d, %d requests on the object store", resp.StatusCode, len(foreign))
		}
		if h := foreign[0].Header; h.Get("Cf-Access-Client-Secret") != "s3cret" || h.Get("Authorization") != "" {
			t.Errorf("the object store got %v", h)
		}
	})
}
