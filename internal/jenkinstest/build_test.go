package jenkinstest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestBuildStates(t *testing.T) {
	t.Parallel()
	script := Script{Duration: 10 * time.Second, PostProduction: 5 * time.Second, Result: "SUCCESS",
		EarlyResult: "UNSTABLE", EarlyResultAt: 4 * time.Second, EstimatedDuration: 12 * time.Second}
	type state struct {
		building, inProgress any
		result               any
		duration             float64
	}
	for _, tt := range []struct {
		name     string
		pipeline bool
		want     map[time.Duration]state
	}{
		{"freestyle", false, map[time.Duration]state{
			0:                {true, true, nil, 0},
			4 * time.Second:  {true, true, "UNSTABLE", 0},
			10 * time.Second: {false, true, "UNSTABLE", 0}, // post-production
			15 * time.Second: {false, false, "UNSTABLE", 15000},
		}},
		{"pipeline", true, map[time.Duration]state{
			0:                {true, true, nil, 0},
			4 * time.Second:  {true, true, "UNSTABLE", 0},
			10 * time.Second: {false, false, "UNSTABLE", 10000}, // no post-production
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{}, JobSpec{FullName: "j", Pipeline: tt.pipeline, Script: fixed(script)})
				f.post("/job/j/build")
				var elapsed time.Duration
				for _, at := range []time.Duration{0, 4 * time.Second, 10 * time.Second, 15 * time.Second} {
					want, ok := tt.want[at]
					if !ok {
						continue
					}
					time.Sleep(at - elapsed)
					elapsed = at
					b := f.json("/job/j/1/api/json")
					got := state{b["building"], b["inProgress"], b["result"], b["duration"].(float64)}
					if got != want {
						t.Errorf("at %v: %+v, want %+v", at, got, want)
					}
					if b["estimatedDuration"] != 12000.0 || b["queueId"] != 1.0 || b["id"] != "1" || b["displayName"] != "#1" {
						t.Errorf("at %v: %v", at, b)
					}
					if _, ok := b["result"]; !ok {
						t.Error("result not written out")
					}
				}
			})
		})
	}
}

func TestBuildJSONShape(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true, Params: []ParamDef{{Name: "X", Type: "string"}, {Name: "PW", Type: "password"}},
			Script: fixed(Script{Duration: time.Second, Tests: &TestReport{Suites: []TestSuite{{Name: "s", Cases: []TestCase{
				{ClassName: "a.B", Name: "ok", Status: "PASSED", Duration: 0.5},
				{ClassName: "a.B", Name: "bad", Status: "FAILED", ErrorDetails: "boom"},
				{ClassName: "a.B", Name: "skip", Status: "SKIPPED"},
			}}}}})})
		f.post("/job/p/buildWithParameters?X=1&PW=secret")
		f.post("/job/p/buildWithParameters?X=2")
		wantStatus(t, "no report yet", f.get("/job/p/1/testReport/api/json"), 404)
		time.Sleep(5 * time.Second)
		b := f.json("/job/p/1/api/json")
		if b["_class"] != "org.jenkinsci.plugins.workflow.job.WorkflowRun" || b["previousBuild"] != nil {
			t.Errorf("build %v", b)
		}
		if next := b["nextBuild"].(map[string]any); next["number"] != 2.0 || next["_class"] != nil {
			t.Errorf("nextBuild %v", next)
		}
		var sawEmpty, sawTests bool
		for _, a := range b["actions"].([]any) {
			a := a.(map[string]any)
			switch a["_class"] {
			case nil:
				sawEmpty = len(a) == 0
			case "hudson.model.ParametersAction":
				ps := a["parameters"].([]any)
				if pw := ps[1].(map[string]any); pw["name"] != "PW" || pw["value"] != nil || len(pw) != 2 {
					t.Errorf("password parameter %v", pw)
				}
			case "hudson.tasks.junit.TestResultAction":
				sawTests = a["failCount"] == 1.0 && a["skipCount"] == 1.0 && a["totalCount"] == 3.0 && a["urlName"] == "testReport"
			}
		}
		if !sawEmpty || !sawTests {
			t.Errorf("actions %v", b["actions"])
		}
		rep := f.json("/job/p/1/testReport/api/json")
		if rep["_class"] != "hudson.tasks.junit.TestResult" || rep["failCount"] != 1.0 || rep["passCount"] != 1.0 || rep["skipCount"] != 1.0 {
			t.Errorf("report %v", rep)
		}
		if _, ok := rep["totalCount"]; ok {
			t.Error("report has totalCount")
		}
		c := rep["suites"].([]any)[0].(map[string]any)["cases"].([]any)[1].(map[string]any)
		if c["status"] != "FAILED" || c["errorDetails"] != "boom" || c["className"] != "a.B" {
			t.Errorf("case %v", c)
		}
		wantStatus(t, "no tests", newFixture(t, Options{}, plainJob).get("/job/plain/1/testReport/api/json"), 404)
	})
}

