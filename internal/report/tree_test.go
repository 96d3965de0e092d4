package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// treeBuild is a build of job at number, started by upstream ("" for the
// step's own), ending with result.
func treeBuild(job string, number int, upstream string, result build.Result) BuildSummary {
	return BuildSummary{Job: job, JobURL: "https://ci/job/" + job + "/", Number: number, URL: fmt.Sprintf("https://ci/job/%s/%d/", job, number),
		Upstream: upstream, Result: result}
}

// TestGoldenTree renders steps with downstream builds: the table nests
// them, the chart puts their bars in their top build's section, and the
// build that really failed heads the summary and its section comes first.
func TestGoldenTree(t *testing.T) {
	t.Parallel()
	const t0 = int64(1_790_000_000_000)
	mask := func(s string) string { return strings.ReplaceAll(s, "s3cr_t", "***") }

	all := treeBuild("team/deploy-all", 7, "", build.Failure)
	all.Duration, all.QueueTime, all.FailedStage = "1m10s", "1s", "Deploy EU"
	all.Params = []build.Param{{Name: "VERSION", Value: "1.2.3"}}
	all.Stages = []build.Stage{
		{Name: "Build", Status: build.StageSuccess, StartMS: t0 + 2000, DurationMS: 3000},
		{Name: "Deploy EU", Parent: "Deploy", Status: build.StageFailed, StartMS: t0 + 5000, DurationMS: 60_000},
		{Name: "Deploy US", Parent: "Deploy", Status: build.StageSuccess, StartMS: t0 + 5000, DurationMS: 20_000},
	}
	all.Timeline = Timeline{Queued: t0, Started: t0 + 1000, Ended: t0 + 71_000}
	eu := treeBuild("team/deploy-eu", 14, all.URL, build.Failure)
	eu.Duration, eu.QueueTime, eu.FailedStage = "58s", "1s", "Migrate"
	eu.Params = []build.Param{{Name: "REGION", Value: "eu"}}
	eu.Stages = []build.Stage{
		{Name: "Plan", Status: build.StageSuccess, StartMS: t0 + 7000, DurationMS: 4000},
		{Name: "Migrate", Status: build.StageFailed, StartMS: t0 + 11_000, DurationMS: 50_000},
	}
	eu.Timeline = Timeline{Queued: t0 + 5200, Started: t0 + 6200, Ended: t0 + 64_200}
	us := treeBuild("team/deploy-us", 9, all.URL, build.Success)
	us.Duration, us.QueueTime = "19s", "500ms"
	us.Timeline = Timeline{Queued: t0 + 5300, Started: t0 + 5800, Ended: t0 + 24_800}
	db := treeBuild("team/db-migrate", 31, eu.URL, build.Failure)
	db.Duration, db.QueueTime, db.FailedStage = "45s", "2s", "Apply s3cr_t"
	db.Stages = []build.Stage{{Name: "Apply s3cr_t", Status: build.StageFailed, StartMS: t0 + 14_000, DurationMS: 44_000}}
	db.Tests = &build.TestRun{Passed: 4, Failed: 1, URL: db.URL + "testReport/", Suites: []build.TestSuite{{Name: "migrations", Cases: []build.TestCase{
		{ClassName: "migrations.V42", Name: "applies", Status: build.TestFailed, URL: db.URL + "testReport/migrations/V42/applies/",
			ErrorDetails: "ERROR: relation \"users\" already exists | password s3cr_t"},
	}}}}
	db.Timeline = Timeline{Queued: t0 + 11_500, Started: t0 + 13_500, Ended: t0 + 58_500}

	pkg := treeBuild("team/package", 3, "", build.Success)
	pkg.Duration, pkg.QueueTime = "30s", "1s"
	pkg.Timeline = Timeline{Queued: t0, Started: t0 + 1000, Ended: t0 + 31_000}
	publish := treeBuild("team/publish", 5, pkg.URL, build.Success)
	publish.Duration, publish.QueueTime = "10s", "3s"
	publish.Timeline = Timeline{Queued: t0 + 20_000, Started: t0 + 23_000, Ended: t0 + 33_000}

	smoke := treeBuild("team/smoke-us", 2, "https://ci/job/team/deploy-us/7/", build.Failure)
	smoke.Tests = &build.TestRun{Failed: 1, URL: smoke.URL + "testReport/", Suites: []build.TestSuite{{Name: "smoke", Cases: []build.TestCase{
		{ClassName: "smoke.Api", Name: "health", Status: build.TestFailed, ErrorDetails: "503\nService Unavailable"},
	}}}}
	cleanup := treeBuild("team/cleanup", 40, "https://ci/job/team/gone/1/", build.Aborted)
	cleanupDB := treeBuild("team/cleanup-db", 41, cleanup.URL, build.Success)

	for _, tt := range []struct {
		name   string
		failed string // the build that really failed, as flow decides it
		builds []BuildSummary
	}{
		{"summary-tree-orchestrator.md", db.URL, []BuildSummary{all, eu, us, db}},
		{"summary-tree-freestyle.md", "", []BuildSummary{pkg, publish}},
		{"summary-tree-orphan.md", smoke.URL, []BuildSummary{
			treeBuild("team/deploy-eu", 12, "", build.Success),
			func() BuildSummary {
				b := treeBuild("team/deploy-us", 7, "", build.Failure)
				b.URL, b.FailedStage = "https://ci/job/team/deploy-us/7/", "Smoke"
				return b
			}(),
			cleanupDB, smoke, cleanup,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md := Summary{Builds: tt.builds, Failed: tt.failed}.markdown(mask)
			if strings.Contains(md, "s3cr") {
				t.Errorf("secret shown:\n%s", md)
			}
			golden(t, tt.name, md)
		})
	}
}

