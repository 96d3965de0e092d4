// Package artifacts chooses a finished build's artifacts by Ant-style
// patterns and writes them safely below one directory: each relativePath
// the server reports is checked, every write goes through an os.Root, and
// a file appears under its real name only once it is complete.
package artifacts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// Downloaded is one file that arrived.
type Downloaded struct {
	Path string // where it is on disk: Options.Dir joined with its relative path
	Size int64
	URL  string // the artifact in Jenkins
}

// Options say what to fetch and where.
type Options struct {
	Patterns []string // as ParsePatterns returns them
	Dir      string
	// OnFile, when set, hears about each file as it arrives.
	OnFile func(Downloaded)
}

// Fetch downloads the artifacts of build n of job that match the patterns
// into opt.Dir, and returns them with the patterns that matched nothing.
// An artifact whose path is unsafe, or that differs from another only in
// case, is refused and nothing is written for it; the others are still
// fetched and the error names the refused ones. A download that fails
// after its retries ends the fetch with an error naming the file.
func Fetch(ctx context.Context, c *jenkins.Client, job jenkins.Job, n int, opt Options) (files []Downloaded, unmatched []string, err error) {
	list, err := c.Artifacts(ctx, job, n)
	if err != nil {
		return nil, nil, err
	}
	paths := make([]string, len(list))
	for i, a := range list {
		paths[i] = a.RelativePath
	}
	chosen, unmatched, err := choose(opt.Patterns, paths)
	if err != nil || len(chosen) == 0 {
		return nil, unmatched, err
	}
	if opt.Dir == "" {
		return nil, unmatched, errors.New("artifacts: no directory to write them to")
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, unmatched, fmt.Errorf("artifacts: %w", err)
	}
	root, err := os.OpenRoot(opt.Dir)
	if err != nil {
		return nil, unmatched, fmt.Errorf("artifacts: %w", err)
	}
	defer root.Close()

	folds := map[string][]string{}
	for _, p := range chosen {
		folds[foldKey(p)] = append(folds[foldKey(p)], p)
	}
	var refused []string
	for _, rel := range chosen {
		local, err := localPath(rel)
		if err == nil {
			if same := folds[foldKey(rel)]; len(same) > 1 {
				err = fmt.Errorf("its path differs only in case from %q", other(same, rel))
			}
		}
		if err != nil {
			refused = append(refused, fmt.Sprintf("%q (%v)", rel, err))
			continue
		}
		var fetchErr error
		size, err := save(root, local, func(w jenkins.ArtifactWriter) (int64, error) {
			size, err := c.DownloadArtifact(ctx, job, n, rel, 0, w)
			fetchErr = err // it names the artifact
			return size, err
		})
		if err != nil {
			if fetchErr == nil {
				err = fmt.Errorf("write artifact %s: %w", rel, err)
			}
			return files, unmatched, err
		}
		d := Downloaded{Path: filepath.Join(opt.Dir, local), Size: size, URL: c.URL(jenkins.ArtifactPath(job, n, rel))}
		files = append(files, d)
		if opt.OnFile != nil {
			opt.OnFile(d)
		}
	}
	if len(refused) > 0 {
		return files, unmatched, fmt.Errorf("refused %d unsafe artifact(s), nothing written for them: %s", len(refused), strings.Join(refused, "; "))
	}
	return files, unmatched, nil
}

// other returns a path of same that is not p.
func other(same []string, p string) string {
	for _, s := range same {
		if s != p {
			return s
		}
	}
	return p
}
