package jenkinstest

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// parentScript is a 10 s build whose one build step, at 2 s, builds child.
func parentScript(d Downstream) Script {
	d.At, d.Job = 2*time.Second, "f/child"
	return Script{Duration: 10 * time.Second, Downstream: []Downstream{d}}
}

func childJob(result string) JobSpec {
	return JobSpec{FullName: "f/child", Pipeline: true, Script: fixed(Script{Duration: 5 * time.Second, Result: result})}
}

func TestDownstreamResults(t *testing.T) {
	t.Parallel()
	wait := Downstream{Wait: true, Propagate: true}
	tests := []struct {
		name     string
		pipeline bool
		step     Downstream
		child    string
		want     string
		wantEnd  time.Duration // from the parent's start
	}{
		// The child runs 2 s to 7 s; a waiting parent resumes for its
		// last 8 s.
		{"wait propagate success", true, wait, "SUCCESS", "SUCCESS", 15 * time.Second},
		{"wait propagate failure", true, wait, "FAILURE", "FAILURE", 7 * time.Second},
		{"wait propagate unstable", true, wait, "UNSTABLE", "UNSTABLE", 7 * time.Second},
		{"wait propagate aborted", true, wait, "ABORTED", "ABORTED", 7 * time.Second},
		{"wait no propagate", true, Downstream{Wait: true}, "FAILURE", "SUCCESS", 15 * time.Second},
		{"no wait", true, Downstream{Propagate: true}, "FAILURE", "SUCCESS", 10 * time.Second},
		{"blocking trigger unstable", false, Downstream{Wait: true}, "UNSTABLE", "UNSTABLE", 15 * time.Second},
		{"blocking trigger failure", false, Downstream{Wait: true}, "FAILURE", "FAILURE", 7 * time.Second},
		{"non-blocking trigger", false, Downstream{}, "FAILURE", "SUCCESS", 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{},
					JobSpec{FullName: "p", Pipeline: tt.pipeline, Script: fixed(parentScript(tt.step))}, childJob(tt.child))
				wantStatus(t, "trigger", f.post("/job/p/build"), http.StatusCreated)
				time.Sleep(time.Minute)
				parent, child := f.srv.Builds("p"), f.srv.Builds("f/child")
				if len(parent) != 1 || len(child) != 1 {
					t.Fatalf("builds: parent %+v, child %+v", parent, child)
				}
				if got := parent[0].Result; got != tt.want {
					t.Errorf("parent result %s, want %s", got, tt.want)
				}
				if got := parent[0].Completed.Sub(parent[0].Started); got != tt.wantEnd {
					t.Errorf("parent took %v, want %v", got, tt.wantEnd)
				}
				if got := child[0].Started.Sub(parent[0].Started); got != 2*time.Second {
					t.Errorf("child started %v after the parent, want 2s", got)
				}
			})
		})
	}
}