// TestNest places builds whose upstreams Jenkins may have told oddly:
// unknown, looping, the build itself, or a URL two builds share.
func TestNest(t *testing.T) {
	t.Parallel()
	a := treeBuild("a", 1, "", build.Success)
	b := treeBuild("b", 1, a.URL, build.Success)
	c := treeBuild("c", 1, b.URL, build.Success)
	loop1 := treeBuild("l1", 1, "https://ci/job/l2/1/", build.Success)
	loop2 := treeBuild("l2", 1, loop1.URL, build.Success)
	self := treeBuild("s", 1, "https://ci/job/s/1/", build.Success)
	orphan := treeBuild("o", 1, "https://ci/job/gone/1/", build.Success)
	orphanChild := treeBuild("oc", 1, orphan.URL, build.Success)
	twin := a
	twin.Job = "twin"
	for _, tt := range []struct {
		name   string
		builds []BuildSummary
		want   string // job:depth, in table order
	}{
		{"chain", []BuildSummary{a, c, b}, "a:0 b:1 c:2"},
		{"own first", []BuildSummary{b, a, treeBuild("z", 1, "", build.Success)}, "a:0 b:1 z:0"},
		{"unknown upstream last, with its own below it", []BuildSummary{orphanChild, a, orphan}, "a:0 o:0 oc:1"},
		{"loop", []BuildSummary{a, loop2, loop1}, "a:0 l2:0 l1:1"},
		{"itself", []BuildSummary{a, self}, "a:0 s:0"},
		{"shared URL", []BuildSummary{a, twin, b}, "a:0 b:1 twin:0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range nest(tt.builds, "").rows {
				got = append(got, fmt.Sprintf("%s:%d", r.Job, r.depth))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("rows = %s, want %s", g, tt.want)
			}
		})
	}
}

// TestCulprit: the summary heads with the downstream build the step
// says really failed (flow decides it, by build.Culprit, for the outputs
// too), below the build of the step's own at the top of its tree; a build
// of the step's own, one the summary does not hold, or one below an
// unknown upstream heads nothing.
func TestCulprit(t *testing.T) {
	t.Parallel()
	own := treeBuild("own", 1, "", build.Failure)
	child := treeBuild("c1", 1, own.URL, build.Failure)
	grandchild := treeBuild("g1", 1, child.URL, build.Failure)
	other := treeBuild("other", 1, "", build.Aborted)
	orphan := treeBuild("o", 1, "https://ci/job/gone/1/", build.Failure)
	for _, tt := range []struct {
		name         string
		builds       []BuildSummary
		failed       string
		want, wantOf string // "" when none
	}{
		{"none failed", []BuildSummary{own, child}, "", "", ""},
		{"a child", []BuildSummary{own, child}, child.URL, "c1", "own"},
		{"a grandchild", []BuildSummary{own, child, grandchild}, grandchild.URL, "g1", "own"},
		{"below the second own build", []BuildSummary{other, own, child}, child.URL, "c1", "own"},
		{"an own build", []BuildSummary{own, child}, own.URL, "", ""},
		{"not in the summary", []BuildSummary{own, child}, "https://ci/job/else/1/", "", ""},
		{"below an unknown upstream", []BuildSummary{own, orphan}, orphan.URL, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got, of string
			if tr := nest(tt.builds, tt.failed); tr.culprit >= 0 {
				got, of = tr.rows[tr.culprit].Job, tr.rows[tr.of].Job
			}
			if got != tt.want || of != tt.wantOf {
				t.Errorf("culprit %q below %q, want %q below %q", got, of, tt.want, tt.wantOf)
			}
		})
	}
}

