package build

// StageStatus is a Pipeline stage's state, the same whichever plugin
// reported it.
type StageStatus string

// The stage statuses.
const (
	StageSuccess     StageStatus = "SUCCESS"
	StageFailed      StageStatus = "FAILED"
	StageUnstable    StageStatus = "UNSTABLE"
	StageAborted     StageStatus = "ABORTED"
	StageRunning     StageStatus = "RUNNING"
	StagePaused      StageStatus = "PAUSED" // waiting for input
	StageNotExecuted StageStatus = "NOT_EXECUTED"
	StageQueued      StageStatus = "QUEUED" // waiting for an executor
	StageUnknown     StageStatus = "UNKNOWN"
)

// Done reports whether the stage has ended.
func (s StageStatus) Done() bool {
	switch s {
	case StageSuccess, StageFailed, StageUnstable, StageAborted, StageNotExecuted:
		return true
	}
	return false
}

// Failed reports whether the stage ended FAILED, UNSTABLE or ABORTED: the
// stages failed_stage names.
func (s StageStatus) Failed() bool {
	return s == StageFailed || s == StageUnstable || s == StageAborted
}

// Stage is a stage of a Pipeline build. Stages that have not started yet
// are absent.
type Stage struct {
	ID, Name string
	Status   StageStatus
	// StartMS is the stage's start in Unix milliseconds on Jenkins' clock.
	// DurationMS is what the plugin gives: Stage View counts a running
	// stage's time so far, Graph View gives 0 until the stage ends.
	// PauseMS is the time spent waiting for input. None is negative.
	StartMS, DurationMS, PauseMS int64
	// Parent is the name of the enclosing stage or parallel branch when
	// the plugin nests stages (Graph View); "" otherwise.
	Parent string
}

// FullName is the stage's name under its parent's, as people read it.
func (s Stage) FullName() string {
	if s.Parent != "" {
		return s.Parent + " › " + s.Name
	}
	return s.Name
}

// FailedStage is the name of the first stage that ended FAILED, UNSTABLE
// or ABORTED, or "".
func FailedStage(stages []Stage) string {
	for _, s := range stages {
		if s.Status.Failed() {
			return s.Name
		}
	}
	return ""
}
