package jenkins

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// downstreamJobs are a Pipeline "team/up" whose build steps start
// "team/my child" (waited, at 1 s) and "other" (not waited, at 2 s), and a
// freestyle "free" whose Parameterized Trigger steps do the same.
func downstreamJobs() []jenkinstest.JobSpec {
	steps := []jenkinstest.Downstream{
		{At: time.Second, Job: "team/my child", Wait: true, Propagate: true},
		{At: 2 * time.Second, Job: "other"},
	}
	child := func(d time.Duration) func(map[string]string) jenkinstest.Script {
		return func(map[string]string) jenkinstest.Script { return jenkinstest.Script{Duration: d} }
	}
	return []jenkinstest.JobSpec{
		{FullName: "team/up", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 5 * time.Second, Downstream: steps}
		}},
		{FullName: "free", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 5 * time.Second, Downstream: steps}
		}},
		{FullName: "team/my child", Pipeline: true, Concurrent: true, Script: child(3 * time.Second)},
		{FullName: "other", Concurrent: true, Script: child(time.Minute)},
	}
}

func mustJob(t *testing.T, c *Client, name string) Job {
	t.Helper()
	j, err := ParseJob(c.base, name)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestBuildSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    jenkinstest.Options
		want    []string
		wantErr error
	}{
		{"graph view", jenkinstest.Options{GraphView: "stages"}, []string{"team/my child #1", "other #1"}, nil},
		{"graph view before 877", jenkinstest.Options{GraphView: "stages", GraphViewVersion: 876}, nil, nil},
		{"no graph view", jenkinstest.Options{}, nil, ErrNoBuildSteps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, _ := fake(t, tt.opts, fakeToken, nil, downstreamJobs()...)
				ctx := context.Background()
				up := mustJob(t, c, "team/up")
				if _, err := c.Trigger(ctx, up, TriggerRequest{}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Second)
				got, err := c.BuildSteps(ctx, up, 1)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if names := downstreamNames(got); !reflect.DeepEqual(names, tt.want) {
					t.Errorf("got %q, want %q", names, tt.want)
				}
			})
		})
	}
}

func downstreamNames(ds []Downstream) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Job.Name+" #"+itoa(d.Build))
	}
	return out
}

// itoa writes a build number, "-" for none.
func itoa(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// TestBuildStepsHostile: graph view's own error and a missing plugin mean
// no build steps; a classicUrl that leaves Jenkins is an error.
func TestBuildStepsHostile(t *testing.T) {
	t.Parallel()
	const steps = "/job/team/job/my%20pipe/7/stages/allSteps"
	tests := []struct {
		name    string
		answer  http.HandlerFunc
		want    []string
		wantErr error
		anyErr  bool
	}{
		{"status error", answerJSON(200, `{"status":"error","message":"boom"}`), nil, ErrNoBuildSteps, true},
		{"not installed", nil, nil, ErrNoBuildSteps, true},
		{"steps", answerJSON(200, `{"status":"ok","data":{"steps":[{"id":"9","buildStep":{"classicUrl":"job/a/job/b/3/","displayName":"a » b #3"}},{"id":"11"}]}}`), []string{"a/b #3"}, nil, false},
		{"classicUrl elsewhere", answerJSON(200, `{"status":"ok","data":{"steps":[{"buildStep":{"classicUrl":"https://evil.example/job/a/3/"}}]}}`), nil, nil, true},
		{"classicUrl escaping the root", answerJSON(200, `{"status":"ok","data":{"steps":[{"buildStep":{"classicUrl":"job/../../job/a/3/"}}]}}`), nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{steps: tt.answer})
				got, err := c.BuildSteps(context.Background(), pipeJob, 7)
				if (err != nil) != tt.anyErr || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if names := downstreamNames(got); !reflect.DeepEqual(names, tt.want) {
					t.Errorf("got %q, want %q", names, tt.want)
				}
				if n := s.count(steps); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
			})
		})
	}
}

func TestResolveRunURL(t *testing.T) {
	t.Parallel()
	base := mustURL(t, "https://ci.example.com/jenkins")
	c := New(base, http.DefaultClient, Options{})
	tests := []struct {
		rel, want string // want "" means refused
	}{
		{"job/team/job/my%20child/7/", "/job/team/job/my%20child/ 7"},
		{"job/a/1/", "/job/a/ 1"},
		{"job/a/job/b/", ""},
		{"/job/a/1/", ""},
		{"//evil.example/job/a/1/", ""},
		{"https://evil.example/jenkins/job/a/1/", ""},
		{"job/../../x/1/", ""},
		{"job/a/../b/1/", ""},
		{"job/a/1/?x=1", ""},
		{"job/a/1/#f", ""},
		{"queue/item/3/", ""},
		{"job/a/%zz/", ""},
		{"job//a/1/", ""},
		{"", ""},
	}
	for _, tt := range tests {
		d, err := c.resolveRunURL(tt.rel)
		got := ""
		if err == nil {
			got = d.Job.Path + " " + itoa(d.Build)
		}
		if got != tt.want {
			t.Errorf("resolveRunURL(%q) = %q (%v), want %q", tt.rel, got, err, tt.want)
		}
	}
}

