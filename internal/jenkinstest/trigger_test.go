package jenkinstest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// quiet gives items a Jenkins-like quiet period so that triggers coalesce.
var quiet = fixed(Script{QuietPeriod: 5 * time.Second, Duration: 10 * time.Second, Result: "SUCCESS"})

var (
	plainJob = JobSpec{FullName: "plain", Script: quiet}
	paramJob = JobSpec{FullName: "folder/param", Script: quiet, Params: []ParamDef{
		{Name: "BRANCH", Type: "string", Default: "main"},
		{Name: "TARGET", Type: "choice", Choices: []string{"staging", "prod"}},
		{Name: "DRY", Type: "boolean", Default: "true"},
		{Name: "NOTES", Type: "text"},
		{Name: "SECRET", Type: "password", Default: "s3"},
		{Name: "BUNDLE", Type: "file"},
		{Name: "B64", Type: "base64File"},
	}}
	disabledJob = JobSpec{FullName: "off", Disabled: true}
	tokenJob    = JobSpec{FullName: "tokened", BuildToken: "let-me-in", Script: quiet}
)

const (
	paramPath = "/job/folder/job/param/"
	plainPath = "/job/plain/"
)

func TestTriggerMatrix(t *testing.T) {
	t.Parallel()
	jsonForm := url.Values{"json": {`{"parameter":[{"name":"BRANCH","value":"dev"}]}`}}
	for _, tt := range []struct {
		name     string
		opts     Options
		calls    []call
		statuses []int
		location []string // "queue:N", "job:PATH", "" for none; checked when set
	}{
		{name: "build creates", calls: []call{{method: "POST", path: plainPath + "build"}}, statuses: []int{201}, location: []string{"queue:1"}},
		{name: "build coalesces with 201", calls: []call{{method: "POST", path: plainPath + "build"}, {method: "POST", path: plainPath + "build"}},
			statuses: []int{201, 201}, location: []string{"queue:1", "queue:1"}},
		{name: "buildWithParameters coalesces with 303",
			calls:    []call{{method: "POST", path: paramPath + "buildWithParameters?BRANCH=x"}, {method: "POST", path: paramPath + "buildWithParameters?BRANCH=x"}},
			statuses: []int{201, 303}, location: []string{"queue:1", "queue:1"}},
		{name: "legacy coalesces with 201", opts: Options{Legacy: true},
			calls:    []call{{method: "POST", path: paramPath + "buildWithParameters?BRANCH=x"}, {method: "POST", path: paramPath + "buildWithParameters?BRANCH=x"}},
			statuses: []int{201, 201}, location: []string{"queue:1", "queue:1"}},
		{name: "different parameters do not coalesce",
			calls:    []call{{method: "POST", path: paramPath + "buildWithParameters?BRANCH=x"}, {method: "POST", path: paramPath + "buildWithParameters?BRANCH=y"}},
			statuses: []int{201, 201}, location: []string{"queue:1", "queue:2"}},
		{name: "disabled build", calls: []call{{method: "POST", path: "/job/off/build"}}, statuses: []int{409}},
		{name: "disabled buildWithParameters", calls: []call{{method: "POST", path: "/job/off/buildWithParameters"}}, statuses: []int{409}},
		{name: "not parameterized", calls: []call{{method: "POST", path: plainPath + "buildWithParameters"}}, statuses: []int{400}},
		{name: "not parameterized, legacy", opts: Options{Legacy: true}, calls: []call{{method: "POST", path: plainPath + "buildWithParameters"}}, statuses: []int{500}},
		{name: "GET build", calls: []call{{path: plainPath + "build"}}, statuses: []int{405}},
		{name: "GET buildWithParameters", calls: []call{{path: paramPath + "buildWithParameters"}}, statuses: []int{405}},
		{name: "GET build of parameterized job even with token", calls: []call{{path: paramPath + "build?token=x"}}, statuses: []int{405}},
		{name: "build of parameterized job without json", calls: []call{{method: "POST", path: paramPath + "build"}}, statuses: []int{400}},
		{name: "json form path", calls: []call{{method: "POST", path: paramPath + "build", form: jsonForm}, {method: "POST", path: paramPath + "build", form: jsonForm}},
			statuses: []int{201, 302}, location: []string{"job:" + paramPath, "job:" + paramPath}},
		{name: "json form statusCode", calls: []call{{method: "POST", path: paramPath + "build", form: url.Values{"json": {`{"parameter":{"name":"BRANCH","value":"x"},"statusCode":"303","redirectTo":"."}`}}}},
			statuses: []int{303}, location: []string{"job:" + paramPath}},
		{name: "json form unknown name", calls: []call{{method: "POST", path: paramPath + "build", form: url.Values{"json": {`{"parameter":[{"name":"NOPE","value":"x"}]}`}}}}, statuses: []int{500}},
		{name: "json form duplicate name", calls: []call{{method: "POST", path: paramPath + "build", form: url.Values{"json": {`{"parameter":[{"name":"BRANCH","value":"x"},{"name":"BRANCH","value":"y"}]}`}}}}, statuses: []int{500}},
		{name: "json form bad choice", calls: []call{{method: "POST", path: paramPath + "build", form: url.Values{"json": {`{"parameter":[{"name":"TARGET","value":"moon"}]}`}}}}, statuses: []int{500}},
		{name: "bad choice", calls: []call{{method: "POST", path: paramPath + "buildWithParameters?TARGET=moon"}}, statuses: []int{500}},
		{name: "same name twice", calls: []call{{method: "POST", path: paramPath + "buildWithParameters?BRANCH=a", form: url.Values{"BRANCH": {"b"}}}}, statuses: []int{500}},
		{name: "bad delay", calls: []call{{method: "POST", path: plainPath + "build?delay=2min"}}, statuses: []int{500}},
		{name: "token GET by anonymous", opts: Options{AnonymousRead: true}, calls: []call{{path: "/job/tokened/build?token=let-me-in", anonymous: true}}, statuses: []int{201}},
		{name: "wrong token even for admin", calls: []call{{method: "POST", path: "/job/tokened/build?token=nope"}}, statuses: []int{403}},
		{name: "token on a job without one is ignored", calls: []call{{method: "POST", path: plainPath + "build?token=whatever"}}, statuses: []int{201}},
		{name: "anonymous without build permission", opts: Options{AnonymousRead: true}, calls: []call{{method: "POST", path: plainPath + "build", anonymous: true}}, statuses: []int{403}},
		{name: "anonymous with build permission still needs a crumb", opts: Options{AnonymousBuild: true}, calls: []call{{method: "POST", path: plainPath + "build", anonymous: true}}, statuses: []int{403}},
		{name: "anonymous with build permission, CSRF off", opts: Options{AnonymousBuild: true, DisableCSRF: true}, calls: []call{{method: "POST", path: plainPath + "build", anonymous: true}}, statuses: []int{201}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, tt.opts, plainJob, paramJob, disabledJob, tokenJob)
				for i, c := range tt.calls {
					r := f.do(c)
					wantStatus(t, c.method+" "+c.path, r, tt.statuses[i])
					if r.header.Get("X-Jenkins") != "" && r.status < 300 {
						t.Errorf("trigger answer has X-Jenkins")
					}
					if r.status < 400 && r.body != "" {
						t.Errorf("body %q, want none", r.body)
					}
					if tt.location == nil {
						continue
					}
					want := ""
					switch kind, arg, _ := strings.Cut(tt.location[i], ":"); kind {
					case "queue":
						want = f.srv.URL() + "/queue/item/" + arg + "/"
					case "job":
						want = f.srv.URL() + arg
					}
					if got := r.header.Get("Location"); got != want {
						t.Errorf("call %d: Location %q, want %q", i, got, want)
					}
				}
			})
		})
	}
}

