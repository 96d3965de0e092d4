package jenkins

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// apiToken has the shape of a Jenkins API token, which needs no crumb.
const apiToken = "11a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"

// pipeJob is a job whose name needs escaping, inside a folder.
var pipeJob = Job{Path: "/job/team/job/my%20pipe/", Name: "team/my pipe"}

// stapler is a fake Jenkins below the context path /jenkins: it answers
// each path from routes, anything else with Stapler's HTML 404, and keeps
// every request it saw.
type stapler struct {
	mu   sync.Mutex
	reqs []seenRequest
	// client returns a new Client for the fake, with token as alice's.
	client func(token string) *Client
}

type seenRequest struct {
	method, path, query, crumb string
	form                       url.Values
}

// count returns how many requests went to path (below /jenkins).
func (s *stapler) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.path == path {
			n++
		}
	}
	return n
}

func (s *stapler) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *stapler) all() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.reqs...)
}

func newStapler(t *testing.T, token string, routes map[string]http.HandlerFunc) (*Client, *stapler) {
	t.Helper()
	s := &stapler{}
	ts := (&memnet.Network{}).NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/jenkins")
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, seenRequest{method: r.Method, path: path, query: r.URL.RawQuery, crumb: r.Header.Get("Jenkins-Crumb"), form: form})
		s.mu.Unlock()
		if h := routes[path]; ok && h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>")
	}))
	t.Cleanup(ts.Close)
	base, _ := url.Parse(ts.URL + "/jenkins")
	s.client = func(token string) *Client {
		return New(base, ts.Client(), Options{
			User: "alice", Token: token,
			RequestTimeout: 5 * time.Second,
			RetryBudget:    time.Second,
		})
	}
	return s.client(token), s
}

func answerJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const build7 = "/job/team/job/my%20pipe/7/"

// wfapiDescribe is a run as pipeline-rest-api describes it, its hrefs
// path-absolute with the context path.
const wfapiDescribe = `{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/wfapi/describe"},"pendingInputActions":{"href":"/jenkins/job/team/job/my%20pipe/7/wfapi/pendingInputActions"}},
"id":"7","name":"#7","status":"PAUSED_PENDING_INPUT","startTimeMillis":1718000000000,"endTimeMillis":1718000090000,"durationMillis":90000,"queueDurationMillis":5,"pauseDurationMillis":0,
"stages":[
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/6/wfapi/describe"}},"id":"6","name":"Declarative: Checkout SCM","execNode":"","status":"SUCCESS","startTimeMillis":1718000000100,"durationMillis":1200,"pauseDurationMillis":0},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/12/wfapi/describe"}},"id":"12","name":"Build","execNode":"","status":"UNSTABLE","startTimeMillis":1718000001400,"durationMillis":30000,"pauseDurationMillis":0},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/20/wfapi/describe"}},"id":"20","name":"Integration Tests","execNode":"","status":"FAILED","error":{"message":"script returned exit code 1","type":"hudson.AbortException"},"startTimeMillis":1718000031400,"durationMillis":20000,"pauseDurationMillis":0},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/31/wfapi/describe"}},"id":"31","name":"Lint","execNode":"","status":"NOT_EXECUTED","startTimeMillis":1718000051400,"durationMillis":0,"pauseDurationMillis":0},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/40/wfapi/describe"}},"id":"40","name":"Approve","execNode":"","status":"PAUSED_PENDING_INPUT","startTimeMillis":1718000051500,"durationMillis":38500,"pauseDurationMillis":38000},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/44/wfapi/describe"}},"id":"44","name":"Parallel A","execNode":"","status":"IN_PROGRESS","startTimeMillis":1718000051600,"durationMillis":-3,"pauseDurationMillis":0},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/45/wfapi/describe"}},"id":"45","name":"Aborted","execNode":"","status":"ABORTED","startTimeMillis":1718000051700,"durationMillis":10,"pauseDurationMillis":0},
{"_links":{"self":{"href":"/jenkins/job/team/job/my%20pipe/7/execution/node/46/wfapi/describe"}},"id":"46","name":"Odd","execNode":"","status":"QUEUED","startTimeMillis":-1,"durationMillis":0,"pauseDurationMillis":-5}
]}`

