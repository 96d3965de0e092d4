package flow

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// downloadArtifacts brings the finished build's artifacts that match the
// artifacts input into artifacts_dir, whatever the build's result: a failed
// build's logs are often what is wanted. A failure is kept for the outcome,
// beside the build's own result.
func (r *Run) downloadArtifacts(ctx context.Context) {
	if len(r.opts.Artifacts) == 0 {
		return
	}
	job, n := r.opts.Job, r.number()
	files, unmatched, err := artifacts.Fetch(ctx, r.Client, job, n, artifacts.Options{
		Patterns: r.opts.Artifacts,
		Dir:      r.opts.ArtifactsDir,
		OnFile: func(d artifacts.Downloaded) {
			r.Report.Status("Artifact %s (%s)", d.Path, report.HumanSize(d.Size))
		},
	})
	for _, d := range files {
		rel, relErr := filepath.Rel(r.opts.ArtifactsDir, d.Path)
		if relErr != nil {
			rel = d.Path
		}
		r.artifacts = append(r.artifacts, report.Artifact{Path: filepath.ToSlash(rel), Size: d.Size, URL: d.URL})
	}
	if len(unmatched) > 0 {
		r.Report.Warning("no artifact of %s #%d matches %s", job.Name, n, strings.Join(unmatched, ", "))
	}
	if err != nil {
		// The command says it, as the error or as a warning, by the
		// build's result.
		r.artifactsErr = fmt.Errorf("download the artifacts of %s #%d: %w", job.Name, n, err)
		return
	}
	r.Report.Status("Downloaded %s of %s #%d into %s", plural(len(files), "artifact"), job.Name, n, r.opts.ArtifactsDir)
}
