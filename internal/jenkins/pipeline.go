package jenkins

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// ErrNoStages means Jenkins has neither plugin that reports stages: every
// stage URL answered 404.
var ErrNoStages = errors.New("stages are not available: Jenkins has neither Stage View (pipeline-rest-api) nor Pipeline Graph View")

// graphViewNames are the URL names Pipeline Graph View has had, newest
// first; it never redirected the old ones.
var graphViewNames = []string{"stages", "pipeline-overview", "pipeline-console", "pipeline-graph"}

// stageSource is where a Client reads stages from.
type stageSource int

const (
	sourceUnknown stageSource = iota // nothing has answered yet
	sourceWfapi
	sourceGraphView // at graphViewNames[pipelineMemory.graph]
	sourceNone      // everything answered 404
)

// pipelineMemory is what a Client learnt about the plugins of its Jenkins;
// plugins do not change during a run, so each 404 is asked once.
type pipelineMemory struct {
	mu          sync.Mutex
	stages      stageSource
	graph       int // the graph-view name to try or use next
	wfapiAbsent bool
}

func (c *Client) memory() *pipelineMemory { return &c.plugins }

// Stages reads the stages of build n from wfapi/describe, or where that is
// a 404, from Pipeline Graph View's JSON under each name it has had. The
// Client remembers which one answered, and ErrNoStages when none did, so
// that later calls ask one URL, and none at all without either plugin.
// Concurrent first calls may each probe.
func (c *Client) Stages(ctx context.Context, job Job, n int) ([]build.Stage, error) {
	stages, err := c.stages(ctx, job, n)
	if err != nil {
		return nil, fmt.Errorf("read stages of %s #%d: %w", job.Name, n, err)
	}
	return stages, nil
}

func (c *Client) stages(ctx context.Context, job Job, n int) ([]build.Stage, error) {
	m := c.memory()
	m.mu.Lock()
	source, graph, wfapiAbsent := m.stages, m.graph, m.wfapiAbsent
	m.mu.Unlock()
	switch source {
	case sourceNone:
		return nil, ErrNoStages
	case sourceWfapi:
		return c.wfapiStages(ctx, job, n)
	case sourceGraphView:
		return c.graphViewStages(ctx, job, n, graphViewNames[graph])
	}
	if !wfapiAbsent {
		stages, err := c.wfapiStages(ctx, job, n)
		if !errors.Is(err, ErrNotFound) {
			if err == nil {
				m.settle(sourceWfapi, 0)
			}
			return stages, err
		}
		m.mu.Lock()
		m.wfapiAbsent = true
		m.mu.Unlock()
	}
	for ; graph < len(graphViewNames); graph++ {
		stages, err := c.graphViewStages(ctx, job, n, graphViewNames[graph])
		if !errors.Is(err, ErrNotFound) {
			// Graph view's own errors come with 200: the name is right.
			var ge *graphViewError
			if err == nil || errors.As(err, &ge) {
				m.settle(sourceGraphView, graph)
			} else {
				m.settle(sourceUnknown, graph)
			}
			return stages, err
		}
	}
	m.settle(sourceNone, graph)
	return nil, ErrNoStages
}

func (m *pipelineMemory) settle(s stageSource, graph int) {
	m.mu.Lock()
	m.stages, m.graph = s, graph
	m.mu.Unlock()
}

// wfapiRun is the part of wfapi/describe that Stages reads. Its hrefs are
// path-absolute, with the servlet context path, and never used.
type wfapiRun struct {
	Stages []wfapiStage `json:"stages"`
}

type wfapiStage struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	StartTimeMS int64  `json:"startTimeMillis"`
	DurationMS  int64  `json:"durationMillis"`
	PauseMS     int64  `json:"pauseDurationMillis"`
}

func (c *Client) wfapiStages(ctx context.Context, job Job, n int) ([]build.Stage, error) {
	var run wfapiRun
	// wfapi ignores tree=; it always sends the whole run.
	if err := c.getJSON(ctx, BuildPath(job, n)+"wfapi/describe", "", &run); err != nil {
		return nil, err
	}
	return run.stages(), nil
}