var wfapiStagesWant = []build.Stage{
	{ID: "6", Name: "Declarative: Checkout SCM", Status: build.StageSuccess, StartMS: 1718000000100, DurationMS: 1200},
	{ID: "12", Name: "Build", Status: build.StageUnstable, StartMS: 1718000001400, DurationMS: 30000},
	{ID: "20", Name: "Integration Tests", Status: build.StageFailed, StartMS: 1718000031400, DurationMS: 20000},
	{ID: "31", Name: "Lint", Status: build.StageNotExecuted, StartMS: 1718000051400},
	{ID: "40", Name: "Approve", Status: build.StagePaused, StartMS: 1718000051500, DurationMS: 38500, PauseMS: 38000},
	{ID: "44", Name: "Parallel A", Status: build.StageRunning, StartMS: 1718000051600},
	{ID: "45", Name: "Aborted", Status: build.StageAborted, StartMS: 1718000051700, DurationMS: 10},
	{ID: "46", Name: "Odd", Status: build.StageUnknown},
}

// graphViewTree is Pipeline Graph View's tree of a running build: nested
// stages, a parallel with a stage inside one branch, the placeholder stage
// for steps outside any stage, and no totalDurationMillis while running.
const graphViewTree = `{"status":"ok","data":{"complete":false,"stages":[
{"id":"3","name":"System Generated","state":"success","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000000000,"totalDurationMillis":50,"children":[],"isSequential":false,"synthetic":true,"placeholder":true,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=3"},
{"id":"6","name":"Build","state":"success","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000000100,"totalDurationMillis":1200,"children":[
  {"id":"9","name":"Compile","state":"failure","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000000200,"totalDurationMillis":700,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"agent":"built-in","url":"/job/team/job/my%20pipe/7/stages/?selected-node=9"}
 ],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=6"},
{"id":"14","name":"Tests","state":"running","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000001400,"children":[
  {"id":"18","name":"unit","state":"unstable","type":"PARALLEL","title":"","pauseDurationMillis":0,"startTimeMillis":1718000001500,"totalDurationMillis":9000,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=18"},
  {"id":"19","name":"e2e","state":"paused","type":"PARALLEL","title":"","pauseDurationMillis":4000,"startTimeMillis":1718000001500,"children":[
    {"id":"25","name":"Approve e2e","state":"paused","type":"STAGE","title":"","pauseDurationMillis":4000,"startTimeMillis":1718000002000,"children":[],"isSequential":true,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=25"}
  ],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=19"}
 ],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=14"},
{"id":"30","name":"Deploy","state":"queued","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000003000,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"causeOfBlockage":"Waiting for next available executor","url":"/job/team/job/my%20pipe/7/stages/?selected-node=30"},
{"id":"33","name":"Skipped","state":"skipped","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000003000,"totalDurationMillis":0,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=33"},
{"id":"34","name":"Never","state":"not_built","type":"STAGE","title":"","pauseDurationMillis":-2,"startTimeMillis":1718000003000,"totalDurationMillis":-1,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=34"},
{"id":"35","name":"Stopped","state":"aborted","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000003000,"totalDurationMillis":3,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=35"},
{"id":"36","name":"Odd","state":"finished","type":"STAGE","title":"","pauseDurationMillis":0,"startTimeMillis":1718000003000,"totalDurationMillis":3,"children":[],"isSequential":false,"synthetic":false,"placeholder":false,"url":"/job/team/job/my%20pipe/7/stages/?selected-node=36"}
]}}`

var graphViewStagesWant = []build.Stage{
	{ID: "6", Name: "Build", Status: build.StageSuccess, StartMS: 1718000000100, DurationMS: 1200},
	{ID: "9", Name: "Compile", Status: build.StageFailed, StartMS: 1718000000200, DurationMS: 700, Parent: "Build"},
	{ID: "14", Name: "Tests", Status: build.StageRunning, StartMS: 1718000001400},
	{ID: "18", Name: "unit", Status: build.StageUnstable, StartMS: 1718000001500, DurationMS: 9000, Parent: "Tests"},
	{ID: "19", Name: "e2e", Status: build.StagePaused, StartMS: 1718000001500, PauseMS: 4000, Parent: "Tests"},
	{ID: "25", Name: "Approve e2e", Status: build.StagePaused, StartMS: 1718000002000, PauseMS: 4000, Parent: "e2e"},
	{ID: "30", Name: "Deploy", Status: build.StageQueued, StartMS: 1718000003000},
	{ID: "33", Name: "Skipped", Status: build.StageNotExecuted, StartMS: 1718000003000},
	{ID: "34", Name: "Never", Status: build.StageNotExecuted, StartMS: 1718000003000},
	{ID: "35", Name: "Stopped", Status: build.StageAborted, StartMS: 1718000003000, DurationMS: 3},
	{ID: "36", Name: "Odd", Status: build.StageUnknown, StartMS: 1718000003000, DurationMS: 3},
}