// TestIndent: each level indents its row, up to a bound past which the
// row says its depth, so a chain of builds grows the summary linearly.
func TestIndent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		depth int
		want  string
	}{
		{0, ""}, {1, "↳ "}, {2, "&emsp;↳ "}, {maxIndent, strings.Repeat("&emsp;", maxIndent-1) + "↳ "},
		{maxIndent + 1, strings.Repeat("&emsp;", maxIndent-1) + fmt.Sprintf("↳ (%d) ", maxIndent+1)},
		{5000, strings.Repeat("&emsp;", maxIndent-1) + "↳ (5000) "},
	} {
		if got := indent(tt.depth); got != tt.want {
			t.Errorf("indent(%d) = %q, want %q", tt.depth, got, tt.want)
		}
	}
}

// chain is a step of one build that started a build that started one,
// and so on, n builds in all, each with failed tests.
func chain(n int) Summary {
	s := manyFailures(n, 10)
	for i := 1; i < n; i++ {
		s.Builds[i].Upstream = s.Builds[i-1].URL
	}
	return s
}

// TestTreeWithinGitHubLimit: a deep chain of builds is shortened like
// several builds, each row still there, the deepest named in the heading.
func TestTreeWithinGitHubLimit(t *testing.T) {
	t.Parallel()
	for _, n := range []int{400, 4000} {
		s := chain(n)
		for i := range s.Builds {
			s.Builds[i].Result = build.Failure
		}
		s.Failed = s.Builds[n-1].URL
		md := s.markdown(func(s string) string { return s })
		if len(md)+1 > 1<<20 {
			t.Errorf("%d builds: the summary and its line end are %d bytes, over 1 MiB", n, len(md)+1)
		}
		last := fmt.Sprintf("team/deploy-%d", n-1)
		if want := fmt.Sprintf("### ❌ Jenkins: [%s #1](https://ci/job/deploy-%d/1/) FAILURE, below team/deploy-0 #1 FAILURE\n", last, n-1); !strings.HasPrefix(md, want) {
			t.Errorf("%d builds: the heading is not %q:\n%.300s", n, want, md)
		}
		if row := fmt.Sprintf("↳ (%d) %s | ", n-1, last); !strings.Contains(md, row) {
			t.Errorf("%d builds: the last row %q is missing", n, row)
		}
	}
}

// FuzzBuildRow checks that a downstream build of any job name and failed
// stage stays in its one table row.
func FuzzBuildRow(f *testing.F) {
	for _, s := range []string{"", "a|b", "`", "line\nbreak", "\\|", "a\\", "<b>", "[x](y)", "&emsp;"} {
		f.Add(s, s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, job, stage string, depth uint8) {
		builds := []BuildSummary{{Job: "top", URL: "https://ci/job/top/1/", Number: 1, Result: build.Failure}}
		for i := range int(depth%12) + 1 {
			builds = append(builds, BuildSummary{Job: job, URL: fmt.Sprintf("https://ci/job/x/%d/", i+1), Number: i + 1, Upstream: builds[i].URL,
				Result: build.Failure, FailedStage: stage})
		}
		md := Summary{Builds: builds, Failed: builds[len(builds)-1].URL}.markdown(func(s string) string { return s })
		header := "| Job | Build | Result | Duration | Queue time | Failed stage |\n|---|---|---|---|---|---|\n"
		i := strings.Index(md, header)
		if i < 0 {
			t.Fatalf("no build table:\n%s", md)
		}
		rows := strings.Split(md[i+len(header):], "\n")[:len(builds)]
		for _, row := range rows {
			if pipes := cellSeparators(row); pipes != 7 {
				t.Fatalf("row %q has %d cell separators", row, pipes)
			}
		}
		if heading := md[:strings.IndexByte(md, '\n')]; !strings.HasPrefix(heading, "### ❌ Jenkins: [") {
			t.Fatalf("heading %q does not link the deepest failed build", heading)
		}
	})
}

// TestJobNameCannotNest: Jenkins text that spells the indent's entity
// reads as itself, so a build cannot pass for one started by another.
func TestJobNameCannotNest(t *testing.T) {
	t.Parallel()
	md := Summary{Builds: []BuildSummary{
		treeBuild("a", 1, "", build.Success),
		treeBuild("&emsp;&#8627; b", 1, "", build.Success),
	}}.markdown(func(s string) string { return s })
	if want := "| [\\&emsp;\\&#8627; b]("; !strings.Contains(md, want) {
		t.Errorf("summary lacks %q:\n%s", want, md)
	}
}

// TestOnlyDownstream: a summary whose every build names an upstream it
// lacks, which flow does not make, still lists them all.
func TestOnlyDownstream(t *testing.T) {
	t.Parallel()
	md := Summary{Builds: []BuildSummary{
		treeBuild("a", 1, "https://ci/job/gone/1/", build.Failure),
		treeBuild("b", 1, "https://ci/job/a/1/", build.Failure),
	}}.markdown(func(s string) string { return s })
	for _, want := range []string{"| [a](https://ci/job/a/) | ", "| ↳ [b](https://ci/job/b/) | ", "### Jenkins: 2 downstream builds\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}