func TestStop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, pipeline := range []bool{false, true} {
			f := newFixture(t, Options{}, JobSpec{FullName: "j", Pipeline: pipeline, Script: fixed(Script{Duration: time.Minute, Log: []LogLine{{At: 50 * time.Second, Text: "never"}}})})
			f.post("/job/j/build")
			time.Sleep(10 * time.Second)
			wantStatus(t, "GET stop", f.get("/job/j/1/stop"), 405)
			r := f.post("/job/j/1/stop")
			wantStatus(t, "stop", r, 302)
			if r.header.Get("Location") != f.srv.URL()+"/job/j/1/" {
				t.Errorf("Location %s", r.header.Get("Location"))
			}
			b := f.json("/job/j/1/api/json")
			if b["building"] != true || b["result"] != "ABORTED" {
				t.Errorf("right after stop: %v %v", b["building"], b["result"])
			}
			time.Sleep(time.Second)
			b = f.json("/job/j/1/api/json")
			if b["building"] != false || b["result"] != "ABORTED" || b["duration"] != 11000.0 {
				t.Errorf("after stop: %v %v %v", b["building"], b["result"], b["duration"])
			}
			log := f.get("/job/j/1/consoleText").body
			if !strings.Contains(log, "Aborted by alice\n") || !strings.HasSuffix(log, "Finished: ABORTED\n") || strings.Contains(log, "never") {
				t.Errorf("log %q", log)
			}
			wantStatus(t, "stop a finished build", f.post("/job/j/1/stop"), 302)
			if b := f.srv.Builds("j"); len(b) != 1 || !b[0].Aborted || b[0].Result != "ABORTED" {
				t.Errorf("records %+v", b)
			}
		}
	})
}

func TestRouting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "repo/feature%2Ffoo"}, JobSpec{FullName: "a b/c"})
		wantStatus(t, "double-encoded branch", f.post("/job/repo/job/feature%252Ffoo/build"), 201)
		wantStatus(t, "single-encoded branch", f.post("/job/repo/job/feature%2Ffoo/build"), 404)
		wantStatus(t, "plain slash", f.post("/job/repo/job/feature/foo/build"), 404)
		wantStatus(t, "space", f.post("/job/a%20b/job/c/build"), 201)
		time.Sleep(5 * time.Second)
		b := f.json("/job/repo/job/feature%252Ffoo/lastBuild/api/json?tree=url,number")
		if b["url"] != "http://localhost:8080/jenkins/job/repo/job/feature%252Ffoo/1/" {
			t.Errorf("url %v", b["url"])
		}
		r := f.get("/job/repo/job/feature%252Ffoo/1?x=1")
		if r.status != 302 || r.header.Get("Location") != f.srv.URL()+"/job/repo/job/feature%252Ffoo/1/?x=1" {
			t.Errorf("redirect %d %q", r.status, r.header.Get("Location"))
		}
		wantStatus(t, "permalink", f.get("/job/repo/job/feature%252Ffoo/lastSuccessfulBuild/"), 200)
		wantStatus(t, "no such permalink", f.get("/job/repo/job/feature%252Ffoo/lastFailedBuild/"), 404)
		wantStatus(t, "outside the context path", f.get("/../job/x/"), 404)
		folder := f.json("/job/repo/api/json")
		if folder["_class"] != "com.cloudbees.hudson.plugins.folder.Folder" || len(folder["jobs"].([]any)) != 1 {
			t.Errorf("folder %v", folder)
		}
		api := f.get("/job/repo/api/json")
		if api.header.Get("Content-Type") != "application/json;charset=UTF-8" || api.header.Get("X-Jenkins") == "" || len(api.header.Get("X-Jenkins-Session")) != 8 {
			t.Errorf("headers %v", api.header)
		}
		wantStatus(t, "malformed tree", f.get("/api/json?tree=jobs[name"), 500)
		wantStatus(t, "bad depth", f.get("/api/json?depth=x"), 500)

		root := newFixture(t, Options{ContextPath: "/"}, plainJob)
		if root.srv.URL() != root.srv.ts.URL {
			t.Errorf("URL %s", root.srv.URL())
		}
		wantStatus(t, "root context", root.post("/job/plain/build"), 201)
	})
}

