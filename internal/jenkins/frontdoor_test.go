package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

const (
	fakeUser     = "alice"
	fakeToken    = "11be0c4a1f0d2e3b4c5d6e7f8091a2b3c4"
	fakePassword = "correct horse"
)

// doorHeaders are what a Cloudflare Access front door wants.
var doorHeaders = map[string]string{"CF-Access-Client-Id": "42.access", "CF-Access-Client-Secret": "door-s3cret-value"}

// fake serves a fake Jenkins, under a context path, on an in-memory network,
// and returns a client for it as user alice with secret (a token or the
// password) and the given front-door headers.
func fake(t *testing.T, opts jenkinstest.Options, secret string, headers map[string]string, jobs ...jenkinstest.JobSpec) (*Client, *jenkinstest.Server) {
	t.Helper()
	opts.Net, opts.ContextPath = &memnet.Network{}, "/jenkins"
	opts.Users = map[string]jenkinstest.User{fakeUser: {APIToken: fakeToken, Password: fakePassword}}
	srv := jenkinstest.New(opts)
	t.Cleanup(srv.Close)
	for _, j := range jobs {
		srv.AddJob(j)
	}
	base, _ := url.Parse(srv.URL())
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	transport := opts.Net.Transport()
	t.Cleanup(transport.CloseIdleConnections)
	c := New(base, &http.Client{Transport: transport}, Options{User: fakeUser, Token: secret, Headers: h, RetryBudget: time.Second})
	return c, srv
}

// TestHeadersReachJenkinsOnly: through a front door that wants its
// headers, a token and a password (with its crumb and session) both get
// to trigger, and an artifact's download redirected to an object store
// brings none of the door's headers, and nothing of Jenkins', there.
func TestHeadersReachJenkinsOnly(t *testing.T) {
	t.Parallel()
	job := jenkinstest.JobSpec{FullName: "team/app", Script: func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{Duration: time.Second, Result: "SUCCESS", Artifacts: []jenkinstest.Artifact{{RelativePath: "dist/app.bin", Size: 1 << 20}}}
	}}
	for _, secret := range []string{fakeToken, fakePassword} {
		t.Run(map[string]string{fakeToken: "token", fakePassword: "password"}[secret], func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				opts := jenkinstest.Options{
					FrontDoor:        &jenkinstest.FrontDoor{Headers: doorHeaders, Refusal: jenkinstest.RefuseCloudflareForbidden},
					ArtifactRedirect: jenkinstest.ArtifactRedirectObjectStore,
				}
				c, srv := fake(t, opts, secret, doorHeaders, job)
				app, _ := ParseJob(c.base, "team/app")
				ctx := context.Background()
				if _, err := c.JobInfo(ctx, app); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Trigger(ctx, app, TriggerRequest{}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute)
				var f memFile
				if n, err := c.DownloadArtifact(ctx, app, 1, "dist/app.bin", 0, &f); err != nil || n != 1<<20 {
					t.Fatalf("download: %d bytes, %v", n, err)
				}
				for _, r := range srv.Requests() {
					if r.FrontDoor {
						t.Errorf("the front door refused %s %s", r.Method, r.Path)
					}
				}
				foreign := srv.ArtifactOriginRequests()
				if len(foreign) == 0 {
					t.Fatal("the download never reached the object store")
				}
				for _, d := range foreign {
					for name := range d.Header {
						if _, door := doorHeaders[name]; door || name == "Authorization" || name == "Cookie" || name == "Jenkins-Crumb" {
							t.Errorf("the object store got %s", name)
						}
					}
				}
			})
		})
	}
}

// TestFrontDoorRefusals: whatever way a front door turns a request away,
// the client says it was not Jenkins that answered, and never to check
// the user and token; a refused trigger queued nothing and is no lost
// answer.
func TestFrontDoorRefusals(t *testing.T) {
	t.Parallel()
	for _, refusal := range []jenkinstest.Refusal{jenkinstest.RefuseIAP, jenkinstest.RefuseCloudflareLogin, jenkinstest.RefuseCloudflareForbidden, jenkinstest.RefuseWAFLoginPage} {
		t.Run(refusal.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				door := &jenkinstest.FrontDoor{Headers: doorHeaders, Refusal: refusal}
				c, srv := fake(t, jenkinstest.Options{FrontDoor: door}, fakeToken, nil, jenkinstest.JobSpec{FullName: "app"})
				app, _ := ParseJob(c.base, "app")
				_, readErr := c.JobInfo(context.Background(), app)
				_, triggerErr := c.Trigger(context.Background(), app, TriggerRequest{})
				for _, err := range []error{readErr, triggerErr} {
					var fd *FrontDoorError
					var lost *AnswerLostError
					if !errors.As(err, &fd) || errors.As(err, &lost) || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) {
						t.Fatalf("err = %#v (%v), want a *FrontDoorError and nothing else", err, err)
					}
					if msg := err.Error(); !strings.Contains(msg, "came from something in front of Jenkins, not from Jenkins") ||
						!strings.Contains(msg, "headers input") || strings.Contains(msg, "user and token") || strings.Contains(msg, "\n") {
						t.Errorf("message: %s", msg)
					}
				}
				if builds := srv.Builds("app"); len(builds) != 0 {
					t.Errorf("%d builds behind a closed door", len(builds))
				}
			})
		})
	}
}