func TestTriggeredBuilds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := fake(t, jenkinstest.Options{}, fakeToken, nil, downstreamJobs()...)
		ctx := context.Background()
		free := mustJob(t, c, "free")
		if _, err := c.Trigger(ctx, free, TriggerRequest{}); err != nil {
			t.Fatal(err)
		}
		// The fake's root URL (http://localhost:8080/jenkins/) is not where it
		// is served: the URLs are read under it.
		root := mustURL(t, "http://localhost:8080/jenkins/")
		time.Sleep(2 * time.Second)
		got, err := c.TriggeredBuilds(ctx, root, free, 1)
		if err != nil || len(got) != 0 {
			t.Fatalf("while the blocking child runs: %v %v", got, err)
		}
		time.Sleep(10 * time.Second)
		got, err = c.TriggeredBuilds(ctx, root, free, 1)
		if want := []string{"team/my child #1", "other #-"}; err != nil || !reflect.DeepEqual(downstreamNames(got), want) {
			t.Errorf("got %q, %v; want %q", downstreamNames(got), err, want)
		}
		if _, err := c.TriggeredBuilds(ctx, nil, free, 1); err == nil {
			t.Error("URLs under an unknown root were accepted")
		}
	})
}

func TestTriggerActionsStayOnJenkins(t *testing.T) {
	t.Parallel()
	base := mustURL(t, "https://ci.example.com/jenkins")
	root := mustURL(t, "https://jenkins.internal/")
	tests := []struct {
		name    string
		actions TriggerActions
		ok      bool
	}{
		{"under base", actionsWith("https://ci.example.com/jenkins/job/a/2/", 2, ""), true},
		{"under root", actionsWith("https://jenkins.internal/job/a/2/", 2, "https://jenkins.internal/job/b/"), true},
		{"another host", actionsWith("https://evil.example/jenkins/job/a/2/", 2, ""), false},
		{"number differs", actionsWith("https://ci.example.com/jenkins/job/a/2/", 3, ""), false},
		{"project elsewhere", actionsWith("", 0, "https://evil.example/job/b/"), false},
		{"project with a query", actionsWith("", 0, "https://jenkins.internal/job/b/?x"), false},
	}
	for _, tt := range tests {
		if _, err := tt.actions.Downstream(base, root); (err == nil) != tt.ok {
			t.Errorf("%s: error %v", tt.name, err)
		}
	}
}

func actionsWith(buildURL string, n int, projectURL string) TriggerActions {
	a := make(TriggerActions, 1)
	if buildURL != "" {
		a[0].Builds = append(a[0].Builds, &struct {
			Number int    `json:"number"`
			URL    string `json:"url"`
		}{n, buildURL})
	}
	if projectURL != "" {
		a[0].Projects = append(a[0].Projects, &struct {
			URL string `json:"url"`
		}{projectURL})
	}
	return a
}

func TestUpstreams(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		jobs := downstreamJobs()
		jobs[2].Concurrent = false // so that its second build waits in the queue
		c, _ := fake(t, jenkinstest.Options{}, fakeToken, nil, jobs...)
		ctx := context.Background()
		up, child := mustJob(t, c, "team/up"), mustJob(t, c, "team/my child")
		if _, err := c.Trigger(ctx, child, TriggerRequest{}); err != nil { // child #1 runs 0-3 s
			t.Fatal(err)
		}
		if _, err := c.Trigger(ctx, up, TriggerRequest{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(12 * time.Second)
		ups, err := c.Upstreams(ctx, child, 2)
		want := []Upstream{{Project: "team/up", Build: 1, URL: "job/team/job/up/"}}
		if err != nil || !reflect.DeepEqual(ups, want) {
			t.Errorf("upstreams of #2: %+v, %v", ups, err)
		}
		recent, err := c.RecentUpstreams(ctx, child, 10)
		wantRecent := []CausedBuild{{Number: 2, Upstreams: want}, {Number: 1}}
		if err != nil || !reflect.DeepEqual(recent, wantRecent) {
			t.Errorf("recent: %+v, %v", recent, err)
		}
	})
}

func TestUpstreamIs(t *testing.T) {
	t.Parallel()
	job := Job{Path: "/job/team/job/my%20child/", Name: "team/my child"}
	tests := []struct {
		u    Upstream
		n    int
		want bool
	}{
		{Upstream{URL: "job/team/job/my%20child/", Build: 3}, 3, true},
		{Upstream{URL: "job/team/job/my%20child/", Build: 3}, 4, false},
		{Upstream{URL: "job/team/job/my child/", Build: 3}, 3, false},
		{Upstream{URL: "job/my%20child/", Build: 3}, 3, false},
		{Upstream{URL: "job/team/job/my%20child/", Build: 0}, 0, false},
	}
	for _, tt := range tests {
		if got := tt.u.Is(job, tt.n); got != tt.want {
			t.Errorf("%+v.Is(%d) = %v", tt.u, tt.n, got)
		}
	}
}