func TestLocationFromHostHeader(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{RootURL: "https://ci.example.com/jenkins/"}, plainJob)
		r := f.do(call{method: "POST", path: plainPath + "build", host: "proxy.internal:8443"})
		wantStatus(t, "trigger", r, 201)
		if got, want := r.header.Get("Location"), "http://proxy.internal:8443/jenkins/queue/item/1/"; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		item := f.json("/queue/item/1/api/json")
		if item["url"] != "queue/item/1/" {
			t.Errorf("url %v, want relative", item["url"])
		}
		task := item["task"].(map[string]any)
		if task["url"] != "https://ci.example.com/jenkins/job/plain/" {
			t.Errorf("task url %v, want under the root URL", task["url"])
		}
		if root := f.json("/api/json?tree=url"); root["url"] != "https://ci.example.com/jenkins/" {
			t.Errorf("root url %v", root["url"])
		}
	})
}

// TestNoRootURL: a Jenkins whose URL was never configured reports url null
// at its root, and writes every absolute url from the request.
func TestNoRootURL(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{NoRootURL: true, RootURL: "https://ci.example.com/jenkins/"}, plainJob)
		wantStatus(t, "trigger", f.post(plainPath+"build"), 201)
		time.Sleep(time.Minute)
		for _, tt := range []struct {
			name   string
			header map[string]string
			host   string
			want   string
		}{
			{"its own address", nil, "", f.srv.URL() + "/"},
			{"the Host header", nil, "proxy.internal:8443", "http://proxy.internal:8443/jenkins/"},
			{"X-Forwarded-*", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ci.example.org:444, inner", "X-Forwarded-Port": "8443"}, "", "https://ci.example.org:8443/jenkins/"},
			{"X-Forwarded-Host with a port", map[string]string{"X-Forwarded-Host": "ci.example.org:444"}, "", "http://ci.example.org:444/jenkins/"},
		} {
			get := func(path string) map[string]any {
				r := f.do(call{path: path, header: tt.header, host: tt.host})
				wantStatus(t, path, r, 200)
				var v map[string]any
				if err := json.Unmarshal([]byte(r.body), &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			if root := get("/api/json?tree=url"); root["url"] != nil {
				t.Errorf("%s: root url %v, want null", tt.name, root["url"])
			}
			if b := get(plainPath + "1/api/json?tree=url"); b["url"] != tt.want+"job/plain/1/" {
				t.Errorf("%s: build url %v, want under %s", tt.name, b["url"], tt.want)
			}
		}
	})
}