// TestJenkinsOwnRefusals: Jenkins' own 401 and 403 carry its marks, and
// stay Jenkins' errors.
func TestJenkinsOwnRefusals(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := fake(t, jenkinstest.Options{}, "wrong-token-value", nil, jenkinstest.JobSpec{FullName: "app"})
		app, _ := ParseJob(c.base, "app")
		if _, err := c.JobInfo(context.Background(), app); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("bad token: %v, want Jenkins' 401", err)
		}
		anon := New(c.base, c.http, Options{})
		if _, err := anon.JobInfo(context.Background(), app); !errors.Is(err, ErrForbidden) {
			t.Errorf("anonymous: %v, want Jenkins' 403", err)
		}
	})
}

func TestFromJenkins(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   bool
	}{
		{"api answer", 200, map[string]string{"X-Jenkins": "2.528.1"}, "", true},
		{"authentication required", 403, map[string]string{"X-Jenkins": "2.528.1", "X-Hudson": "1.395"}, "Authentication required", true},
		{"missing permission", 403, map[string]string{"X-You-Are-Authenticated-As": "alice"}, "", true},
		{"bad basic credentials", 401, map[string]string{"WWW-Authenticate": `Basic realm="Jenkins"`}, "HTTP ERROR 401 Unauthorized", true},
		{"crumb", 403, nil, "HTTP ERROR 403 No valid crumb was included in the request", true},
		{"wrong build token", 403, nil, "Invalid token provided", true},
		{"IAP", 401, map[string]string{"X-Goog-IAP-Generated-Response": "true"}, "Invalid IAP credentials: empty token", false},
		{"another realm", 401, map[string]string{"WWW-Authenticate": `Basic realm="corp-sso"`}, "", false},
		{"jwt-auth-filter's challenge", 401, map[string]string{"WWW-Authenticate": `Bearer resource_metadata="https://ci.example.com/.well-known/oauth-protected-resource/job/a/api/json", error="invalid_token"`}, `{"error":"invalid_token"}`, true},
		{"another bearer challenge", 401, map[string]string{"WWW-Authenticate": `Bearer realm="iap"`}, "", false},
		{"Cloudflare", 403, map[string]string{"Server": "cloudflare"}, "Forbidden", false},
		{"login page", 200, nil, "<form>", false},
	} {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		if got := fromJenkins(&http.Response{StatusCode: tt.status, Header: h}, []byte(tt.body)); got != tt.want {
			t.Errorf("%s: fromJenkins = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNoSuchJob(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var jobs []jenkinstest.JobSpec
		for _, name := range []string{"team/deploy-eu", "team/deploy-us", "team/build", "a", "b", "c", "d", "e", "f", "g"} {
			jobs = append(jobs, jenkinstest.JobSpec{FullName: name})
		}
		c, srv := fake(t, jenkinstest.Options{}, fakeToken, nil, jobs...)
		for _, tt := range []struct {
			job, want string
		}{
			{"team/deploy-ue", "no job team/deploy-ue, or this user may not see it (did you mean deploy-eu, deploy-us?)"},
			{"team/zzz", "no job team/zzz, or this user may not see it; folder team has deploy-eu, deploy-us, build"},
			{"zzz", "no job zzz, or this user may not see it; Jenkins' top level has team, a, b, c, d and 3 more"},
			{"nope/x", "no job nope/x, or this user may not see it; folder nope does not exist either"},
			{"a,b", "no job a,b, or this user may not see it (did you mean a, b?); to trigger several jobs, put one job a line"},
		} {
			job, _ := ParseJob(c.base, tt.job)
			_, err := c.JobInfo(context.Background(), job)
			var missing *NoSuchJobError
			if !errors.As(err, &missing) || err.Error() != tt.want || !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: %v, want %q", tt.job, err, tt.want)
			}
		}
		// Without a user, a 404 may only hide the job from anonymous callers:
		// no folder is read.
		before := len(srv.Requests())
		anon := New(c.base, c.http, Options{})
		job, _ := ParseJob(c.base, "team/deploy-ue")
		if _, err := anon.JobInfo(context.Background(), job); err == nil || errors.As(err, new(*NoSuchJobError)) {
			t.Errorf("anonymous: %v", err)
		}
		if n := len(srv.Requests()) - before; n != 1 {
			t.Errorf("%d requests for an anonymous 404, want 1", n)
		}
	})
}

