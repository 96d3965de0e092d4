package jenkinstest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// stagedScript is a 20 s Pipeline: Build, Tests with two parallel
// branches (one fails), a skipped Deploy, ending FAILURE.
func stagedScript() Script {
	return Script{
		Duration: 20 * time.Second,
		Stages: []Stage{
			{Name: "Build", Duration: 5 * time.Second},
			{Name: "Tests", Start: 5 * time.Second, Duration: 10 * time.Second, Result: "FAILURE"},
			{Name: "unit", Parent: "Tests", Parallel: true, Start: 5 * time.Second, Duration: 4 * time.Second},
			{Name: "it", Parent: "Tests", Parallel: true, Start: 5 * time.Second, Duration: 10 * time.Second, Result: "FAILURE", Error: "tests failed"},
			{Name: "Deploy", Start: 15 * time.Second, Result: "NOT_EXECUTED"},
		},
		Log:    []LogLine{{At: time.Second, Text: "+ make"}},
		Result: "FAILURE",
	}
}

// inOrder fails unless each of want appears in text after the previous.
func inOrder(t *testing.T, text string, want ...string) {
	t.Helper()
	rest := text
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("missing %q (in order) in:\n%s", w, text)
		}
		rest = rest[i+len(w):]
	}
}

func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
}

func TestPipelineStageConsole(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{RawConsoleNotes: true}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(stagedScript())})
		f.post("/job/p/build")
		time.Sleep(3 * time.Second)
		if log := f.get("/job/p/1/consoleText").body; strings.Contains(log, "(Tests)") || !strings.HasSuffix(log, "[Pipeline] { (Build)\n+ make\n") {
			t.Errorf("at 3s:\n%s", log)
		}
		time.Sleep(20 * time.Second)
		inOrder(t, f.get("/job/p/1/consoleText").body,
			"[Pipeline] stage\n[Pipeline] { (Build)\n+ make\n[Pipeline] }\n[Pipeline] // stage\n",
			"[Pipeline] stage\n[Pipeline] { (Tests)\n[Pipeline] parallel\n",
			"[Pipeline] { (Branch: unit)\n[Pipeline] stage\n[Pipeline] { (unit)\n",
			"[Pipeline] { (Branch: it)\n[Pipeline] stage\n[Pipeline] { (it)\n",
			"[Pipeline] }\n[Pipeline] // stage\n[Pipeline] }\n", // unit
			"[Pipeline] }\n[Pipeline] // stage\n[Pipeline] }\n[Pipeline] // parallel\n[Pipeline] }\n[Pipeline] // stage\n",
			"[Pipeline] stage\n[Pipeline] { (Deploy)\nStage \"Deploy\" skipped due to when conditional\n[Pipeline] }\n[Pipeline] // stage\n",
			"[Pipeline] End of Pipeline\nFinished: FAILURE\n")
		// Stage lines carry a console note in front, as LogLine's do.
		raw := f.get("/job/p/1/logText/progressiveText").body
		if !strings.Contains(raw, "\x1b[0m[Pipeline] { (Deploy)\r\n") {
			t.Errorf("no note before a stage line:\n%q", raw)
		}
	})
}

type wfStageJSON struct {
	Links struct {
		Self struct{ Href string } `json:"self"`
	} `json:"_links"`
	ID, Name, Status    string
	ExecNode            *string
	Error               *struct{ Message, Type string }
	StartTimeMillis     int64
	DurationMillis      int64
	PauseDurationMillis int64
	StageFlowNodes      []map[string]any
}

type wfRunJSON struct {
	Links               map[string]struct{ Href string } `json:"_links"`
	ID, Name, Status    string
	StartTimeMillis     int64
	EndTimeMillis       int64
	DurationMillis      int64
	QueueDurationMillis int64
	PauseDurationMillis *int64
	Stages              []wfStageJSON
}

func (f *fixture) describe(path string) wfRunJSON {
	f.t.Helper()
	r := f.get(path)
	wantStatus(f.t, path, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		f.t.Errorf("Content-Type %q", ct)
	}
	var run wfRunJSON
	decode(f.t, r.body, &run)
	return run
}

func stageStatuses(run wfRunJSON) string {
	var out []string
	for _, s := range run.Stages {
		out = append(out, s.Name+":"+s.Status)
	}
	return strings.Join(out, " ")
}