func TestParameterSemantics(t *testing.T) {
	t.Parallel()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	for _, tt := range []struct {
		name  string
		c     call
		want  map[string]string
		files map[string]string // name -> content
	}{
		{name: "defaults", c: call{path: paramPath + "buildWithParameters"},
			want: map[string]string{"BRANCH": "main", "TARGET": "staging", "DRY": "true", "NOTES": "", "SECRET": "s3"}},
		{name: "query, unknown ignored", c: call{path: paramPath + "buildWithParameters?BRANCH=dev&NOPE=1&TARGET=prod&DRY=TRUE"},
			want: map[string]string{"BRANCH": "dev", "TARGET": "prod", "DRY": "true", "NOTES": "", "SECRET": "s3"}},
		{name: "boolean only true", c: call{path: paramPath + "buildWithParameters?DRY=yes"},
			want: map[string]string{"BRANCH": "main", "TARGET": "staging", "DRY": "false", "NOTES": "", "SECRET": "s3"}},
		{name: "urlencoded body", c: call{path: paramPath + "buildWithParameters", form: url.Values{"BRANCH": {"a b+c"}, "BUNDLE": {"not a file"}}},
			want: map[string]string{"BRANCH": "a b+c", "TARGET": "staging", "DRY": "true", "NOTES": "", "SECRET": "s3"}},
		{name: "json body ignored", c: call{path: paramPath + "buildWithParameters", body: `{"BRANCH":"dev"}`, contentType: "application/json"},
			want: map[string]string{"BRANCH": "main", "TARGET": "staging", "DRY": "true", "NOTES": "", "SECRET": "s3"}},
		{name: "multipart fields and files", c: call{path: paramPath + "buildWithParameters", multipart: func(w *multipart.Writer) {
			_ = w.WriteField("NOTES", "line1\nline2")
			fw, _ := w.CreateFormFile("BUNDLE", "app.tgz")
			_, _ = fw.Write([]byte("bundle-bytes"))
			fw, _ = w.CreateFormFile("B64", "cfg.json")
			_, _ = fw.Write([]byte("{}"))
		}},
			want:  map[string]string{"BRANCH": "main", "TARGET": "staging", "DRY": "true", "NOTES": "line1\nline2", "SECRET": "s3"},
			files: map[string]string{"BUNDLE": "bundle-bytes", "B64": "{}"}},
		{name: "json form: left-out parameters are absent", c: call{path: paramPath + "build", form: url.Values{"json": {`{"parameter":[{"name":"DRY","value":false},{"name":"TARGET","value":"prod"}]}`}}},
			want: map[string]string{"DRY": "false", "TARGET": "prod"}},
		{name: "json form files", c: call{path: paramPath + "build", multipart: func(w *multipart.Writer) {
			_ = w.WriteField("json", `{"parameter":[{"name":"BUNDLE","file":"file0"},{"name":"B64","base64":"aGVsbG8="}]}`)
			fw, _ := w.CreateFormFile("file0", "app.tgz")
			_, _ = fw.Write([]byte("zip"))
		}},
			want: map[string]string{}, files: map[string]string{"BUNDLE": "zip", "B64": "hello"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{}, paramJob)
				tt.c.method = http.MethodPost
				r := f.do(tt.c)
				if r.status != 201 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				time.Sleep(6 * time.Second)
				builds := f.srv.Builds("folder/param")
				if len(builds) != 1 {
					t.Fatalf("%d builds", len(builds))
				}
				b := builds[0]
				if len(b.Params) != len(tt.want) {
					t.Errorf("params %v, want %v", b.Params, tt.want)
				}
				for k, v := range tt.want {
					if b.Params[k] != v {
						t.Errorf("%s = %q, want %q", k, b.Params[k], v)
					}
				}
				if len(b.Files) != len(tt.files) {
					t.Errorf("files %v, want %v", b.Files, tt.files)
				}
				for k, content := range tt.files {
					up := b.Files[k]
					if string(up.Content) != content || up.Size != int64(len(content)) || up.SHA256 != sum(content) {
						t.Errorf("file %s = %+v, want %q", k, up, content)
					}
				}
			})
		})
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		delay string
		quiet time.Duration
	}{
		{"5", 0}, {"1500", time.Second}, {"3sec", 3 * time.Second}, {"2 secs", 2 * time.Second}, {"0sec", 0},
	} {
		t.Run(tt.delay, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{}, JobSpec{FullName: "plain", Script: fixed(Script{QuietPeriod: time.Hour, QueueWait: time.Hour})})
				wantStatus(t, "trigger", f.post(plainPath+"build?delay="+url.QueryEscape(tt.delay)), 201)
				item := f.json("/queue/item/1/api/json")
				due := epoch.Add(tt.quiet).UnixMilli()
				if tt.quiet == 0 {
					if item["_class"] != "hudson.model.Queue$BuildableItem" {
						t.Errorf("class %v, want BuildableItem", item["_class"])
					}
					return
				}
				if item["_class"] != "hudson.model.Queue$WaitingItem" || int64(item["timestamp"].(float64)) != due {
					t.Errorf("item %v, want waiting until %d", item, due)
				}
			})
		})
	}
}

