package flow

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// finish reads what a finished build brings back, its tests and its
// artifacts, and returns its result.
func (r *run) finish(ctx context.Context) (build.Result, error) {
	if r.build.Result == nil {
		return build.None, fmt.Errorf("jenkins says %s #%d finished but gives no result", r.job.Name, r.number)
	}
	if res := build.Result(*r.build.Result); !res.Known() {
		return build.None, fmt.Errorf("jenkins says %s #%d finished with %q, which is not a result Jenkins has", r.job.Name, r.number, res)
	}
	r.readTests(ctx)
	r.downloadArtifacts(ctx)
	return build.Result(*r.build.Result), nil
}

// readTests reads the finished build's test report, once and only when the
// step summary or the junit input needs it; a downstream build's only when
// it failed, for the verdict that names it. A failure warns: the build's
// result decides the exit code, not its report.
func (r *run) readTests(ctx context.Context) {
	switch {
	case r.target.downstream() && !build.Result(*r.build.Result).Failed():
		return
	case !r.target.downstream() && !r.streams.WantsSummary() && r.opts.Policy.Junit == "":
		return
	}
	t, err := r.Client.TestReport(ctx, r.job, r.number)
	if err != nil {
		r.testsErr = err
		r.log.Warning("%v; the build's tests are left out", err)
		return
	}
	if t == nil {
		r.noTests = true
		return
	}
	r.tests = t
	r.log.Status("Tests: %d passed, %d failed, %d skipped", t.Passed, t.Failed, t.Skipped)
}

// downloadArtifacts brings the finished build's artifacts that match the
// artifacts input into its directory, whatever the build's result: a
// failed build's logs are often what is wanted. A failure is kept for the
// outcome, beside the build's own result.
func (r *run) downloadArtifacts(ctx context.Context) {
	if len(r.opts.Policy.Artifacts) == 0 {
		return
	}
	dir := r.artifactsDir()
	files, unmatched, err := artifacts.Fetch(ctx, archive{client: r.Client, job: r.job, number: r.number}, artifacts.Options{
		Patterns: r.opts.Policy.Artifacts,
		Dir:      dir,
		OnFile: func(a build.Artifact) {
			r.log.Status("Artifact %s (%s)", a.Path, report.HumanSize(a.Size))
		},
		Ledger: r.fetch.ledger,
		Build:  fmt.Sprintf("%s #%d", r.job.Name, r.number),
		Limit:  r.fetch.limit,
	})
	r.artifacts = files
	if len(unmatched) > 0 {
		r.log.Warning("no artifact of %s #%d matches %s", r.job.Name, r.number, strings.Join(unmatched, ", "))
	}
	if err != nil {
		r.out.ArtifactsErr = fmt.Errorf("download the artifacts of %s #%d: %w", r.job.Name, r.number, err)
		return
	}
	r.log.Status("Downloaded %s of %s #%d into %s", report.Plural(len(files), "artifact"), r.job.Name, r.number, dir)
}

// artifactsDir is where the build's artifacts go: artifacts_dir, or when
// the step shows several builds, the job's full name below it, and the
// build number below that when the step has another build of the job.
func (r *run) artifactsDir() string {
	switch {
	case !r.show.jobDirs:
		return r.opts.Policy.ArtifactsDir
	case r.sharedJob:
		return filepath.Join(r.opts.Policy.ArtifactsDir, filepath.FromSlash(r.job.Name), strconv.Itoa(r.number))
	}
	return filepath.Join(r.opts.Policy.ArtifactsDir, filepath.FromSlash(r.job.Name))
}

// fetchShared is what the artifact downloads of all the step's builds
// share.
type fetchShared struct {
	// ledger keeps every file written, so that no two builds write one.
	ledger *artifacts.Ledger
	// limit bounds the downloads in flight over all the step's builds.
	limit *artifacts.Limiter
}

// archive is a build's artifacts as artifacts.Fetch reads them.
type archive struct {
	client artifactsClient
	job    jenkins.Job
	number int
}

func (a archive) List(ctx context.Context) ([]string, error) {
	return a.client.Artifacts(ctx, a.job, a.number)
}

func (a archive) Download(ctx context.Context, rel string, w artifacts.Writer) (int64, error) {
	return a.client.DownloadArtifact(ctx, a.job, a.number, rel, 0, w)
}

func (a archive) URL(rel string) string {
	return a.client.URL(jenkins.ArtifactPath(a.job, a.number, rel))
}
