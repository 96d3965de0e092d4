package jenkins

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
)

// Build is what the client reads of a build.
type Build struct {
	Number   int  `json:"number"`
	Building bool `json:"building"`
	// InProgress is missing before Jenkins 2.369.
	InProgress        *bool   `json:"inProgress"`
	Result            *string `json:"result"`
	Duration          int64   `json:"duration"`
	EstimatedDuration int64   `json:"estimatedDuration"`
	Timestamp         int64   `json:"timestamp"`
	QueueID           int     `json:"queueId"`
	// Class is the build's Java class, which Stapler always writes at the
	// top level.
	Class string `json:"_class"`
	// Actions are read only for what they say about input steps; Stapler
	// writes each entry's _class, and {} for actions it does not export.
	Actions []buildAction `json:"actions"`
	Date
}

// buildAction is an entry of a build's actions as read with buildTree.
type buildAction struct {
	Class string `json:"_class"`
	// WaitingForInput is nil when the action does not export it: any
	// action but InputAction, and InputAction before input-step 466.
	WaitingForInput *bool `json:"waitingForInput"`
}

// workflowRunClass is the class of a Pipeline build.
const workflowRunClass = "org.jenkinsci.plugins.workflow.job.WorkflowRun"

// inputActionClass is the class of the action the input step adds to a
// build; it stays there after the input is answered.
const inputActionClass = "org.jenkinsci.plugins.workflow.support.steps.input.InputAction"

// IsPipeline reports whether the build is a Pipeline (WorkflowRun), which
// may have stages and input steps.
func (b *Build) IsPipeline() bool { return b.Class == workflowRunClass }

// InputState is what the build JSON alone tells about input steps.
type InputState int

const (
	// InputNone: no input step is pending.
	InputNone InputState = iota
	// InputWaiting: the build is paused until an input is answered.
	InputWaiting
	// InputUnknown: the build has had an input step, but its plugin is
	// older than input-step 466 and does not say whether one is pending;
	// PendingInputs can still tell through wfapi.
	InputUnknown
)

func (s InputState) String() string {
	switch s {
	case InputWaiting:
		return "waiting for input"
	case InputUnknown:
		return "input state unknown"
	}
	return "no input pending"
}

// InputState says whether the build waits for input, as far as its
// InputAction tells.
func (b *Build) InputState() InputState {
	state := InputNone
	for _, a := range b.Actions {
		if a.Class != inputActionClass {
			continue
		}
		switch {
		case a.WaitingForInput == nil:
			state = InputUnknown
		case *a.WaitingForInput:
			return InputWaiting
		}
	}
	return state
}

// Finished reports whether Jenkins is done with the build. A result alone
// proves nothing: steps set it while the build still runs.
func (b *Build) Finished() bool {
	return !b.Building && (b.InProgress == nil || !*b.InProgress)
}

// buildTree names the fields of Build. Reading InputAction's
// waitingForInput with the rest costs no request of its own, so following a
// freestyle build costs nothing more.
const buildTree = "number,building,inProgress,result,duration,estimatedDuration,timestamp,queueId,actions[waitingForInput]"

// BuildPath is the escaped path of build number n of job.
func BuildPath(job Job, n int) string { return job.Path + strconv.Itoa(n) + "/" }

// Build reads build n of job.
func (c *Client) Build(ctx context.Context, job Job, n int) (*Build, error) {
	var b Build
	err := c.getJSON(ctx, BuildPath(job, n)+"api/json", buildTree, &b)
	if err != nil {
		return nil, fmt.Errorf("read build %s #%d: %w", job.Name, n, err)
	}
	return &b, nil
}

// BuildRef is a build as listed in its job.
type BuildRef struct {
	Number    int          `json:"number"`
	QueueID   int          `json:"queueId"`
	Timestamp int64        `json:"timestamp"`
	Actions   paramActions `json:"actions"`
}

// Parameters returns the build's parameter values as text; password and
// file parameters, which Jenkins shows without a value, are left out.
func (b BuildRef) Parameters() map[string]string {
	out := make(map[string]string)
	for _, p := range b.Actions.params() {
		out[p.Name] = p.Value
	}
	return out
}

// RecentBuilds lists up to n of the job's newest builds.
func (c *Client) RecentBuilds(ctx context.Context, job Job, n int) ([]BuildRef, error) {
	var j struct {
		Builds []BuildRef `json:"builds"`
	}
	err := c.getJSON(ctx, job.Path+"api/json", fmt.Sprintf("builds[number,queueId,timestamp,actions[parameters[name,value]]]{0,%d}", n), &j)
	if err != nil {
		return nil, fmt.Errorf("list builds of %s: %w", job.Name, err)
	}
	return j.Builds, nil
}

// FindBuildByQueueID looks for the build that queue item id became, among
// the job's newest builds. It returns 0 when there is none (yet).
func (c *Client) FindBuildByQueueID(ctx context.Context, job Job, id int) (int, error) {
	builds, err := c.RecentBuilds(ctx, job, 50)
	if err != nil {
		return 0, err
	}
	for _, b := range builds {
		if b.QueueID == id {
			return b.Number, nil
		}
	}
	return 0, nil
}

// StopBuild asks Jenkins to abort build n. Jenkins answers with a redirect,
// which is not followed.
func (c *Client) StopBuild(ctx context.Context, job Job, n int) error {
	err := c.post(ctx, request{path: BuildPath(job, n) + "stop"}, discard)
	if err != nil {
		return fmt.Errorf("stop build %s #%d: %w", job.Name, n, err)
	}
	return nil
}

func discard(*http.Response) error { return nil }