func TestLargeUploadIsStreamed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, paramJob)
		const size = 3 << 20
		chunk := strings.Repeat("x", 1<<16)
		h := sha256.New()
		r := f.do(call{method: "POST", path: paramPath + "buildWithParameters", multipart: func(w *multipart.Writer) {
			fw, _ := w.CreateFormFile("BUNDLE", "big.bin")
			for range size / len(chunk) {
				_, _ = fw.Write([]byte(chunk))
				h.Write([]byte(chunk))
			}
		}})
		wantStatus(t, "upload", r, 201)
		time.Sleep(6 * time.Second)
		up := f.srv.Builds("folder/param")[0].Files["BUNDLE"]
		if up.Size != size || up.Content != nil || up.SHA256 != hex.EncodeToString(h.Sum(nil)) || up.Filename != "big.bin" {
			t.Errorf("upload %+v", UploadedFile{Filename: up.Filename, Size: up.Size, SHA256: up.SHA256})
		}
	})
}

func TestBuildByToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, tokenJob, plainJob, JobSpec{FullName: "a/p", BuildToken: "t", Params: []ParamDef{{Name: "X", Type: "string"}}})
		r := f.do(call{path: "/buildByToken/build?job=tokened&token=let-me-in", anonymous: true})
		wantStatus(t, "first", r, 201)
		if got := r.header.Get("Location"); got != "/jenkins/queue/item/1/" {
			t.Errorf("Location %q, want root-relative", got)
		}
		r = f.do(call{method: "POST", path: "/buildByToken/build?job=tokened&token=let-me-in", anonymous: true})
		wantStatus(t, "coalesced", r, 303)
		if got := r.header.Get("Location"); got != f.srv.URL()+"/queue/item/1/" {
			t.Errorf("Location %q, want absolute", got)
		}
		wantStatus(t, "wrong token", f.do(call{path: "/buildByToken/build?job=tokened&token=x", anonymous: true}), 403)
		wantStatus(t, "no token", f.do(call{path: "/buildByToken/build?job=plain&token=x", anonymous: true}), 404)
		wantStatus(t, "no job", f.do(call{path: "/buildByToken/build?job=nope&token=x", anonymous: true}), 404)
		wantStatus(t, "wrong kind", f.do(call{path: "/buildByToken/build?job=a/p&token=t", anonymous: true}), 400)
		wantStatus(t, "with parameters", f.do(call{path: "/buildByToken/buildWithParameters?job=a/p&token=t&X=1", anonymous: true}), 201)
		time.Sleep(6 * time.Second)
		if b := f.srv.Builds("a/p"); len(b) != 1 || b[0].Params["X"] != "1" {
			t.Errorf("builds %+v", b)
		}
	})
}