func TestParseConsoleMentions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       []ConsoleMention
	}{
		{"build step", "[Pipeline] build\nScheduling project: team » my child\nStarting building: team » my child #7\nBuild team » my child #7 completed: FAILURE\n",
			[]ConsoleMention{{Name: "team » my child"}, {Name: "team » my child", Build: 7}, {Name: "team » my child", Build: 7, Result: "FAILURE"}}},
		{"parameterized trigger", "Waiting for the completion of a » b\na » b #3 started.\na » b #3 completed. Result was UNSTABLE\nTriggering projects: c, d\n",
			[]ConsoleMention{{Name: "a » b"}, {Name: "a » b", Build: 3}, {Name: "a » b", Build: 3, Result: "UNSTABLE"}, {Name: "c, d"}}},
		{"waitForBuild", "Waiting for a » b #3 to complete\na » b #4 already completed: ABORTED\n",
			[]ConsoleMention{{Name: "a » b", Build: 3}, {Name: "a » b", Build: 4, Result: "ABORTED"}}},
		{"ambiguous » in a name", "Starting building: x » y » z #12\r\n",
			[]ConsoleMention{{Name: "x » y » z", Build: 12}}},
		{"# in a name", "Starting building: release #2 #5\n", []ConsoleMention{{Name: "release #2", Build: 5}}},
		{"completed: in a name", "Build a completed: b #4 completed: SUCCESS\n", []ConsoleMention{{Name: "a completed: b", Build: 4, Result: "SUCCESS"}}},
		{"unknown result", "Build a #4 completed: GREAT\n", nil},
		{"bad numbers", "Starting building: a #0\nStarting building: a #-1\nStarting building: a #07\nStarting building: a #99999999999999999999\nStarting building: a\n", nil},
		{"empty name", "Scheduling project: \nStarting building:  #3\n", nil},
		{"indented", "  Scheduling project: a\n", nil},
		{"control characters", "Scheduling project: a\x1b[8mha:xyz\x1b[0m\nScheduling project: b\x00\n", nil},
		{"too long", "Scheduling project: " + strings.Repeat("a", maxMentionLine) + "\n", nil},
		{"no final newline", "Starting building: a #1", []ConsoleMention{{Name: "a", Build: 1}}},
	}
	for _, tt := range tests {
		if got := ParseConsoleMentions(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if got := (ConsoleMention{Name: "x » y » z"}).Segments(); !reflect.DeepEqual(got, []string{"x", "y", "z"}) {
		t.Errorf("segments %q", got)
	}
}

// TestConsoleMentionsFromTheFake reads the lines the fake's upstream
// consoles print.
func TestConsoleMentionsFromTheFake(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := fake(t, jenkinstest.Options{}, fakeToken, nil, downstreamJobs()...)
		ctx := context.Background()
		// One after the other: a child asked for while another request's item
		// for it still waits is merged into that one, as Jenkins does.
		for _, name := range []string{"team/up", "free"} {
			if _, err := c.Trigger(ctx, mustJob(t, c, name), TriggerRequest{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Minute)
		}
		want := map[string][]ConsoleMention{
			"team/up": {{Name: "team » my child"}, {Name: "team » my child", Build: 1}, {Name: "team » my child", Build: 1, Result: "SUCCESS"}, {Name: "other"}},
			"free":    {{Name: "team » my child"}, {Name: "team » my child", Build: 2}, {Name: "team » my child", Build: 2, Result: "SUCCESS"}, {Name: "other"}},
		}
		for name, w := range want {
			var text strings.Builder
			if _, err := c.ProgressiveText(ctx, mustJob(t, c, name), 1, 0, &text); err != nil {
				t.Fatal(err)
			}
			if got := ParseConsoleMentions(text.String()); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: got %+v, want %+v\n%s", name, got, w, text.String())
			}
		}
	})
}

func FuzzParseConsoleMentions(f *testing.F) {
	f.Add("Scheduling project: a » b\nStarting building: a » b #3\nBuild a » b #3 completed: SUCCESS\n")
	f.Add("Waiting for the completion of x\nx #1 started.\nx #1 completed. Result was FAILURE\nTriggering projects: y, z\n")
	f.Add("Starting building: #1 #2 #3\r\nBuild  #0 completed: ABORTED")
	f.Fuzz(func(t *testing.T, text string) {
		for line := range strings.Lines(text) {
			if !MayMention([]byte(line)) && len(ParseConsoleMentions(line)) > 0 {
				t.Fatalf("MayMention passes over %q, which names %+v", line, ParseConsoleMentions(line))
			}
		}
		for _, m := range ParseConsoleMentions(text) {
			if strings.TrimSpace(m.Name) == "" || m.Build < 0 || strings.ContainsAny(m.Name, "\r\n\x00\x1b") {
				t.Fatalf("mention %+v from %q", m, text)
			}
			if m.Result != "" && (m.Build == 0 || !results[m.Result]) {
				t.Fatalf("result without a build: %+v from %q", m, text)
			}
			if !strings.Contains(text, m.Name) || len(m.Name) > maxMentionLine {
				t.Fatalf("name not from the text: %+v", m)
			}
		}
	})
}
