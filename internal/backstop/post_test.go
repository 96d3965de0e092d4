package backstop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// stubJenkins answers from fixed queue items and builds, and records what
// is asked of it.
type stubJenkins struct {
	items  map[int]*jenkins.QueueItem
	builds map[int]*jenkins.Build
	queue  jenkins.Queue
	recent []jenkins.BuildRef
	asked  []string
}

func (s *stubJenkins) QueueItem(_ context.Context, id int) (*jenkins.QueueItem, error) {
	s.asked = append(s.asked, fmt.Sprintf("read item %d", id))
	if it, ok := s.items[id]; ok {
		return it, nil
	}
	return nil, &jenkins.HTTPError{Status: 404}
}

func (s *stubJenkins) QueueTasks(context.Context) (*jenkins.Queue, error) {
	s.asked = append(s.asked, "read queue")
	return &s.queue, nil
}

func (s *stubJenkins) CancelQueueItem(_ context.Context, id int) error {
	s.asked = append(s.asked, fmt.Sprintf("cancel item %d", id))
	return nil
}

func (s *stubJenkins) Build(_ context.Context, _ jenkins.Job, n int) (*jenkins.Build, error) {
	s.asked = append(s.asked, fmt.Sprintf("read build %d", n))
	return s.builds[n], nil
}

func (s *stubJenkins) RecentBuilds(context.Context, jenkins.Job, int) ([]jenkins.BuildRef, error) {
	s.asked = append(s.asked, "read recent builds")
	return s.recent, nil
}

func (s *stubJenkins) StopBuild(_ context.Context, _ jenkins.Job, n int) error {
	s.asked = append(s.asked, fmt.Sprintf("stop build %d", n))
	return nil
}

type quiet struct{}

func (quiet) Status(string, ...any)  {}
func (quiet) Warning(string, ...any) {}

func TestPost(t *testing.T) {
	t.Parallel()
	job := jenkins.Job{Path: "/job/deploy/", Name: "deploy"}
	no, yes := false, true
	running := &jenkins.Build{Number: 4, Building: true}
	waiting := func(id int, since int64) jenkins.Waiting {
		w := jenkins.Waiting{ID: id, InQueueSince: since}
		w.Task.URL = "https://jenkins.example/job/deploy/"
		return w
	}
	for _, tt := range []struct {
		name  string
		rec   Record
		stub  stubJenkins
		asked []string
	}{
		{"a step that ended", Record{Ended: true, Builds: []Owned{{Job: job, Build: 4}}}, stubJenkins{}, nil},
		{"a build seen to end", Record{Builds: []Owned{{Job: job, Build: 4, Done: true}}}, stubJenkins{}, nil},
		{"a running build", Record{Builds: []Owned{{Job: job, Queue: 9, Build: 4}}},
			stubJenkins{builds: map[int]*jenkins.Build{4: running}}, []string{"read build 4", "stop build 4"}},
		{"a finished build", Record{Builds: []Owned{{Job: job, Build: 4}}},
			stubJenkins{builds: map[int]*jenkins.Build{4: {Number: 4}}}, []string{"read build 4"}},
		{"a waiting item", Record{Builds: []Owned{{Job: job, Queue: 9}}},
			stubJenkins{items: map[int]*jenkins.QueueItem{9: {ID: 9}}}, []string{"read item 9", "cancel item 9"}},
		{"an item that started", Record{Builds: []Owned{{Job: job, Queue: 9}}},
			stubJenkins{items: map[int]*jenkins.QueueItem{9: {ID: 9, Cancelled: &no, Executable: running}}}, []string{"read item 9", "stop build 4"}},
		{"a cancelled item", Record{Builds: []Owned{{Job: job, Queue: 9}}},
			stubJenkins{items: map[int]*jenkins.QueueItem{9: {ID: 9, Cancelled: &yes}}}, []string{"read item 9"}},
		{"an unanswered trigger's one item", Record{Builds: []Owned{{Job: job, SentMS: 10_000}}},
			stubJenkins{queue: jenkins.Queue{Items: []jenkins.Waiting{waiting(3, 1_000), waiting(9, 9_500)}}, items: map[int]*jenkins.QueueItem{9: {ID: 9}}},
			[]string{"read queue", "read item 9", "cancel item 9"}},
		{"an unanswered trigger's two items", Record{Builds: []Owned{{Job: job, SentMS: 10_000}}},
			stubJenkins{queue: jenkins.Queue{Items: []jenkins.Waiting{waiting(8, 10_100), waiting(9, 10_200)}}},
			[]string{"read queue"}},
		{"an unanswered trigger's one build", Record{Builds: []Owned{{Job: job, SentMS: 10_000}}},
			stubJenkins{recent: []jenkins.BuildRef{{Number: 4, Timestamp: 11_000}, {Number: 3, Timestamp: 2_000}}, builds: map[int]*jenkins.Build{4: running}},
			[]string{"read queue", "read recent builds", "read build 4", "stop build 4"}},
		{"a trigger that never reached Jenkins", Record{Builds: []Owned{{Job: job, SentMS: 10_000}}},
			stubJenkins{}, []string{"read queue", "read recent builds"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Post(context.Background(), &tt.stub, tt.rec, quiet{}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tt.stub.asked, tt.asked) {
				t.Errorf("asked %q, want %q", tt.stub.asked, tt.asked)
			}
		})
	}
}