// TestNoSuchJobFolderUnread: when the folder's names cannot be read, the
// 404 stands alone, with no claim about what the folder holds.
func TestNoSuchJobFolderUnread(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Jenkins", "2.528")
			if strings.Contains(r.URL.Path, "/job/") {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("X-You-Are-Authenticated-As", hostileUser)
			http.Error(w, "alice is missing the Overall/Read permission", http.StatusForbidden)
		})
		_, err := c.JobInfo(context.Background(), testJob)
		if want := "no job " + testJob.Name + ", or this user may not see it"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

func TestJobFolder(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ path, name, folderPath, folderName string }{
		{"/job/app/", "app", "/", ""},
		{"/job/team/job/app/", "team/app", "/job/team/", "team"},
		{"/job/a/job/b/job/feature%252Flogin/", "a/b/feature%2Flogin", "/job/a/job/b/", "a/b"},
	} {
		if got := (Job{Path: tt.path, Name: tt.name}).Folder(); got != (Job{Path: tt.folderPath, Name: tt.folderName}) {
			t.Errorf("Folder of %s = %+v", tt.name, got)
		}
	}
}

// TestQueueListing reads the whole queue once, with the Date it came with:
// where each item stands, or what each will build.
func TestQueueListing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		slow := func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{QuietPeriod: time.Minute, Duration: time.Second}
		}
		c, _ := fake(t, jenkinstest.Options{}, fakeToken, nil,
			jenkinstest.JobSpec{FullName: "a", Script: slow}, jenkinstest.JobSpec{FullName: "b", Params: []jenkinstest.ParamDef{{Name: "V", Type: "string"}}, Script: slow})
		a, _ := ParseJob(c.base, "a")
		b, _ := ParseJob(c.base, "b")
		ctx := context.Background()
		if _, err := c.Trigger(ctx, a, TriggerRequest{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Trigger(ctx, b, TriggerRequest{Params: []build.Param{{Name: "V", Value: "1"}}}); err != nil {
			t.Fatal(err)
		}
		q, err := c.Queue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Items) != 2 || q.Items[0].Why == nil || q.Items[0].Timestamp != time.Now().Add(time.Minute).UnixMilli() ||
			!q.Date.Date.Equal(time.Now().Truncate(time.Second)) || q.Items[0].Task.URL != "" {
			t.Errorf("queue = %+v", q)
		}
		tasks, err := c.QueueTasks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks.Items) != 2 || tasks.Items[1].Params != "\nV=1" || !strings.HasSuffix(tasks.Items[0].Task.URL, "/job/a/") || tasks.Items[0].InQueueSince != time.Now().UnixMilli() {
			t.Errorf("tasks = %+v", tasks)
		}
	})
}

// TestHeaderValuesScrubbed: a page that echoes the request back, as some
// proxies' error pages do, shows none of the headers' values in the error,
// in whatever form it writes them.
func TestHeaderValuesScrubbed(t *testing.T) {
	t.Parallel()
	const odd = `sk_live_"4f9a<2b>&7c/x`
	for _, tt := range []struct {
		name string
		echo func(string) string
	}{
		{"raw", func(v string) string { return v }},
		{"HTML, as Go escapes it (&#34;)", html.EscapeString},
		{"HTML, named entities", strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace},
		{"JSON", func(v string) string { b, _ := json.Marshal(v); return string(b) }},
		{"JSON with \\/", func(v string) string { b, _ := json.Marshal(v); return strings.ReplaceAll(string(b), "/", `\/`) }},
		{"percent-encoded", url.QueryEscape},
		{"percent-encoded path", url.PathEscape},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				echoAll := func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusBadGateway)
					for _, k := range slices.Sorted(maps.Keys(r.Header)) {
						io.WriteString(w, k+": "+tt.echo(strings.Join(r.Header[k], ","))+"<br>")
					}
				}
				c, _ := hostile(t, echoAll)
				c.opts.Headers = http.Header{"Proxy-Authorization": {"Bearer eyJhbGciOiJSUzI1NiJ9.iap.token"}, "X-Waf-Key": {odd}}
				c.opts.Secrets = []string{"Bearer eyJhbGciOiJSUzI1NiJ9.iap.token", "eyJhbGciOiJSUzI1NiJ9.iap.token", odd}
				c.secrets = secretForms(c.opts)
				_, err := c.JobInfo(context.Background(), testJob)
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), "X-Waf-Key: ***") && !strings.Contains(err.Error(), `X-Waf-Key: "***"`) {
					t.Errorf("the error does not show the echo, masked: %v", err)
				}
				for _, secret := range []string{"eyJhbGciOiJSUzI1NiJ9.iap.token", "sk_live", "4f9a"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error shows %q: %v", secret, err)
					}
				}
			})
		})
	}
}