func TestWFAPIDescribe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{WFAPI: true}, JobSpec{FullName: "a b", Pipeline: true, Script: fixed(stagedScript())},
			JobSpec{FullName: "free", Script: fixed(stagedScript())})
		f.post("/job/a%20b/build")
		for _, tt := range []struct {
			at       time.Duration
			status   string
			stages   string
			duration int64
		}{
			{2 * time.Second, "IN_PROGRESS", "Build:IN_PROGRESS", 2000},
			{7 * time.Second, "IN_PROGRESS", "Build:SUCCESS Tests:SUCCESS unit:IN_PROGRESS it:IN_PROGRESS", 7000},
			// A parent is cut off at its first child; the final chunk takes the
			// run's result; a skipped stage is NOT_EXECUTED.
			{25 * time.Second, "FAILED", "Build:SUCCESS Tests:SUCCESS unit:SUCCESS it:FAILED Deploy:NOT_EXECUTED", 20000},
		} {
			time.Sleep(tt.at - time.Since(epoch))
			run := f.describe("/job/a%20b/1/wfapi/describe")
			if run.Status != tt.status || stageStatuses(run) != tt.stages || run.DurationMillis != tt.duration {
				t.Errorf("at %v: %s [%s] %d", tt.at, run.Status, stageStatuses(run), run.DurationMillis)
			}
			if run.ID != "1" || run.Name != "#1" || run.PauseDurationMillis == nil || *run.PauseDurationMillis != 0 ||
				run.Links["self"].Href != "/jenkins/job/a%20b/1/wfapi/describe" || run.StartTimeMillis != epoch.UnixMilli() {
				t.Errorf("at %v: run %+v", tt.at, run)
			}
			if _, ok := run.Links["pendingInputActions"]; ok {
				t.Errorf("at %v: pendingInputActions link without an input", tt.at)
			}
		}
		run := f.describe("/job/a%20b/1/wfapi/describe")
		it := run.Stages[3]
		if it.Error == nil || it.Error.Message != "tests failed" || it.ExecNode == nil || *it.ExecNode != "" ||
			it.Links.Self.Href != "/jenkins/job/a%20b/1/execution/node/"+it.ID+"/wfapi/describe" || it.DurationMillis != 10000 {
			t.Errorf("stage it %+v", it)
		}
		if tests := run.Stages[1]; tests.DurationMillis != 0 || tests.Error != nil {
			t.Errorf("parent stage %+v", tests)
		}
		if run.EndTimeMillis != epoch.Add(20*time.Second).UnixMilli() || run.Stages[0].StageFlowNodes != nil {
			t.Errorf("run %+v", run)
		}
		// tree= is ignored; fullStages adds stageFlowNodes.
		if a, b := f.get("/job/a%20b/1/wfapi/describe").body, f.get("/job/a%20b/1/wfapi/describe?tree=id").body; a != b {
			t.Errorf("tree= changed the answer:\n%s\n%s", a, b)
		}
		if full := f.describe("/job/a%20b/1/wfapi/describe?fullStages=true"); full.Stages[0].StageFlowNodes == nil {
			t.Errorf("fullStages: %+v", full.Stages[0])
		}
		if f.get("/job/a%20b/1/wfapi/").body != f.get("/job/a%20b/1/wfapi/describe").body {
			t.Error("wfapi/ differs from wfapi/describe")
		}
		f.post("/job/free/build")
		time.Sleep(time.Minute)
		for _, tt := range []struct {
			name string
			f    *fixture
			path string
		}{
			{"freestyle", f, "/job/free/1/wfapi/describe"},
			{"unknown endpoint", f, "/job/a%20b/1/wfapi/nope"},
			{"plugin absent", newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true}), "/job/p/1/wfapi/describe"},
		} {
			if tt.f != f {
				tt.f.post("/job/p/build")
				time.Sleep(time.Minute)
			}
			r := tt.f.get(tt.path)
			if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %d %s", tt.name, r.status, r.header.Get("Content-Type"))
			}
		}
	})
}

type graphStageJSON struct {
	ID, Name, State, Type string
	Title                 *string
	Children              []graphStageJSON
	PauseDurationMillis   int64
	StartTimeMillis       int64
	TotalDurationMillis   *int64
	URL                   string
}

