package artifacts

import (
	"fmt"
	"path/filepath"
	"sync"
)

// Ledger records which build each file below a step's artifacts_dir is
// written for, across the builds of the step, so that no build's file
// overwrites another's: not at the same path, nor at one that a
// case-insensitive file system takes for it, nor where another build's
// file needs a directory. The builds of a step download at once, so it is
// safe for concurrent use.
type Ledger struct {
	mu      sync.Mutex
	entries map[string]entry // by foldKey of the local path
}

// entry is a path the step has written, or will.
type entry struct {
	build string // the build it is written for, as "job #n"
	rel   string // the artifact's relativePath that put it there
	dir   bool   // a directory above some file, not a file
}

// NewLedger returns an empty ledger for one step.
func NewLedger() *Ledger { return &Ledger{entries: map[string]entry{}} }

// claim records the file at local, as Fetch writes it (opt.Dir joined with
// the artifact's path), for the artifact rel of build, with the
// directories above it. A path that clashes with one recorded before is
// refused, naming the build and artifact that hold it; nothing is recorded
// then.
func (l *Ledger) claim(local, rel, build string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[foldKey(local)]; ok {
		if e.dir {
			return fmt.Errorf("it would be written where %s needs a directory for its %q", e.build, e.rel)
		}
		return fmt.Errorf("it would overwrite %s's %q", e.build, e.rel)
	}
	var dirs []string
	for d := filepath.Dir(local); ; d = filepath.Dir(d) {
		e, ok := l.entries[foldKey(d)]
		if ok && !e.dir {
			return fmt.Errorf("it needs a directory where %s's %q is written", e.build, e.rel)
		}
		// The directories above a recorded one are recorded with it.
		if ok || filepath.Dir(d) == d {
			break
		}
		dirs = append(dirs, d)
	}
	l.entries[foldKey(local)] = entry{build: build, rel: rel}
	for _, d := range dirs {
		l.entries[foldKey(d)] = entry{build: build, rel: rel, dir: true}
	}
	return nil
}