func TestRefuseTrigger(t *testing.T) {
	t.Parallel()
	refusing := func(status int) []JobSpec {
		return []JobSpec{
			{FullName: "plain", Script: quiet, BuildToken: "let-me-in", RefuseTrigger: status},
			{FullName: "folder/param", Script: quiet, BuildToken: "let-me-in", Params: []ParamDef{{Name: "BRANCH", Type: "string"}}, RefuseTrigger: status},
		}
	}
	triggers := []call{
		{method: http.MethodPost, path: plainPath + "build"},
		{method: http.MethodPost, path: paramPath + "buildWithParameters?BRANCH=x"},
		{method: http.MethodPost, path: paramPath + "build", form: url.Values{"json": {`{"parameter":[{"name":"BRANCH","value":"x"}]}`}}},
		{path: plainPath + "build?token=let-me-in", anonymous: true},
		{path: "/buildByToken/build?job=plain&token=let-me-in", anonymous: true},
		{method: http.MethodPost, path: "/buildByToken/buildWithParameters?job=folder/param&token=let-me-in&BRANCH=x", anonymous: true},
	}
	for _, tt := range []struct {
		status int
		body   string            // in the page
		header map[string]string // besides X-Jenkins
	}{
		{403, "", map[string]string{"X-Required-Permission": "hudson.model.Item.Build", "X-Hudson": "1.395"}},
		{409, " is not buildable", nil},
		{500, "A problem occurred while processing the request. Logging ID=", nil},
		{400, "Bad Request", nil},
		{503, "Service Unavailable", nil},
	} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{AnonymousRead: true}, append(refusing(tt.status), JobSpec{FullName: "other", Script: quiet})...)
				for _, c := range triggers {
					r := f.do(c)
					wantStatus(t, c.method+" "+c.path, r, tt.status)
					if r.header.Get("X-Jenkins") == "" || r.header.Get("Location") != "" || !strings.Contains(r.body, tt.body) {
						t.Errorf("%s %s: headers %v, body %q", c.method, c.path, r.header, r.body)
					}
					for k, v := range tt.header {
						if r.header.Get(k) != v {
							t.Errorf("%s %s: %s %q, want %q", c.method, c.path, k, r.header.Get(k), v)
						}
					}
				}
				wantStatus(t, "GET without a token is not a trigger", f.get(plainPath+"build"), 405)
				wantStatus(t, "nor is a GET of a parameterized build", f.get(paramPath+"build?token=let-me-in"), 405)
				wrong := f.do(call{path: plainPath + "build?token=WRONG", anonymous: true})
				if wantStatus(t, "a wrong token is refused as such", wrong, 403); !strings.Contains(wrong.body, "Invalid token provided") {
					t.Errorf("a wrong token: %q", wrong.body)
				}
				if items := f.json("/queue/api/json")["items"].([]any); len(items) != 0 {
					t.Errorf("queued %v", items)
				}
				time.Sleep(time.Minute)
				if b := append(f.srv.Builds("plain"), f.srv.Builds("folder/param")...); len(b) != 0 {
					t.Errorf("builds %+v", b)
				}
				if loc := f.post("/job/other/build").header.Get("Location"); !strings.HasSuffix(loc, "/queue/item/1/") {
					t.Errorf("another job's trigger: Location %q, want the first queue id", loc)
				}
			})
		})
	}
}