func TestStagesFromWfapi(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{
			build7 + "wfapi/describe": answerJSON(200, wfapiDescribe),
		})
		for range 3 {
			got, err := c.Stages(context.Background(), pipeJob, 7)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, wfapiStagesWant) {
				t.Fatalf("stages:\n got %+v\nwant %+v", got, wfapiStagesWant)
			}
		}
		if n := s.count(build7 + "wfapi/describe"); n != 3 || s.total() != 3 {
			t.Errorf("%d requests to wfapi of %d, want 3 of 3: %+v", n, s.total(), s.all())
		}
		for _, r := range s.all() {
			if r.query != "" {
				t.Errorf("wfapi asked with query %q; it ignores tree=", r.query)
			}
		}
	})
}

// TestStagesFromGraphView puts Pipeline Graph View at each name it has had:
// the first call probes wfapi and the newer names, later ones go straight
// to the name that answered.
func TestStagesFromGraphView(t *testing.T) {
	t.Parallel()
	names := []string{"stages", "pipeline-overview", "pipeline-console", "pipeline-graph"}
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				tree := build7 + name + "/tree"
				tree8 := strings.Replace(tree, "/7/", "/8/", 1)
				c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{tree: answerJSON(200, graphViewTree), tree8: answerJSON(200, graphViewTree)})
				got, err := c.Stages(context.Background(), pipeJob, 7)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, graphViewStagesWant) {
					t.Fatalf("stages:\n got %+v\nwant %+v", got, graphViewStagesWant)
				}
				var paths []string
				for _, r := range s.all() {
					paths = append(paths, r.path)
				}
				want := []string{build7 + "wfapi/describe"}
				for _, n := range names[:i+1] {
					want = append(want, build7+n+"/tree")
				}
				if !reflect.DeepEqual(paths, want) {
					t.Fatalf("first call asked\n %q\nwant %q", paths, want)
				}
				for range 2 {
					if _, err := c.Stages(context.Background(), pipeJob, 8); err != nil {
						t.Fatal(err)
					}
				}
				if s.total() != len(want)+2 || s.count(tree8) != 2 {
					t.Errorf("later calls did not go straight to %s: %+v", name, s.all())
				}
			})
		})
	}
}

func TestStagesNeitherPluginIsRemembered(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, s := newStapler(t, apiToken, nil)
		for i := range 3 {
			got, err := c.Stages(context.Background(), pipeJob, 7)
			if !errors.Is(err, ErrNoStages) || got != nil {
				t.Fatalf("call %d: %v, %v; want ErrNoStages", i, got, err)
			}
			if !strings.HasPrefix(err.Error(), "read stages of team/my pipe #7: ") {
				t.Errorf("error %q does not name the build", err)
			}
		}
		if s.total() != 5 {
			t.Errorf("%d requests, want 5 (wfapi and four graph-view names, once): %+v", s.total(), s.all())
		}
		// The memory is the Client's: another Client asks again.
		other := s.client(apiToken)
		if _, err := other.Stages(context.Background(), pipeJob, 7); !errors.Is(err, ErrNoStages) || s.total() != 10 {
			t.Errorf("another client: %v after %d requests", err, s.total())
		}
	})
}

