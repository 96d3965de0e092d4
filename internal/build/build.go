// Package build defines what every layer of jenkins-trigger knows of a
// Jenkins build, once: the parameters and files it is started with, how far
// a step follows it and what it answers its inputs (Policy), its result,
// its stages, its tests and the artifacts brought back. config parses the
// inputs into these types; the Jenkins client, the flow and the reporter
// all use them, with no translation between them. It imports nothing of
// the project.
package build

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Param is one build parameter, in the order given.
type Param struct{ Name, Value string }

// File is one file parameter: the file at Path is uploaded as Name.
type File struct{ Name, Path string }

// WaitFor says how far to follow a build before the step ends.
type WaitFor string

// The points a step can wait for.
const (
	WaitQueue      WaitFor = "queue"      // accepted into the queue
	WaitStart      WaitFor = "start"      // has a build number
	WaitCompletion WaitFor = "completion" // finished
)

// WaitFors are the choices of WaitFor, in the order of a build's life.
var WaitFors = []WaitFor{WaitQueue, WaitStart, WaitCompletion}

// InputPolicy says what to answer when a Pipeline build pauses at an input
// step.
type InputPolicy string

// The answers to an input step.
const (
	InputWait    InputPolicy = "wait"    // tell, and wait for someone to answer
	InputAbort   InputPolicy = "abort"   // answer with the Abort button
	InputProceed InputPolicy = "proceed" // answer with the OK button and the defaults
)

// InputPolicies are the choices of InputPolicy.
var InputPolicies = []InputPolicy{InputWait, InputAbort, InputProceed}

// Downstream says what to do with the builds a followed build starts.
type Downstream string

// The ways of following downstream builds.
const (
	DownstreamOff    Downstream = "off"    // ignore them
	DownstreamShow   Downstream = "show"   // report each and follow it by its status
	DownstreamFollow Downstream = "follow" // and stream its console too
)

// Downstreams are the choices of Downstream.
var Downstreams = []Downstream{DownstreamOff, DownstreamShow, DownstreamFollow}

// Policy is what a step asks of every build it follows: how far to follow
// it and for how long, what to answer its inputs, what fails the step, and
// what to bring back. config decodes it from the inputs of the same names.
type Policy struct {
	WaitFor WaitFor
	Timeout time.Duration
	// QueueTimeout bounds each build's wait in the queue; 0 leaves it to
	// Timeout alone.
	QueueTimeout time.Duration
	// AbortOnStop is nil when not given: a stop then stops the builds the
	// step triggered and leaves those it only follows alone.
	AbortOnStop    *bool
	FailOnUnstable bool
	Log            bool
	OnInput        InputPolicy
	Downstream     Downstream
	// Artifacts are the patterns of the artifacts to download into
	// ArtifactsDir once a build has finished; none when empty.
	Artifacts    []string
	ArtifactsDir string
	// Junit is the path of the JUnit file to write; "" for none.
	Junit string
}

// AbortsOnStop applies abort_on_stop to a build the step owns (triggered)
// or only follows.
func (p Policy) AbortsOnStop(owned bool) bool {
	if p.AbortOnStop != nil {
		return *p.AbortOnStop
	}
	return owned
}

// UnmarshalText accepts one of WaitFors, in any case.
func (w *WaitFor) UnmarshalText(b []byte) error { return choose(w, b, WaitFors) }

// UnmarshalText accepts one of InputPolicies, in any case.
func (p *InputPolicy) UnmarshalText(b []byte) error { return choose(p, b, InputPolicies) }

// UnmarshalText accepts one of Downstreams, in any case.
func (d *Downstream) UnmarshalText(b []byte) error { return choose(d, b, Downstreams) }

// choose sets *v to the choice b names, in any case.
func choose[T ~string](v *T, b []byte, choices []T) error {
	name := T(strings.ToLower(strings.TrimSpace(string(b))))
	if slices.Contains(choices, name) {
		*v = name
		return nil
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		names[i] = string(c)
	}
	return fmt.Errorf("%q is not one of %s", b, strings.Join(names, ", "))
}
