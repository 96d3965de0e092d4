package flow

import (
	"context"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// tracker follows one concern of a running build: its console, its state,
// a Pipeline's stages, its input steps. On each tick of the loop it is
// handed the view as the trackers before it left it, does its share (maybe
// no request at all: each keeps its own cadence), and returns the view
// with what it found. It knows nothing of the run: all it has is the watch
// it was made from.
type tracker interface {
	poll(ctx context.Context, v view) (view, error)
	// drained reports whether the tracker has nothing left to read of a
	// finished build.
	drained(v view) bool
	// close does what is left once the loop is over, whether the build
	// finished or the step stopped, and returns the view with it.
	close(ctx context.Context, v view) view
}

// trackerKinds make the trackers of a running build, in the order they
// poll on each tick: what the console says decides whether the build is
// read, and the Pipeline trackers read what the build and the console
// showed. A kind that does not apply to the watch makes nil.
//
// To add a tracker: write a file with its type, which implements tracker
// and keeps the part of the Client it uses as an interface of its own (add
// the method to that part in client.go if *jenkins.Client gained it), and
// its constructor, a func(watch) tracker; then add the constructor here,
// where on each tick it should poll. That is one file and one line.
var trackerKinds = [...]func(watch) tracker{
	newConsoleTracker,
	newBuildTracker,
	newStagesTracker,
	newInputTracker,
	newDownstreamTracker,
}

// trackersOf makes the trackers of those kinds that apply to the watched
// build, and hands the console's lines to those that read them.
func trackersOf(kinds []func(watch) tracker, w watch) []tracker {
	var ts []tracker
	var readers []lineReader
	for _, kind := range kinds {
		if t := kind(w); t != nil {
			ts = append(ts, t)
			if r, ok := t.(lineReader); ok {
				readers = append(readers, r)
			}
		}
	}
	for _, t := range ts {
		if f, ok := t.(interface{ feed([]lineReader) }); ok && len(readers) > 0 {
			f.feed(readers)
		}
	}
	return ts
}

// watch is what a tracker is made from: the build, the means to read it,
// and the inputs that shape what it does. A tracker keeps what it needs of
// it.
type watch struct {
	subject
	client Client
	policy build.Policy
	// streams opens the build's console.
	streams streams
	// label names the build in its console when the step shows several
	// builds, or the build is a downstream one; "" otherwise.
	label string
	// adopt hands the step a build that this one started (a downstream
	// build), to follow as part of its set from then on: reported as it
	// appears, followed as far as wait_for says, in the builds output and
	// the summary. The target follows a build or a queue item, and names
	// its job. It may be called from poll at any time before the tracker
	// is closed; it calls announce (if not nil) and reports true when
	// the build is new to the step, before its run says anything.
	adopt func(Target, func()) bool
}

// subject is the build a tracker follows, and where it says what it sees.
type subject struct {
	job    jenkins.Job
	number int
	log    logger
}