func TestDownstreamCauses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// a waits for f/b, which waits for f/child; f/child is busy with
		// another build, so its item is blocked a while.
		f := newFixture(t, Options{},
			JobSpec{FullName: "a", Pipeline: true, Script: fixed(Script{Duration: 4 * time.Second,
				Downstream: []Downstream{{At: time.Second, Job: "f/b", Wait: true, Propagate: true}}})},
			JobSpec{FullName: "f/b", Script: fixed(Script{Duration: 4 * time.Second,
				Downstream: []Downstream{{At: time.Second, Job: "f/child", Wait: true}}})},
			JobSpec{FullName: "f/child", Pipeline: true, Script: fixed(Script{Duration: 5 * time.Second, Result: "FAILURE"})})
		f.post("/job/f/job/child/build") // child #1 runs 0-5 s
		f.post("/job/a/build")
		time.Sleep(3 * time.Second)
		const tree = "?tree=items[id,task[url],actions[causes[_class,upstreamProject,upstreamBuild,upstreamUrl]]]"
		q := f.get("/queue/api/json" + tree).body
		want := `{"_class":"hudson.model.Queue","items":[{"_class":"hudson.model.Queue$BlockedItem","actions":[{"_class":"hudson.model.CauseAction","causes":[{"_class":"hudson.model.Cause$UpstreamCause","upstreamBuild":1,"upstreamProject":"f/b","upstreamUrl":"job/f/job/b/"}]}],"id":4,"task":{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","url":"http://localhost:8080/jenkins/job/f/job/child/"}}]}`
		if q != want {
			t.Errorf("queue:\n%s\nwant\n%s", q, want)
		}
		time.Sleep(time.Minute)
		const btree = "?tree=result,actions[causes[_class,shortDescription,upstreamProject,upstreamBuild,upstreamUrl]]"
		for _, tt := range []struct{ path, want string }{
			{"/job/f/job/b/1/api/json" + btree, `{"_class":"hudson.model.FreeStyleBuild","actions":[{"_class":"hudson.model.CauseAction","causes":[{"_class":"org.jenkinsci.plugins.workflow.support.steps.build.BuildUpstreamCause","shortDescription":"Started by upstream project \"a\" build number 1","upstreamBuild":1,"upstreamProject":"a","upstreamUrl":"job/a/"}]},{},{"_class":"hudson.plugins.parameterizedtrigger.BuildInfoExporterAction"}],"result":"FAILURE"}`},
			{"/job/f/job/child/2/api/json" + btree, `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[{"_class":"hudson.model.CauseAction","causes":[{"_class":"hudson.model.Cause$UpstreamCause","shortDescription":"Started by upstream project \"f/b\" build number 1","upstreamBuild":1,"upstreamProject":"f/b","upstreamUrl":"job/f/job/b/"}]},{},{"_class":"org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"},{}],"result":"FAILURE"}`},
			{"/job/a/1/api/json" + btree, `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[{"_class":"hudson.model.CauseAction","causes":[{"_class":"hudson.model.Cause$UserIdCause","shortDescription":"Started by user alice"}]},{},{"_class":"org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"},{},{}],"result":"FAILURE"}`},
		} {
			if got := f.get(tt.path).body; got != tt.want {
				t.Errorf("%s:\n%s\nwant\n%s", tt.path, got, tt.want)
			}
		}
		inOrder(t, f.get("/job/f/job/child/2/consoleText").body,
			"Started by upstream project \"f/b\" build number 1\noriginally caused by:\n Started by upstream project \"a\" build number 1\n")
	})
}

func TestDownstreamConsole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pipeline bool
		step     Downstream
		want     []string
		absent   string
	}{
		{"build step waits", true, Downstream{Wait: true}, []string{"[Pipeline] build\nScheduling project: f » child\n",
			"Starting building: f » child #1\n", "Build f » child #1 completed: SUCCESS\n", "Finished: SUCCESS"}, ""},
		{"build step does not wait", true, Downstream{}, []string{"[Pipeline] build\nScheduling project: f » child\n",
			"Finished: SUCCESS"}, "Starting building"},
		{"blocking trigger", false, Downstream{Wait: true}, []string{"Waiting for the completion of f » child\n",
			"f » child #1 started.\n", "f » child #1 completed. Result was SUCCESS\n", "Finished: SUCCESS"}, ""},
		{"non-blocking trigger", false, Downstream{}, []string{"Triggering projects: f » child\n", "Finished: SUCCESS"}, "started."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{},
					JobSpec{FullName: "p", Pipeline: tt.pipeline, Script: fixed(parentScript(tt.step))}, childJob("SUCCESS"))
				f.post("/job/p/build")
				time.Sleep(time.Minute)
				log := f.get("/job/p/1/consoleText").body
				inOrder(t, log, tt.want...)
				if tt.absent != "" && strings.Contains(log, tt.absent) {
					t.Errorf("%q in:\n%s", tt.absent, log)
				}
			})
		})
	}
}

