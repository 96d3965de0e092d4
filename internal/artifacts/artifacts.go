// Package artifacts chooses a finished build's artifacts by Ant-style
// patterns and writes them safely below one directory: each relativePath
// the server reports is checked, every write goes through an os.Root, and
// a file appears under its real name only once it is complete. It knows
// the Jenkins client only as a Source.
package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// Source is a finished build's archive, where Fetch lists and downloads
// its files.
type Source interface {
	// List returns the relativePath of every file archived: untrusted,
	// since it comes from the server.
	List(ctx context.Context) ([]string, error)
	// Download streams the file at rel to w, and returns its size.
	Download(ctx context.Context, rel string, w Writer) (int64, error)
	// URL is the file's address in Jenkins.
	URL(rel string) string
}

// Writer receives a file as it arrives.
type Writer interface {
	io.Writer
	// Restart drops everything written so far: the next Write is the
	// file's first byte again.
	Restart() error
}

// Options say what to fetch and where.
type Options struct {
	Patterns []string // as ParsePatterns returns them
	Dir      string
	// OnFile, when set, hears about each file as it arrives.
	OnFile func(build.Artifact)
	// Ledger, when set, holds the files the step's other builds write
	// below the same directory; Build names this one in its errors.
	Ledger *Ledger
	Build  string
	// Limit, when set, bounds the downloads in flight among the fetches
	// that share it.
	Limit *Limiter
}

// Fetch downloads the files of src that match the patterns into opt.Dir,
// and returns them with the patterns that matched nothing. A file whose
// path is unsafe, or that differs from another only in case, is refused
// and nothing is written for it, and so is one that would overwrite, or
// clash with, a file of another build in opt.Ledger; the others are still
// fetched and the error names the refused ones. A download that fails
// after its retries ends the fetch with an error naming the file.
func Fetch(ctx context.Context, src Source, opt Options) (files []build.Artifact, unmatched []string, err error) {
	paths, err := src.List(ctx)
	if err != nil {
		return nil, nil, err
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
		if err == nil && opt.Ledger != nil {
			err = opt.Ledger.claim(filepath.Join(opt.Dir, local), rel, opt.Build)
		}
		if err != nil {
			refused = append(refused, fmt.Sprintf("%q (%v)", rel, err))
			continue
		}
		var fetchErr error
		size, err := save(root, local, func(w Writer) (int64, error) {
			if err := opt.Limit.acquire(ctx); err != nil {
				fetchErr = fmt.Errorf("download artifact %s: %w", rel, err)
				return 0, fetchErr
			}
			defer opt.Limit.release()
			size, err := src.Download(ctx, rel, w)
			fetchErr = err // it names the artifact
			return size, err
		})
		if err != nil {
			if fetchErr == nil {
				err = fmt.Errorf("write artifact %s: %w", rel, err)
			}
			return files, unmatched, err
		}
		a := build.Artifact{Path: rel, Size: size, URL: src.URL(rel)}
		files = append(files, a)
		if opt.OnFile != nil {
			opt.OnFile(a)
		}
	}
	if len(refused) > 0 {
		return files, unmatched, fmt.Errorf("refused %d artifact(s), nothing written for them: %s", len(refused), strings.Join(refused, "; "))
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
