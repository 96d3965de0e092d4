package flow

import "github.com/jenkins-trigger/jenkins-trigger/internal/build"

// point is a point in a build's life.
type point int

const (
	pointNone     point = iota // not triggered yet
	pointQueued                // has a queue item
	pointStarted               // has a build number
	pointFinished              // finished
)

// plan is how far a build's run goes: from the point it starts at (a
// trigger, a queue item or a build to follow) to the one wait_for names.
// It is where wait_for is decided, once.
type plan struct{ from, to point }

// planFor is the plan for target under wait_for.
func planFor(t Target, w build.WaitFor) plan {
	p := plan{from: pointNone, to: pointFinished}
	switch {
	case t.Follow != nil && t.Follow.IsQueueItem():
		p.from = pointQueued
	case t.Follow != nil:
		p.from = pointStarted
	}
	switch w {
	case build.WaitQueue:
		p.to = pointQueued
	case build.WaitStart:
		p.to = pointStarted
	}
	return p
}

// triggers reports whether the run sends a trigger.
func (p plan) triggers() bool { return p.from == pointNone }

// awaitsStart reports whether the run follows a queue item to its build.
func (p plan) awaitsStart() bool { return p.from <= pointQueued && p.to >= pointStarted }

// followsBuild reports whether the run follows the build to its end.
func (p plan) followsBuild() bool { return p.to == pointFinished }
