package build

import "testing"

func TestFailedStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stages []Stage
		want   string
	}{
		{"none", nil, ""},
		{"all passed", []Stage{{Name: "Build", Status: StageSuccess}, {Name: "Test", Status: StageSuccess}}, ""},
		{"running and paused are not failures", []Stage{{Name: "Test", Status: StageRunning}, {Name: "Approve", Status: StagePaused}}, ""},
		{"the first of several", []Stage{{Name: "Build", Status: StageSuccess}, {Name: "Lint", Status: StageUnstable}, {Name: "Test", Status: StageFailed}}, "Lint"},
		{"aborted", []Stage{{Name: "Deploy", Status: StageAborted}}, "Deploy"},
		{"the name, not the full name", []Stage{{Name: "Linux", Parent: "Test", Status: StageFailed}}, "Linux"},
		{"skipped after the failure", []Stage{{Name: "Test", Status: StageFailed}, {Name: "Deploy", Status: StageNotExecuted}}, "Test"},
	}
	for _, tt := range tests {
		if got := FailedStage(tt.stages); got != tt.want {
			t.Errorf("%s: FailedStage = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStageStatusDone(t *testing.T) {
	t.Parallel()
	for s, want := range map[StageStatus]bool{
		StageSuccess: true, StageFailed: true, StageUnstable: true, StageAborted: true, StageNotExecuted: true,
		StageRunning: false, StagePaused: false, StageQueued: false, StageUnknown: false,
	} {
		if got := s.Done(); got != want {
			t.Errorf("%s.Done() = %v, want %v", s, got, want)
		}
	}
}

func TestFullName(t *testing.T) {
	t.Parallel()
	if got := (Stage{Name: "Linux", Parent: "Test"}).FullName(); got != "Test › Linux" {
		t.Errorf("nested: %q", got)
	}
	if got := (Stage{Name: "Build"}).FullName(); got != "Build" {
		t.Errorf("top level: %q", got)
	}
}

func TestChoices(t *testing.T) {
	t.Parallel()
	var w WaitFor
	if err := w.UnmarshalText([]byte(" Start ")); err != nil || w != WaitFor("start") {
		t.Errorf("wait_for Start = %q, %v", w, err)
	}
	if err := w.UnmarshalText([]byte("finish")); err == nil || err.Error() != `"finish" is not one of queue, start, completion` {
		t.Errorf("wait_for finish: %v", err)
	}
	var p InputPolicy
	if err := p.UnmarshalText([]byte("PROCEED")); err != nil || p != InputPolicy("proceed") {
		t.Errorf("on_input PROCEED = %q, %v", p, err)
	}
	if err := p.UnmarshalText([]byte("skip")); err == nil {
		t.Error("on_input skip accepted")
	}
}

func TestAbortsOnStop(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	for _, tt := range []struct {
		given       *bool
		owned, want bool
	}{
		{nil, true, true}, {nil, false, false},
		{&yes, false, true}, {&no, true, false},
	} {
		if got := (Policy{AbortOnStop: tt.given}).AbortsOnStop(tt.owned); got != tt.want {
			t.Errorf("abort_on_stop %v, owned %v: %v, want %v", tt.given, tt.owned, got, tt.want)
		}
	}
}