// TestTriggerRedirectsOfJenkins: Jenkins builds a trigger's Location from
// the request it received, so behind a proxy that ends TLS it names the
// same host over another scheme or port. That is still Jenkins' answer,
// the queue item it names is the build's; only a Location on another
// host, or out of the context path, is a front door's.
func TestTriggerRedirectsOfJenkins(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, location string
		status         int
		door           bool
	}{
		{"coalesced, over https", "https://{host}/jenkins/queue/item/7/", http.StatusSeeOther, false},
		{"coalesced, on another port", "http://{host}:8443/jenkins/queue/item/7/", http.StatusSeeOther, false},
		{"created, relative", "/jenkins/queue/item/7/", http.StatusCreated, false},
		{"a login on another host", "https://door.example.com/login", http.StatusFound, true},
		{"a login out of the context path", "/cdn-cgi/access/login", http.StatusFound, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Location", strings.ReplaceAll(tt.location, "{host}", strings.Split(r.Host, ":")[0]))
					w.WriteHeader(tt.status)
				})
				id, err := c.Trigger(context.Background(), testJob, TriggerRequest{Parameterized: true})
				var fd *FrontDoorError
				if got := errors.As(err, &fd); got != tt.door {
					t.Fatalf("id %d, err = %v; a front door's: %v, want %v", id, err, got, tt.door)
				}
				if !tt.door && id != 7 {
					t.Errorf("id %d, want 7", id)
				}
			})
		})
	}
}

// TestStopThroughClosedDoor: a stop or a cancel that a front door turns
// away with a redirect to its login is not taken for done.
func TestStopThroughClosedDoor(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		door := &jenkinstest.FrontDoor{Headers: doorHeaders, Refusal: jenkinstest.RefuseCloudflareLogin}
		c, _ := fake(t, jenkinstest.Options{FrontDoor: door}, fakeToken, nil, jenkinstest.JobSpec{FullName: "app"})
		app, _ := ParseJob(c.base, "app")
		for name, err := range map[string]error{
			"stop":   c.StopBuild(context.Background(), app, 1),
			"cancel": c.CancelQueueItem(context.Background(), 1),
		} {
			var fd *FrontDoorError
			if !errors.As(err, &fd) {
				t.Errorf("%s: err = %v, want a *FrontDoorError", name, err)
			}
		}
	})
}

// fixedToken is a TokenSource of one token.
type fixedToken string

func (f fixedToken) Token(context.Context) (string, error) { return string(f), nil }
func (f fixedToken) Renew(_ context.Context, stale string) (string, bool, error) {
	return stale, false, nil
}

// TestOIDCHeader: the OIDC token goes as a bearer in the credential
// headers and bare in any other, to a front door that wants it there.
func TestOIDCHeader(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
	for _, tt := range []struct{ header, want string }{
		{"Proxy-Authorization", "Bearer " + token},
		{"X-Jwt-Assertion", token},
	} {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				door := map[string]string{tt.header: tt.want}
				c, srv := fake(t, jenkinstest.Options{FrontDoor: &jenkinstest.FrontDoor{Headers: door}}, fakeToken, nil, jenkinstest.JobSpec{FullName: "app"})
				c.opts.OIDC, c.opts.OIDCHeader = fixedToken(token), tt.header
				app, _ := ParseJob(c.base, "app")
				if _, err := c.JobInfo(context.Background(), app); err != nil {
					t.Fatal(err)
				}
				if len(srv.Requests()) == 0 || srv.Requests()[0].FrontDoor {
					t.Errorf("the front door refused the token")
				}
				if got := c.scrub("echo: " + token); strings.Contains(got, token) {
					t.Errorf("the token sent is not scrubbed: %s", got)
				}
			})
		})
	}
}