func (r *wfapiRun) stages() []build.Stage {
	out := make([]build.Stage, 0, len(r.Stages))
	for _, s := range r.Stages {
		out = append(out, build.Stage{
			ID:         s.ID,
			Name:       s.Name,
			Status:     wfapiStatus(s.Status),
			StartMS:    max(s.StartTimeMS, 0),
			DurationMS: max(s.DurationMS, 0),
			PauseMS:    max(s.PauseMS, 0),
		})
	}
	return out
}

// wfapiStatus maps pipeline-rest-api's StatusExt, whose list is complete.
func wfapiStatus(s string) build.StageStatus {
	switch s {
	case "SUCCESS":
		return build.StageSuccess
	case "FAILED":
		return build.StageFailed
	case "UNSTABLE":
		return build.StageUnstable
	case "ABORTED":
		return build.StageAborted
	case "IN_PROGRESS":
		return build.StageRunning
	case "PAUSED_PENDING_INPUT":
		return build.StagePaused
	case "NOT_EXECUTED":
		return build.StageNotExecuted
	}
	return build.StageUnknown
}

// graphViewAnswer is Pipeline Graph View's envelope around its tree; its
// errors come with HTTP 200 and status "error".
type graphViewAnswer struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    struct {
		Stages []graphViewStage `json:"stages"`
	} `json:"data"`
}

type graphViewStage struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	State       string           `json:"state"`
	StartMS     int64            `json:"startTimeMillis"`
	TotalMS     int64            `json:"totalDurationMillis"` // absent while running
	PauseMS     int64            `json:"pauseDurationMillis"`
	Placeholder bool             `json:"placeholder"` // steps outside any stage
	Children    []graphViewStage `json:"children"`
}

func (c *Client) graphViewStages(ctx context.Context, job Job, n int, name string) ([]build.Stage, error) {
	var a graphViewAnswer
	if err := c.getJSON(ctx, BuildPath(job, n)+name+"/tree", "", &a); err != nil {
		return nil, err
	}
	return a.stages()
}

func (a *graphViewAnswer) stages() ([]build.Stage, error) {
	if a.Status != "ok" {
		return nil, &graphViewError{status: a.Status, message: a.Message}
	}
	out := []build.Stage{}
	// encoding/json refuses nesting deeper than 10000, which bounds the
	// recursion.
	var walk func(stages []graphViewStage, parent string)
	walk = func(stages []graphViewStage, parent string) {
		for _, s := range stages {
			under := parent
			if !s.Placeholder {
				out = append(out, build.Stage{
					ID:         s.ID,
					Name:       s.Name,
					Status:     graphViewStatus(s.State),
					StartMS:    max(s.StartMS, 0),
					DurationMS: max(s.TotalMS, 0),
					PauseMS:    max(s.PauseMS, 0),
					Parent:     parent,
				})
				under = s.Name
			}
			walk(s.Children, under)
		}
	}
	walk(a.Data.Stages, "")
	return out, nil
}

// graphViewError is an answer of Pipeline Graph View that is not "ok".
type graphViewError struct{ status, message string }

func (e *graphViewError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("pipeline graph view answered status %q", excerpt([]byte(e.status)))
	}
	return "pipeline graph view: " + excerpt([]byte(e.message))
}

// graphViewStatus maps Pipeline Graph View's PipelineState. "finished" is
// never sent: a finished node reports its result instead.
func graphViewStatus(s string) build.StageStatus {
	switch s {
	case "success":
		return build.StageSuccess
	case "failure":
		return build.StageFailed
	case "unstable":
		return build.StageUnstable
	case "aborted":
		return build.StageAborted
	case "running":
		return build.StageRunning
	case "paused":
		return build.StagePaused
	case "queued":
		return build.StageQueued
	case "skipped", "not_built":
		return build.StageNotExecuted
	}
	return build.StageUnknown
}