// TestSeveralJobsAtOnce: three jobs triggered within one second each get
// their own queue item from the global counter, build side by side and end
// with their own results.
func TestSeveralJobsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		jobs := []struct {
			name, path, result, class string
			pipeline                  bool
			duration                  time.Duration
		}{
			{"app", "/job/app/", "SUCCESS", "hudson.model.FreeStyleBuild", false, 20 * time.Second},
			{"lib", "/job/lib/", "FAILURE", "hudson.model.FreeStyleBuild", false, 30 * time.Second},
			{"deploy", "/job/deploy/", "UNSTABLE", "org.jenkinsci.plugins.workflow.job.WorkflowRun", true, 25 * time.Second},
		}
		f := newFixture(t, Options{})
		for _, j := range jobs {
			f.srv.AddJob(JobSpec{FullName: j.name, Pipeline: j.pipeline, Script: fixed(Script{QuietPeriod: 5 * time.Second, Duration: j.duration, Result: j.result})})
		}
		for i, j := range jobs {
			if i > 0 {
				time.Sleep(400 * time.Millisecond)
			}
			r := f.post(j.path + "build")
			if want := f.srv.URL() + "/queue/item/" + strconv.Itoa(i+1) + "/"; r.status != 201 || r.header.Get("Location") != want {
				t.Fatalf("%s: %d %s, want %s", j.name, r.status, r.header.Get("Location"), want)
			}
		}
		if ids, _ := queueIDs(t, f); fmt.Sprint(ids) != "[1 2 3]" {
			t.Errorf("queue %v", ids)
		}

		time.Sleep(5 * time.Second) // all three have started
		for i, j := range jobs {
			item := f.json("/queue/item/" + strconv.Itoa(i+1) + "/api/json?tree=task[name],executable[number]")
			if item["task"].(map[string]any)["name"] != j.name || item["executable"].(map[string]any)["number"] != 1.0 {
				t.Errorf("item %d: %v", i+1, item)
			}
			b := f.json(j.path + "1/api/json?tree=building,result,queueId")
			if b["building"] != true || b["result"] != nil || b["queueId"] != float64(i+1) || b["_class"] != j.class {
				t.Errorf("%s while the others run: %v", j.name, b)
			}
		}

		time.Sleep(30 * time.Second)
		for i, j := range jobs {
			b := f.json(j.path + "1/api/json?tree=building,result,duration")
			if b["building"] != false || b["result"] != j.result || b["duration"] != float64(j.duration.Milliseconds()) {
				t.Errorf("%s: %v", j.name, b)
			}
			rec := f.srv.Builds(j.name)
			if len(rec) != 1 || rec[0].QueueID != i+1 || rec[0].Result != j.result || !rec[0].Started.Equal(epoch.Add(5*time.Second+time.Duration(i)*400*time.Millisecond)) {
				t.Errorf("%s: records %+v", j.name, rec)
			}
		}
	})
}
