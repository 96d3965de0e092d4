package jenkins

import (
	"net/url"
	"strings"
	"testing"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestParseJob(t *testing.T) {
	t.Parallel()
	base := mustURL(t, "https://ci.example.com/jenkins")
	tests := []struct {
		in, path, name string
	}{
		{"deploy", "/job/deploy/", "deploy"},
		{"team/app/deploy", "/job/team/job/app/job/deploy/", "team/app/deploy"},
		{"/team/app/", "/job/team/job/app/", "team/app"},
		{"my folder/hello world", "/job/my%20folder/job/hello%20world/", "my folder/hello world"},
		{"équipe/déployer", "/job/%C3%A9quipe/job/d%C3%A9ployer/", "équipe/déployer"},
		{"repo/feature%2Flogin", "/job/repo/job/feature%252Flogin/", "repo/feature%2Flogin"},
		{"a+b/x=y@z", "/job/a+b/job/x=y@z/", "a+b/x=y@z"},
		{"https://ci.example.com/jenkins/job/team/job/app/", "/job/team/job/app/", "team/app"},
		{"https://ci.example.com/jenkins/job/repo/job/feature%252Flogin", "/job/repo/job/feature%252Flogin/", "repo/feature%2Flogin"},
		{"https://CI.example.com/jenkins/job/my%20folder/job/x/", "/job/my%20folder/job/x/", "my folder/x"},
	}
	for _, tt := range tests {
		job, err := ParseJob(base, tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if job.Path != tt.path || job.Name != tt.name {
			t.Errorf("%q: got %q %q, want %q %q", tt.in, job.Path, job.Name, tt.path, tt.name)
		}
	}
}

func TestParseJobRejects(t *testing.T) {
	t.Parallel()
	base := mustURL(t, "https://ci.example.com/jenkins")
	for in, msg := range map[string]string{
		"":       "empty",
		"a//b":   "empty folder",
		"a/../b": `".."`,
		"https://other.example.com/jenkins/job/x/": "not under",
		"https://ci.example.com/job/x/":            "not a job under",
		"https://ci.example.com/jenkins/view/x/":   "not a job under",
		"https://ci.example.com/jenkins/job/x/42/": "does not end at a job",
		"https://ci.example.com/jenkins/job/x/job": "does not end at a job",
	} {
		if _, err := ParseJob(base, in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: err = %v, want %q", in, err, msg)
		}
	}
}

// FuzzParseJob checks that every accepted name maps to a path Jenkins'
// router splits back into exactly the same names.
func FuzzParseJob(f *testing.F) {
	for _, s := range []string{"a/b", "repo/feature%2Flogin", "x y/é", "https://ci.example.com/jenkins/job/a/job/b/", "a?b#c;d"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://ci.example.com/jenkins")
	f.Fuzz(func(t *testing.T, s string) {
		job, err := ParseJob(base, s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(job.Path, "/job/") || !strings.HasSuffix(job.Path, "/") {
			t.Fatalf("path %q", job.Path)
		}
		segs := strings.Split(strings.Trim(job.Path, "/"), "/")
		var names []string
		for i := 0; i < len(segs); i += 2 {
			if segs[i] != "job" {
				t.Fatalf("path %q", job.Path)
			}
			if strings.ContainsAny(segs[i+1], "?#/ ") {
				t.Fatalf("unescaped segment %q", segs[i+1])
			}
			n, err := url.PathUnescape(segs[i+1])
			if err != nil {
				t.Fatalf("segment %q: %v", segs[i+1], err)
			}
			names = append(names, n)
		}
		if got := strings.Join(names, "/"); got != job.Name {
			t.Fatalf("path %q decodes to %q, want %q", job.Path, got, job.Name)
		}
	})
}

func TestQueueIDFromLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		id int
		ok bool
	}{
		{"http://localhost:8080/queue/item/412/", 412, true},
		{"https://ci.example.com/jenkins/queue/item/7", 7, true},
		{"/jenkins/queue/item/9/", 9, true},
		{"https://ci.example.com/job/test-job/", 0, false},
		{"https://ci.example.com/queue/item/abc/", 0, false},
		{"https://ci.example.com/queue/item/0/", 0, false},
		{"https://ci.example.com/queue/item/12/api/json", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		id, ok := queueIDFromLocation(tt.in)
		if id != tt.id || ok != tt.ok {
			t.Errorf("%q: got %d %v, want %d %v", tt.in, id, ok, tt.id, tt.ok)
		}
	}
}

func FuzzQueueIDFromLocation(f *testing.F) {
	for _, s := range []string{"http://h/queue/item/1/", "/queue/item/99999999999999999999/", "%", "http://h/job/x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, ok := queueIDFromLocation(s); ok && (id <= 0 || !strings.Contains(s, "queue/item/")) {
			t.Fatalf("%q gave %d", s, id)
		}
	})
}

// TestIsTask: a queue item's task is the job only when the path before the
// job's is Jenkins' context path, not a folder of another job.
func TestIsTask(t *testing.T) {
	t.Parallel()
	deploy := Job{Path: "/job/deploy/", Name: "deploy"}
	teamDeploy := Job{Path: "/job/team/job/deploy/", Name: "team/deploy"}
	for _, tt := range []struct {
		job  Job
		task string
		want bool
	}{
		{deploy, "https://ci.example.com/jenkins/job/deploy/", true},
		{deploy, "https://ci.example.com/job/deploy/", true},
		{deploy, "https://ci.example.com/jenkins/job/team/job/deploy/", false},
		{teamDeploy, "https://ci.example.com/jenkins/job/team/job/deploy/", true},
		{teamDeploy, "https://ci.example.com/jenkins/job/org/job/team/job/deploy/", false},
		{deploy, "https://ci.example.com/jenkins/job/deploy-2/", false},
		{deploy, "%zz", false},
	} {
		if got := tt.job.IsTask(tt.task); got != tt.want {
			t.Errorf("%s IsTask(%q) = %v, want %v", tt.job.Name, tt.task, got, tt.want)
		}
	}
}