func TestDownstreamActions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{},
			JobSpec{FullName: "p", Script: fixed(Script{Duration: 10 * time.Second, Downstream: []Downstream{
				{At: time.Second, Job: "f/child", Wait: true}, {At: 2 * time.Second, Job: "f/other"}}})},
			childJob("UNSTABLE"), JobSpec{FullName: "f/other"})
		f.post("/job/p/build")
		const tree = "?tree=actions[triggeredBuilds[number,url,result],triggeredProjects[url]]"
		time.Sleep(3 * time.Second)
		// A blocking step's build is listed once it completed.
		want := `{"_class":"hudson.model.FreeStyleBuild","actions":[{"_class":"hudson.model.CauseAction"},{},{"_class":"hudson.plugins.parameterizedtrigger.BuildInfoExporterAction","triggeredBuilds":[],"triggeredProjects":[]}]}`
		if got := f.get("/job/p/1/api/json" + tree).body; got != want {
			t.Errorf("at 3s:\n%s\nwant\n%s", got, want)
		}
		time.Sleep(time.Minute)
		want = `{"_class":"hudson.model.FreeStyleBuild","actions":[{"_class":"hudson.model.CauseAction"},{},{"_class":"hudson.plugins.parameterizedtrigger.BuildInfoExporterAction","triggeredBuilds":[{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":1,"result":"UNSTABLE","url":"http://localhost:8080/jenkins/job/f/job/child/1/"}],"triggeredProjects":[{"_class":"hudson.model.FreeStyleProject","url":"http://localhost:8080/jenkins/job/f/job/other/"}]}]}`
		if got := f.get("/job/p/1/api/json" + tree).body; got != want {
			t.Errorf("at the end:\n%s\nwant\n%s", got, want)
		}
		// Depth 0 shows only the action's _class: its lists have visibility 1.
		if got := f.get("/job/p/1/api/json").body; !strings.Contains(got, `{"_class":"hudson.plugins.parameterizedtrigger.BuildInfoExporterAction"}`) {
			t.Errorf("depth 0: %s", got)
		}
	})
}

func TestDownstreamAllSteps(t *testing.T) {
	t.Parallel()
	script := Script{Duration: 10 * time.Second,
		Stages: []Stage{{Name: "Deploy", Start: time.Second, Duration: 5 * time.Second}},
		Downstream: []Downstream{
			{At: 1500 * time.Millisecond, Job: "f/child"},
			{At: 2 * time.Second, Job: "f/child", Wait: true, Propagate: true},
		}}
	tests := []struct {
		name      string
		opts      Options
		status    int
		buildStep bool
	}{
		{"current", Options{GraphView: "stages"}, http.StatusOK, true},
		{"before 877", Options{GraphView: "stages", GraphViewVersion: 876}, http.StatusOK, false},
		{"not installed", Options{}, http.StatusNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				child := childJob("SUCCESS")
				child.Concurrent = true
				f := newFixture(t, tt.opts, JobSpec{FullName: "p", Pipeline: true, Script: fixed(script)}, child)
				f.post("/job/p/build")
				time.Sleep(4 * time.Second)
				r := f.get("/job/p/1/stages/allSteps")
				wantStatus(t, "allSteps", r, tt.status)
				if tt.status != http.StatusOK {
					return
				}
				var got struct {
					Status string
					Data   struct {
						Steps         []graphStep
						RunIsComplete bool
					}
				}
				decode(t, r.body, &got)
				if got.Status != "ok" || len(got.Data.Steps) != 2 || got.Data.RunIsComplete {
					t.Fatalf("allSteps: %s", r.body)
				}
				first, second := got.Data.Steps[0], got.Data.Steps[1]
				if first.Name != "Scheduling f » child" || first.State != "success" || first.StageID != "6" ||
					second.Name != "Building f » child" || second.State != "running" {
					t.Errorf("steps: %s", r.body)
				}
				if !tt.buildStep {
					if first.BuildStep != nil || second.BuildStep != nil {
						t.Errorf("buildStep before 877: %s", r.body)
					}
					return
				}
				want := graphBuildStep{ClassicURL: "job/f/job/child/2/", PipelineViewURL: "job/f/job/child/2/stages", DisplayName: "f » child #2"}
				if second.BuildStep == nil || *second.BuildStep != want || first.BuildStep == nil || first.BuildStep.ClassicURL != "job/f/job/child/1/" {
					t.Errorf("buildStep: %s", r.body)
				}
			})
		})
	}
}

func TestDownstreamStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		pipeline   bool
		busy       bool   // the waited child's job is busy, so its item is queued at the stop
		wantWaited string // the waited child's result; "" still running, "cancelled" never built
		wantNoWait string
	}{
		{"build step, child running", true, false, "ABORTED", ""},
		{"build step, child queued", true, true, "cancelled", ""},
		{"blocking trigger, child running", false, false, "", ""},
		{"blocking trigger, child queued", false, true, "cancelled", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{},
					JobSpec{FullName: "p", Pipeline: tt.pipeline, Script: fixed(Script{Duration: 10 * time.Second, Downstream: []Downstream{
						{At: time.Second, Job: "f/waited", Wait: true, Propagate: true}, {At: time.Second, Job: "f/free"}}})},
					JobSpec{FullName: "f/waited", Pipeline: true, Script: fixed(Script{Duration: time.Minute})},
					JobSpec{FullName: "f/free", Pipeline: true, Script: fixed(Script{Duration: time.Minute})})
				if tt.busy {
					f.post("/job/f/job/waited/build")
				}
				f.post("/job/p/build")
				time.Sleep(5 * time.Second)
				f.post("/job/p/1/stop")
				time.Sleep(5 * time.Second)
				if p := f.srv.Builds("p"); len(p) != 1 || p[0].Result != "ABORTED" || p[0].Completed.IsZero() {
					t.Errorf("parent: %+v", p)
				}
				waited := f.srv.Builds("f/waited")
				if tt.busy {
					waited = waited[1:]
				}
				switch {
				case tt.wantWaited == "cancelled":
					if len(waited) != 0 {
						t.Errorf("waited child built: %+v", waited)
					}
					if q := f.get("/queue/api/json?tree=items[id]").body; q != `{"_class":"hudson.model.Queue","items":[]}` {
						t.Errorf("queue: %s", q)
					}
				case len(waited) != 1 || waited[0].Result != tt.wantWaited:
					t.Errorf("waited child: %+v, want result %q", waited, tt.wantWaited)
				}
				if free := f.srv.Builds("f/free"); len(free) != 1 || free[0].Result != tt.wantNoWait || !free[0].Completed.IsZero() {
					t.Errorf("child of a step that does not wait: %+v", free)
				}
			})
		})
	}
}

// TestDownstreamCoalesces: two build steps that ask for a busy job while
// the first request still waits in the queue get one build, which carries
// both upstream causes and answers both steps.
func TestDownstreamCoalesces(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		step := fixed(parentScript(Downstream{Wait: true, Propagate: true}))
		f := newFixture(t, Options{},
			JobSpec{FullName: "p", Pipeline: true, Concurrent: true, Script: step},
			JobSpec{FullName: "q", Script: step},
			childJob("UNSTABLE"))
		f.post("/job/f/job/child/build") // #1 runs 0-5 s: the steps' item waits
		f.post("/job/p/build")
		f.post("/job/q/build")
		time.Sleep(time.Minute)
		child := f.srv.Builds("f/child")
		if len(child) != 2 {
			t.Fatalf("child builds: %+v", child)
		}
		const tree = "?tree=actions[causes[upstreamProject,upstreamBuild]]"
		want := `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[{"_class":"hudson.model.CauseAction","causes":[{"_class":"org.jenkinsci.plugins.workflow.support.steps.build.BuildUpstreamCause","upstreamBuild":1,"upstreamProject":"p"},{"_class":"hudson.model.Cause$UpstreamCause","upstreamBuild":1,"upstreamProject":"q"}]},{},{"_class":"org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"},{}]}`
		if got := f.get("/job/f/job/child/2/api/json" + tree).body; got != want {
			t.Errorf("causes:\n%s\nwant\n%s", got, want)
		}
		// Both wait for #2 (5-10 s): the Pipeline's step fails with its
		// result, the freestyle build resumes for its last 8 s.
		for name, took := range map[string]time.Duration{"p": 10 * time.Second, "q": 18 * time.Second} {
			b := f.srv.Builds(name)
			if len(b) != 1 || b[0].Result != "UNSTABLE" || b[0].Completed.Sub(b[0].Started) != took {
				t.Errorf("%s: %+v, want UNSTABLE after %v", name, b, took)
			}
		}
		inOrder(t, f.get("/job/f/job/child/2/consoleText").body,
			"Started by upstream project \"p\" build number 1\n", "Started by upstream project \"q\" build number 1\n")
	})
}