// TestRemoteCause: a trigger with the job's token is caused by the remote
// host, with the cause parameter as its note, wherever the parameter came
// from (query, form body, build-token-root); an empty one is a note still,
// and a missing one exports null. The queue item, the build and the
// console's first line all show it, as Cause.RemoteCause does.
func TestRemoteCause(t *testing.T) {
	t.Parallel()
	paramToken := JobSpec{FullName: "a/p", BuildToken: "t", Script: quiet, Params: []ParamDef{{Name: "X", Type: "string"}}}
	for _, tt := range []struct {
		name, job string
		c         call
		cause     map[string]any
	}{
		{"in the query", "tokened", call{method: "POST", path: "/job/tokened/build?token=let-me-in&cause=" + url.QueryEscape("CI: run #7 & more")},
			map[string]any{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote host 127.0.0.1 with note: CI: run #7 & more", "addr": "127.0.0.1", "note": "CI: run #7 & more"}},
		{"in the form body", "a/p", call{method: "POST", path: "/job/a/job/p/buildWithParameters?token=t", form: url.Values{"X": {"1"}, "cause": {"from the form"}}},
			map[string]any{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote host 127.0.0.1 with note: from the form", "addr": "127.0.0.1", "note": "from the form"}},
		{"through build-token-root", "tokened", call{path: "/buildByToken/build?job=tokened&token=let-me-in&cause=btr", anonymous: true},
			map[string]any{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote host 127.0.0.1 with note: btr", "addr": "127.0.0.1", "note": "btr"}},
		{"empty", "tokened", call{method: "POST", path: "/job/tokened/build?token=let-me-in&cause="},
			map[string]any{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote host 127.0.0.1 with note: ", "addr": "127.0.0.1", "note": ""}},
		{"none", "tokened", call{method: "POST", path: "/job/tokened/build?token=let-me-in"},
			map[string]any{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote host 127.0.0.1", "addr": "127.0.0.1", "note": nil}},
		{"without the token, the user", "tokened", call{method: "POST", path: "/job/tokened/build?cause=ignored"},
			map[string]any{"_class": "hudson.model.Cause$UserIdCause", "shortDescription": "Started by user alice", "userId": "alice", "userName": "alice"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{}, tokenJob, paramToken)
				wantStatus(t, "trigger", f.do(tt.c), http.StatusCreated)
				causes := func(path string) any {
					for _, a := range f.json(path)["actions"].([]any) {
						if a := a.(map[string]any); a["_class"] == "hudson.model.CauseAction" {
							return a["causes"]
						}
					}
					t.Fatalf("%s has no CauseAction", path)
					return nil
				}
				want := []any{tt.cause}
				if got := causes("/queue/item/1/api/json?tree=actions[causes[*]]"); !reflect.DeepEqual(got, want) {
					t.Errorf("queue item causes %v, want %v", got, want)
				}
				time.Sleep(6 * time.Second)
				jobPath := "/job/" + strings.ReplaceAll(tt.job, "/", "/job/") + "/"
				if got := causes(jobPath + "1/api/json?tree=actions[causes[*]]"); !reflect.DeepEqual(got, want) {
					t.Errorf("build causes %v, want %v", got, want)
				}
				if got, _, _ := strings.Cut(f.get(jobPath+"1/consoleText").body, "\n"); got != tt.cause["shortDescription"] {
					t.Errorf("console starts %q, want %q", got, tt.cause["shortDescription"])
				}
			})
		})
	}
}