// TestSavedAndLoaded: the record a step saves beside its dotenv file is
// the one the post mode reads, the last save winning; with nowhere to save
// there is no saver and nothing to read.
func TestSavedAndLoaded(t *testing.T) {
	t.Parallel()
	dotenv := t.TempDir() + "/jenkins.env"
	none := func(string) string { return "" }
	if Where(none, "") != nil {
		t.Error("a saver with nowhere to save")
	}
	if _, found, err := Load(none, dotenv); found || err != nil {
		t.Errorf("found a record before any save: %v", err)
	}
	s := Where(none, dotenv)
	want := Record{Builds: []Owned{{Job: jenkins.Job{Path: "/job/a/", Name: "a"}, Queue: 3, Build: 7}}}
	for _, r := range []Record{{Builds: []Owned{}}, want} {
		if err := s.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	got, found, err := Load(none, dotenv)
	if err != nil || !found || !slices.Equal(got.Builds, want.Builds) || got.Ended {
		t.Errorf("loaded %+v, %v, %v; want %+v", got, found, err, want)
	}
}

// TestFallbackFile: on a runner with GITHUB_STATE the record is also kept
// in a file beside it, named from GITHUB_ACTION, which the post mode reads
// when the runner hands it no STATE_jenkins_trigger, as act does a docker
// action's post step; STATE_jenkins_trigger, when set, wins.
func TestFallbackFile(t *testing.T) {
	t.Parallel()
	job := jenkins.Job{Path: "/job/a/", Name: "a"}
	killed := Record{Builds: []Owned{{Job: job, Queue: 3, Build: 7}}}
	ended := Record{Ended: true, Builds: []Owned{}}
	for _, tt := range []struct {
		name   string
		action string // GITHUB_ACTION
		saved  *Record
		state  string // STATE_jenkins_trigger
		want   *Record
	}{
		{"the file, with no STATE_", "deploy", &killed, "", &killed},
		{"STATE_ over the file", "deploy", &killed, `{"ended":true,"builds":[]}`, &ended},
		{"STATE_ alone", "", &killed, `{"ended":true,"builds":[]}`, &ended},
		{"no file without GITHUB_ACTION", "", &killed, "", nil},
		{"an action that is not a file name", "../x/y z", &killed, "", &killed},
		{"nothing saved", "deploy", nil, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{
				"GITHUB_ACTIONS": "true",
				"GITHUB_ACTION":  tt.action,
				"GITHUB_STATE":   filepath.Join(dir, "statecmd.txt"),
			}
			getenv := func(k string) string { return env[k] }
			if tt.saved != nil {
				if err := Where(getenv, "").Save(*tt.saved); err != nil {
					t.Fatal(err)
				}
			}
			// The post step: a new, empty GITHUB_STATE in the same
			// directory, as act and GitHub's runner give.
			if err := os.WriteFile(env["GITHUB_STATE"], nil, 0o644); err != nil {
				t.Fatal(err)
			}
			env["STATE_jenkins_trigger"] = tt.state
			got, found, err := Load(getenv, "")
			switch {
			case err != nil:
				t.Fatal(err)
			case tt.want == nil && found:
				t.Errorf("found %+v, want nothing", got)
			case tt.want != nil && (!found || got.Ended != tt.want.Ended || !slices.Equal(got.Builds, tt.want.Builds)):
				t.Errorf("loaded %+v, %v; want %+v", got, found, *tt.want)
			}
			if err := Forget(getenv); err != nil {
				t.Fatal(err)
			}
			left, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[0].Name() != "statecmd.txt" {
				t.Errorf("after Forget the directory holds %v, want only statecmd.txt", left)
			}
		})
	}
}

// TestLoadedWhereSaved: the post mode finds the record wherever the step
// kept it, on GitHub-like runners without GITHUB_STATE too.
func TestLoadedWhereSaved(t *testing.T) {
	t.Parallel()
	rec := Record{Builds: []Owned{{Job: jenkins.Job{Path: "/job/a/", Name: "a"}, Queue: 3}}}
	for name, env := range map[string]map[string]string{
		"GitHub without GITHUB_STATE": {"GITHUB_ACTIONS": "true"},
		"elsewhere":                   {},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dotenv := filepath.Join(t.TempDir(), "outputs.env")
			getenv := func(k string) string { return env[k] }
			if err := Where(getenv, dotenv).Save(rec); err != nil {
				t.Fatal(err)
			}
			got, found, err := Load(getenv, dotenv)
			if err != nil || !found || len(got.Builds) != 1 || got.Builds[0].Queue != 3 {
				t.Errorf("Load = %+v, %v, %v; want the saved record", got, found, err)
			}
		})
	}
}
