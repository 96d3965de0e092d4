package jenkins

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://ci.example.com/jenkins")
	tests := []struct {
		raw, root string
		want      Location
		wantErr   string
	}{
		{raw: "https://ci.example.com/jenkins/job/team/job/app/42/", want: Location{Job: Job{Path: "/job/team/job/app/", Name: "team/app"}, Build: 42}},
		{raw: "https://ci.example.com/jenkins/job/deploy/7", want: Location{Job: Job{Path: "/job/deploy/", Name: "deploy"}, Build: 7}},
		{raw: "https://ci.example.com/jenkins/job/repo/job/feature%252Flogin/3/", want: Location{Job: Job{Path: "/job/repo/job/feature%252Flogin/", Name: "repo/feature%2Flogin"}, Build: 3}},
		{raw: "https://ci.example.com/jenkins/job/my%20app/1/", want: Location{Job: Job{Path: "/job/my%20app/", Name: "my app"}, Build: 1}},
		{raw: "https://ci.example.com/jenkins/queue/item/123/", want: Location{Queue: 123}},
		{raw: "HTTPS://CI.example.com:443/jenkins/job/deploy/9/", want: Location{Job: Job{Path: "/job/deploy/", Name: "deploy"}, Build: 9}},
		{raw: "https://alice:pw@ci.example.com/jenkins/job/deploy/9/", want: Location{Job: Job{Path: "/job/deploy/", Name: "deploy"}, Build: 9}},
		// Under Jenkins' own root URL, which the runner may not reach.
		{raw: "http://jenkins.internal:8080/jenkins/job/deploy/9/", root: "http://jenkins.internal:8080/jenkins/", want: Location{Job: Job{Path: "/job/deploy/", Name: "deploy"}, Build: 9}},
		{raw: "http://jenkins.internal/ci/queue/item/5/", root: "http://jenkins.internal/ci", want: Location{Queue: 5}},
		{raw: "http://jenkins.internal/job/deploy/9/", root: "http://jenkins.internal/", want: Location{Job: Job{Path: "/job/deploy/", Name: "deploy"}, Build: 9}},
		// Any other host names another Jenkins, whatever its path.
		{raw: "http://jenkins.internal:8080/jenkins/job/deploy/9/", wantErr: "is not under the url input (https://ci.example.com/jenkins), and Jenkins reports no root URL of its own"},
		{raw: "http://other.example/jenkins/job/deploy/9/", root: "http://jenkins.internal:8080/jenkins/", wantErr: "is under neither the url input (https://ci.example.com/jenkins) nor the root URL Jenkins reports for itself (http://jenkins.internal:8080/jenkins/)"},
		{raw: "http://jenkins.internal:8081/jenkins/job/deploy/9/", root: "http://jenkins.internal:8080/jenkins/", wantErr: "is under neither"},
		{raw: "https://jenkins.internal:8080/jenkins/job/deploy/9/", root: "http://jenkins.internal:8080/jenkins/", wantErr: "is under neither"},
		{raw: "http://jenkins.internal:8080/other/job/deploy/9/", root: "http://jenkins.internal:8080/jenkins/", wantErr: "is under neither"},
		{raw: "https://ci.example.com:8443/jenkins/job/deploy/9/", wantErr: "Jenkins reports no root URL of its own"},
		{raw: "http://ci.example.com/jenkins/job/deploy/9/", wantErr: "Jenkins reports no root URL of its own"},
		{raw: "https://ci.example.com@evil.example/jenkins/job/deploy/9/", wantErr: "Jenkins reports no root URL of its own"},
		{raw: "https://ci.example.com/jenkins/job/deploy/", wantErr: "is a job URL, not a build URL"},
		{raw: "https://ci.example.com/jenkins/job/deploy/lastBuild/", wantErr: "must end with the build number"},
		{raw: "https://ci.example.com/jenkins/job/deploy/007/", wantErr: "must end with the build number"},
		{raw: "https://ci.example.com/jenkins/job/deploy/0/", wantErr: "must end with the build number"},
		{raw: "https://ci.example.com/jenkins/queue/item/0/", wantErr: "without a valid item number"},
		{raw: "https://ci.example.com/other/job/deploy/1/", wantErr: "is not under the url input"},
		{raw: "https://ci.example.com/jenkinsx/job/deploy/1/", wantErr: "is not under the url input"},
		{raw: "https://ci.example.com/jenkins/job/deploy/1/?x=1", wantErr: "has a query or fragment"},
		{raw: "deploy #1", wantErr: "is not a URL"},
		{raw: "https://ci.example.com/jenkins/view/all/job/deploy/1/", wantErr: "is neither a build URL"},
		{raw: "https://ci.example.com/jenkins/job/../1/", wantErr: `has ".." as a name`},
	}
	for _, tt := range tests {
		var root *url.URL
		if tt.root != "" {
			root, _ = url.Parse(tt.root)
		}
		got, err := Locate(base, root, tt.raw)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Locate(%q) error = %v, want %q", tt.raw, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Locate(%q): %v", tt.raw, err)
		case got != tt.want:
			t.Errorf("Locate(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}

// FuzzLocate: what Locate accepts is a build of a job under base or
// Jenkins' own root URL, or a queue item, and the URL the tool itself would
// give for it, under base, locates the same thing again.
func FuzzLocate(f *testing.F) {
	for _, s := range []string{
		"https://ci.example.com/jenkins/job/team/job/app/42/",
		"https://ci.example.com/jenkins/queue/item/123/",
		"https://ci.example.com/jenkins/job/repo/job/feature%252Flogin/3/",
		"http://x/jenkins/job/a%2Fb/job/%2e%2e/1",
		"https://ci.example.com/jenkins/job/deploy/",
		"http://jenkins.internal:8080/ci/job/deploy/3/",
		"http://jenkins.internal:8080/jenkins/job/deploy/3/",
	} {
		f.Add(s)
	}
	base, _ := url.Parse("https://ci.example.com/jenkins")
	root, _ := url.Parse("http://jenkins.internal:8080/ci/")
	c := New(base, &http.Client{}, Options{})
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := Locate(base, root, raw)
		if err != nil {
			return
		}
		var again string
		switch {
		case loc.Queue > 0 && loc.Build == 0 && loc.Job.Path == "":
			again = c.URL(QueuePath(loc.Queue))
		case loc.Build > 0 && loc.Queue == 0 && strings.HasPrefix(loc.Job.Path, "/job/") && strings.HasSuffix(loc.Job.Path, "/"):
			again = c.URL(BuildPath(loc.Job, loc.Build))
		default:
			t.Fatalf("Locate(%q) = %+v", raw, loc)
		}
		back, err := Locate(base, nil, again)
		if err != nil || back != loc {
			t.Fatalf("Locate(%q) = %+v, but its URL %q locates %+v, %v", raw, loc, again, back, err)
		}
	})
}

// TestRootURL: the root URL Jenkins reports for itself, or none when it
// has none configured.
func TestRootURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts jenkinstest.Options
		want string
	}{
		{"configured", jenkinstest.Options{RootURL: "https://ci.example.com/jenkins/"}, "https://ci.example.com/jenkins/"},
		{"not configured", jenkinstest.Options{NoRootURL: true}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, _ := fake(t, tt.opts, fakeToken, nil)
				root, err := c.RootURL(context.Background())
				switch {
				case err != nil:
					t.Fatal(err)
				case tt.want == "" && root != nil:
					t.Errorf("root URL %s, want none", root)
				case tt.want != "" && (root == nil || root.String() != tt.want):
					t.Errorf("root URL %v, want %s", root, tt.want)
				}
			})
		})
	}
}