// TestStagesProbeErrors: an answer other than 404 while probing is an error
// that proves nothing, so the next call goes on from where this one was.
func TestStagesProbeErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		denied := true
		c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{
			build7 + "pipeline-overview/tree": func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if denied {
					// Jenkins' own 403 names who asked and what they lack.
					w.Header().Set("X-You-Are-Authenticated-As", "alice")
					w.Header().Set("X-Required-Permission", "hudson.model.Item.Read")
					w.WriteHeader(http.StatusForbidden)
					io.WriteString(w, "alice is missing the Job/Read permission")
					return
				}
				answerJSON(200, `{"status":"ok","data":{"complete":true,"stages":[]}}`)(w, r)
			},
		})
		_, err := c.Stages(context.Background(), pipeJob, 7)
		if !errors.Is(err, ErrForbidden) || errors.Is(err, ErrNoStages) {
			t.Fatalf("err = %v, want the 403", err)
		}
		mu.Lock()
		denied = false
		mu.Unlock()
		got, err := c.Stages(context.Background(), pipeJob, 7)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("second call: %v, %v", got, err)
		}
		want := []string{"wfapi/describe", "stages/tree", "pipeline-overview/tree", "pipeline-overview/tree"}
		var paths []string
		for _, r := range s.all() {
			paths = append(paths, strings.TrimPrefix(r.path, build7))
		}
		if !reflect.DeepEqual(paths, want) {
			t.Errorf("asked %q, want %q", paths, want)
		}
	})
}

// TestGraphViewErrorAnswer: graph view's errors come with HTTP 200; the
// name is still the right one to ask next time.
func TestGraphViewErrorAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct{ body, want string }{
			{`{"status":"error","message":"No run <b>found</b>"}`, "pipeline graph view: No run found"},
			{`{"status":"weird"}`, `pipeline graph view answered status "weird"`},
			{`{}`, `pipeline graph view answered status ""`},
		} {
			c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{build7 + "stages/tree": answerJSON(200, tt.body)})
			for range 2 {
				_, err := c.Stages(context.Background(), pipeJob, 7)
				if err == nil || !strings.HasSuffix(err.Error(), tt.want) || errors.Is(err, ErrNoStages) {
					t.Errorf("%s: err = %v, want one ending %q", tt.body, err, tt.want)
				}
			}
			if s.total() != 3 {
				t.Errorf("%s: %d requests, want wfapi once and stages/tree twice", tt.body, s.total())
			}
		}
	})
}

func TestStageStatusDone(t *testing.T) {
	t.Parallel()
	done := map[build.StageStatus]bool{
		build.StageSuccess: true, build.StageFailed: true, build.StageUnstable: true, build.StageAborted: true, build.StageNotExecuted: true,
		build.StageRunning: false, build.StagePaused: false, build.StageQueued: false, build.StageUnknown: false,
	}
	for s, want := range done {
		if s.Done() != want {
			t.Errorf("%s.Done() = %v", s, !want)
		}
	}
}

// decodeStages decodes body as Stages does, as wfapi's answer or as graph
// view's.
func decodeStages(body []byte, graph bool) ([]build.Stage, error) {
	const u = "https://ci.example.com/jenkins/job/p/1/stages/tree"
	if graph {
		var a graphViewAnswer
		if err := decodeAnswer(u, body, "application/json;charset=UTF-8", &a); err != nil {
			return nil, err
		}
		return a.stages()
	}
	var r wfapiRun
	if err := decodeAnswer(u, body, "application/json;charset=UTF-8", &r); err != nil {
		return nil, err
	}
	return r.stages(), nil
}

func FuzzDecodeStages(f *testing.F) {
	seeds := []string{
		wfapiDescribe, graphViewTree,
		`{"stages":[]}`, `{"status":"ok","data":{"complete":true,"stages":[]}}`,
		`{"status":"error","message":"boom"}`, `{"stages":[{"id":"1","durationMillis":-9223372036854775808}]}`,
		`{"status":"ok","data":{"stages":[{"id":"1","placeholder":true,"children":[{"id":"2","name":"x","state":"paused"}]}]}}`,
		`{"status":"ok","data":{"stages":[{"children":[{"children":[{"children":[{"startTimeMillis":-1}]}]}]}]}}`,
		`{"stages":null}`, `null`, `[]`, `{"stages":[null]}`, `<html>`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, graph bool) {
		stages, err := decodeStages(body, graph)
		if err != nil {
			if stages != nil {
				t.Fatalf("stages %+v with error %v", stages, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for _, s := range stages {
			if s.StartMS < 0 || s.DurationMS < 0 || s.PauseMS < 0 {
				t.Fatalf("negative time in %+v", s)
			}
			if s.Status == "" {
				t.Fatalf("no status in %+v", s)
			}
			if !graph && s.Parent != "" {
				t.Fatalf("wfapi stage with a parent: %+v", s)
			}
		}
	})
}
