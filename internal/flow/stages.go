package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// pipelineReadTimeout bounds one read of stages or inputs: they only add
// to what the console says, and must not hold the run while a plugin
// keeps failing.
const pipelineReadTimeout = 30 * time.Second

// stageEvery is the least time between two reads of a Pipeline's stages:
// Jenkins computes them anew on each read of a running build.
const stageEvery = 2 * time.Second

// stagesTracker follows a Pipeline build's stages and says when each
// starts and ends; a freestyle build costs it nothing. It reads them when
// the console shows a stage boundary or an input (on every tick when no
// console is followed), at most every stageEvery, and once more at the end.
type stagesTracker struct {
	subject
	client    stagesClient
	everyTick bool
	// pending is set when the console showed a mark not yet acted on.
	pending bool
	// none is set once neither stage plugin answered.
	none     bool
	lastRead time.Time
	// shown is the status last told of each stage, by id.
	shown map[string]build.StageStatus
	// final is set when the stages were read after the build finished.
	final bool
}

func newStagesTracker(w watch) tracker {
	return &stagesTracker{subject: w.subject, client: w.client, everyTick: !w.policy.Log}
}

func (s *stagesTracker) poll(ctx context.Context, v view) (view, error) {
	if !v.build.IsPipeline() {
		return v, nil
	}
	s.pending = s.pending || v.marks.stage
	if s.none || !(s.pending || s.everyTick) || v.now.Sub(s.lastRead) < stageEvery {
		return v, nil
	}
	s.pending = false
	return s.read(ctx, v)
}

// read reads the stages and tells what changed since the last read.
func (s *stagesTracker) read(ctx context.Context, v view) (view, error) {
	s.lastRead = v.now
	readCtx, cancel := context.WithTimeout(ctx, pipelineReadTimeout)
	defer cancel()
	stages, err := s.client.Stages(readCtx, s.job, s.number)
	switch {
	case ctx.Err() != nil:
		return v, ctx.Err()
	case errors.Is(err, jenkins.ErrNoStages):
		s.none = true
		s.log.Status("Stages are not available: this Jenkins has neither Pipeline Stage View nor Pipeline Graph View")
		return v, nil
	case err != nil:
		s.none = true
		s.log.Warning("%v; stages are left out from now on", err)
		return v, nil
	}
	v.stages, v.stagesRead = stages, true
	s.final = v.build.Finished()
	s.tell(stages)
	return v, nil
}

// tell says each stage that started, ended or paused since the last read.
func (s *stagesTracker) tell(stages []build.Stage) {
	if s.shown == nil {
		s.shown = make(map[string]build.StageStatus)
	}
	for _, st := range stages {
		before, seen := s.shown[st.ID]
		if seen && before == st.Status {
			continue
		}
		s.shown[st.ID] = st.Status
		switch {
		case st.Status.Done():
			s.log.Status("Stage %s: %s%s", st.FullName(), stageWord(st.Status), stageTime(st))
		case st.Status == build.StagePaused:
			s.log.Status("Stage %s: paused for input", st.FullName())
		case !seen:
			s.log.Status("Stage %s: started", st.FullName())
		}
	}
}

func (*stagesTracker) drained(view) bool { return true }

// close reads the stages of a finished Pipeline once more, for their final
// state.
func (s *stagesTracker) close(ctx context.Context, v view) view {
	if !v.build.IsPipeline() || !v.build.Finished() || ctx.Err() != nil || s.none || s.final {
		return v
	}
	v, err := s.read(ctx, v)
	if err != nil {
		s.log.Warning("%v; the stages are left out", err)
	}
	return v
}

// stageWord is how a stage's end reads in the log.
func stageWord(s build.StageStatus) string {
	if s == build.StageNotExecuted {
		return "skipped"
	}
	return string(s)
}

func stageTime(s build.Stage) string {
	if s.DurationMS <= 0 {
		return ""
	}
	t := " in " + report.Elapsed(s.DurationMS)
	if s.PauseMS > 0 {
		t += fmt.Sprintf(" (%s of it paused for input)", report.Elapsed(s.PauseMS))
	}
	return t
}

func anyPaused(stages []build.Stage) bool {
	for _, s := range stages {
		if s.Status == build.StagePaused {
			return true
		}
	}
	return false
}
