package jenkins

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

func TestFailurePaths(t *testing.T) {
	t.Parallel()
	job := Job{Path: "/job/team/job/app/", Name: "team/app"}
	const report = "/job/team/job/app/7/testReport/"
	tests := []struct {
		name      string
		className string
		test      string
		want      string
	}{
		{"plain", "com.example.LoginTest", "testBadPassword", "com.example/LoginTest/testBadPassword/"},
		{"no package", "LoginTest", "works", "(root)/LoginTest/works/"},
		{"parameterized", "com.example.MathTest", "add[1]", "com.example/MathTest/add_1_/"},
		{"junit5 display name", "com.example.MathTest", "adds two numbers()", "com.example/MathTest/adds_two_numbers__/"},
		{"unsafe class", "pkg.Outer$Inner:x", "t", "pkg/Outer$Inner_x/t/"},
		{"space in class", "pkg.My Class", "t", "pkg/My%20Class/t/"},
		{"non-ascii letters kept", "pkg.Tëst", "prüfe", "pkg/T%C3%ABst/pr%C3%BCfe/"},
		{"outside the BMP", "pkg.T", "ok 🎉", "pkg/T/ok___/"},
		{"empty name links the class", "pkg.T", "", "pkg/T/"},
		{"empty class", "pkg.", "t", "pkg/(empty)/t/"},
		{"dot package", "..T", "t", "%2E/T/t/"},
		{"dollar and digits", "pkg.T", "$x_1", "pkg/T/$x_1/"},
		{"slash and percent", "a/b%c.T", "t", "a_b_c/T/t/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &testReport{Suites: []testSuite{{Cases: []testCase{{ClassName: tt.className, Name: tt.test, Status: "FAILED"}}}}}
			got := r.failures(job, 7)
			if len(got) != 1 || got[0] != report+tt.want {
				t.Fatalf("Failures = %+v, want path %s", got, report+tt.want)
			}
		})
	}
}

func TestFailuresOnlyFailedAndUniquified(t *testing.T) {
	t.Parallel()
	job := Job{Path: "/job/x/", Name: "x"}
	r := &testReport{Suites: []testSuite{
		{Name: "s1", Cases: []testCase{
			{ClassName: "p.T", Name: "a[1]", Status: "FAILED"},
			{ClassName: "p.T", Name: "ok", Status: "PASSED"},
			{ClassName: "p.T", Name: "a(1)", Status: "REGRESSION"},
			{ClassName: "p.T", Name: "skip", Status: "SKIPPED"},
			{ClassName: "p.T", Name: "fixed", Status: "FIXED"},
		}},
		{Name: "s2", Cases: []testCase{{ClassName: "p.U", Name: "a[1]", Status: "FAILED"}}},
	}}
	var got []string
	for _, f := range r.failures(job, 3) {
		got = append(got, strings.TrimPrefix(f, "/job/x/3/testReport/"))
	}
	want := []string{"p/T/a_1_/", "p/T/a_1__2/", "p/U/a_1_/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("paths = %v, want %v", got, want)
	}
}

func TestTestReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		wantNil bool
		wantErr string
	}{
		{"report", 200, `{"_class":"hudson.tasks.junit.TestResult","duration":1.5,"failCount":1,"passCount":2,"skipCount":1,"suites":[{"name":"s","duration":1.5,"timestamp":null,"cases":[{"className":"p.T","name":"t","status":"FAILED","duration":0.5,"errorDetails":"boom","errorStackTrace":"at p.T.t","skippedMessage":null}]}]}`, false, ""},
		{"no tests", 404, "Not found", true, ""},
		{"forbidden", 403, "Access denied", false, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var gotTree string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/ci/job/x/7/testReport/api/json" {
					http.NotFound(w, r)
					return
				}
				gotTree = r.URL.Query().Get("tree")
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			base, _ := url.Parse(srv.URL + "/ci")
			c := New(base, srv.Client(), Options{})
			r, err := c.TestReport(context.Background(), Job{Path: "/job/x/", Name: "x"}, 7)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "read test report of x #7: ") {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tt.wantNil:
				if r != nil {
					t.Fatalf("report = %+v, want nil", r)
				}
				return
			}
			if gotTree != testReportTree {
				t.Errorf("tree = %q", gotTree)
			}
			c0 := r.Suites[0].Cases[0]
			if r.Total() != 4 || len(r.Suites) != 1 || c0.ErrorDetails != "boom" || c0.Status != build.TestFailed || c0.URL != srv.URL+"/ci/job/x/7/testReport/p/T/t/" {
				t.Errorf("report = %+v", r)
			}
		})
	}
}

// FuzzFailurePaths checks that any test and class name gives a page path
// that stays below the build's test report, with a package, a class and
// (when the test has a name) a test segment.
func FuzzFailurePaths(f *testing.F) {
	for _, s := range [][2]string{{"com.example.T", "t"}, {"", ""}, {"a/b.c\\d", "x/../y"}, {"..", ".."}, {"p.%2F", "%"}} {
		f.Add(s[0], s[1])
	}
	job := Job{Path: "/job/x/", Name: "x"}
	f.Fuzz(func(t *testing.T, className, name string) {
		r := &testReport{Suites: []testSuite{{Cases: []testCase{{ClassName: className, Name: name, Status: "FAILED"}}}}}
		p := r.failures(job, 1)[0]
		rest, ok := strings.CutPrefix(p, "/job/x/1/testReport/")
		if !ok || !strings.HasSuffix(rest, "/") {
			t.Fatalf("path %q", p)
		}
		segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
		if want := min(len(name), 1) + 2; len(segs) != want {
			t.Fatalf("path %q has %d segments", p, len(segs))
		}
		for _, s := range segs {
			if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "?#\\ ") {
				t.Fatalf("bad segment %q in %q", s, p)
			}
		}
		if _, err := url.Parse("http://h" + p); err != nil {
			t.Fatalf("path %q: %v", p, err)
		}
	})
}

// failures are the paths of the pages of build n's failed tests, in
// report order.
func (r *testReport) failures(job Job, n int) []string {
	var out []string
	pages := newPageNamer(job, n)
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			if path := pages.path(c); c.Failed() {
				out = append(out, path)
			}
		}
	}
	return out
}