type graphTreeJSON struct {
	Status string
	Data   struct {
		Complete bool
		Stages   []graphStageJSON
	}
}

func flatStates(ss []graphStageJSON) string {
	var out []string
	for _, s := range ss {
		e := s.Name + ":" + s.State + ":" + s.Type
		if len(s.Children) > 0 {
			e += "[" + flatStates(s.Children) + "]"
		}
		out = append(out, e)
	}
	return strings.Join(out, " ")
}

func TestGraphViewTree(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"stages", "pipeline-overview", "pipeline-console", "pipeline-graph"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{GraphView: name}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(stagedScript())},
					JobSpec{FullName: "free"})
				f.post("/job/p/build")
				f.post("/job/free/build")
				time.Sleep(7 * time.Second)
				r := f.get("/job/p/1/" + name + "/tree")
				wantStatus(t, "tree", r, 200)
				var tree graphTreeJSON
				decode(t, r.body, &tree)
				if got := flatStates(tree.Data.Stages); tree.Status != "ok" || tree.Data.Complete ||
					got != "Build:success:STAGE Tests:running:STAGE[unit:running:PARALLEL it:running:PARALLEL]" {
					t.Errorf("running: %s %v %s", tree.Status, tree.Data.Complete, got)
				}
				if cc := r.header.Get("Cache-Control"); cc != "private, no-store" {
					t.Errorf("Cache-Control while running %q", cc)
				}
				if s := tree.Data.Stages[1]; s.TotalDurationMillis != nil || tree.Data.Stages[0].TotalDurationMillis == nil || s.Title == nil ||
					s.URL != "/job/p/1/"+name+"/?selected-node="+s.ID {
					t.Errorf("stage %+v", s)
				}
				time.Sleep(time.Minute)
				r = f.get("/job/p/1/" + name + "/tree")
				decode(t, r.body, &tree)
				if got := flatStates(tree.Data.Stages); !tree.Data.Complete ||
					got != "Build:success:STAGE Tests:failure:STAGE[unit:success:PARALLEL it:failure:PARALLEL] Deploy:skipped:STAGE" {
					t.Errorf("complete: %v %s", tree.Data.Complete, got)
				}
				if cc := r.header.Get("Cache-Control"); cc != "private, immutable, max-age=86400" {
					t.Errorf("Cache-Control when complete %q", cc)
				}
				for _, other := range []string{"stages", "pipeline-overview", "pipeline-console", "pipeline-graph"} {
					if other != name {
						wantStatus(t, other, f.get("/job/p/1/"+other+"/tree"), 404)
					}
				}
				wantStatus(t, "freestyle", f.get("/job/free/1/"+name+"/tree"), 404)
				wantStatus(t, "wfapi absent", f.get("/job/p/1/wfapi/describe"), 404)
			})
		})
	}
	t.Run("not installed", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			f := newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true})
			f.post("/job/p/build")
			time.Sleep(time.Minute)
			wantStatus(t, "no graph view", f.get("/job/p/1/stages/tree"), 404)
		})
	})
}

func TestPipelineEarlyResultAndPause(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(Script{
			Duration: 10 * time.Second, EarlyResult: "UNSTABLE", EarlyResultAt: 6 * time.Second,
			Inputs: []Input{{At: 2 * time.Second, Message: "go?", AnswerBy: "proceed", AnsweredAfter: 30 * time.Second}},
		})})
		f.post("/job/p/build")
		for _, tt := range []struct {
			at       time.Duration
			building bool
			result   any
		}{
			{7 * time.Second, true, nil},          // paused: the early result waits too
			{36 * time.Second, true, "UNSTABLE"},  // 6 s of script + 30 s of pause
			{40 * time.Second, false, "UNSTABLE"}, // 10 s + 30 s
		} {
			time.Sleep(tt.at - time.Since(epoch))
			b := f.json("/job/p/1/api/json")
			if b["building"] != tt.building || b["result"] != tt.result {
				t.Errorf("at %v: building %v result %v", tt.at, b["building"], b["result"])
			}
		}
		if b := f.json("/job/p/1/api/json"); b["duration"] != 40000.0 {
			t.Errorf("duration %v", b["duration"])
		}
	})
}
