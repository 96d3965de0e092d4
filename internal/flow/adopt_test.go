package flow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// spawner stands for a downstream tracker: on its build's first poll it
// triggers a build of job, as a Pipeline's build step would, and hands its
// queue item to the step.
type spawner struct {
	client triggerClient
	adopt  func(Target, func()) bool
	job    jenkins.Job
	done   bool
}

func (s *spawner) poll(ctx context.Context, v view) (view, error) {
	if s.done {
		return v, nil
	}
	s.done = true
	id, err := s.client.Trigger(ctx, s.job, jenkins.TriggerRequest{})
	if err != nil {
		return v, err
	}
	s.adopt(Target{Job: s.job, Follow: &jenkins.Location{Queue: id}}, nil)
	return v, nil
}

func (*spawner) drained(view) bool { return true }

func (*spawner) close(_ context.Context, v view) view { return v }

// TestTrackerAddsBuildsToTheSet: a build a tracker hands over joins the
// step's set: it is followed to its end as every other build, decides the
// step when it ends worst, and is in the builds output and the verdicts.
func TestTrackerAddsBuildsToTheSet(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		up := h.job("up", script("SUCCESS", 30*time.Second))
		down := h.job("down", script("FAILURE", time.Minute))
		spawn := func(w watch) tracker {
			if w.job.Path != up.Path {
				return nil
			}
			return &spawner{client: w.client, adopt: w.adopt, job: down}
		}
		s := newStep(Options{Policy: policy(), Targets: []Target{{Job: up}}}, Deps{Client: h.client, Report: h.rep}, append(trackerKinds[:], spawn))
		s.show = presentationOf(true)
		out := s.run(t.Context())
		if len(out.Builds) != 2 || out.Builds[0].Result != build.Success || out.Builds[1].Result != build.Failure {
			t.Fatalf("builds %+v, want up's success and down's failure", out.Builds)
		}
		if d := out.Builds[1]; d.Job.Path != down.Path || d.Owned || d.Number != 1 {
			t.Errorf("adopted build %+v, want down #1, not owned", d)
		}
		if out.End() != EndFailed {
			t.Errorf("end %v, want the adopted build's failure", out.End())
		}
		var entries []buildsEntry
		if err := json.Unmarshal([]byte(h.rep.outputs[contract.OutputBuilds]), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[1].Job != "down" || entries[1].Result == nil || *entries[1].Result != "FAILURE" {
			t.Errorf("builds output %s", h.rep.outputs[contract.OutputBuilds])
		}
		if len(h.rep.verdicts) != 2 {
			t.Errorf("verdicts %+v, want one for each build", h.rep.verdicts)
		}
		assertNothingLeft(t, h, "up", "down")
	})
}

// handOver stands for the downstream trackers of two builds that both
// find one build (a queue item Jenkins merged takes both causes): each
// hands it over on its build's first poll.
type handOver struct {
	adopt    func(Target, func()) bool
	target   Target
	announce func()
	done     bool
}

func (h *handOver) poll(_ context.Context, v view) (view, error) {
	if !h.done {
		h.done = true
		h.adopt(h.target, h.announce)
	}
	return v, nil
}

func (*handOver) drained(view) bool { return true }

func (*handOver) close(_ context.Context, v view) view { return v }

// TestAdoptedOnce: a build handed over twice joins the set once and is
// announced once; it is listed after the step's own builds, with its
// upstream, and does not decide the step.
func TestAdoptedOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", script("SUCCESS", 30*time.Second))
		b := h.job("b", script("SUCCESS", 30*time.Second))
		down := h.job("down", script("FAILURE", time.Minute))
		id, err := h.client.Trigger(t.Context(), down, jenkins.TriggerRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		announced := 0
		hand := func(w watch) tracker {
			if w.job.Path == down.Path {
				return nil
			}
			return &handOver{adopt: w.adopt, target: Target{Job: down, Follow: &jenkins.Location{Queue: id}, Upstream: "up"}, announce: func() {
				mu.Lock()
				announced++
				mu.Unlock()
			}}
		}
		s := newStep(Options{Policy: policy(), Targets: []Target{{Job: a}, {Job: b}}}, Deps{Client: h.client, Report: h.rep}, append(trackerKinds[:], hand))
		out := s.run(t.Context())
		if len(out.Builds) != 3 || announced != 1 {
			t.Fatalf("builds %+v, announced %d times; want a, b and down once", out.Builds, announced)
		}
		if d := out.Builds[2]; d.Job.Path != down.Path || d.Upstream != "up" || d.Result != build.Failure {
			t.Errorf("adopted build %+v, want down's failure with its upstream", d)
		}
		if out.End() != EndOK || out.Deciding() != 0 {
			t.Errorf("end %v deciding %d: the downstream failure decided the step", out.End(), out.Deciding())
		}
	})
}

// TestAdoptBounded: however many builds Jenkins says a build started, the
// step follows at most maxDownstream of them, and says so once.
func TestAdoptBounded(t *testing.T) {
	t.Parallel()
	rep := newRecorder()
	s := newStep(Options{Policy: policy()}, Deps{Report: rep}, nil)
	job := jenkins.Job{Name: "child", Path: "/job/child/"}
	adopted := 0
	for n := 1; n <= maxDownstream+5; n++ {
		loc := jenkins.Location{Job: job, Build: n}
		if s.adoptOnce(Target{Job: job, Follow: &loc}) {
			adopted++
		}
	}
	if adopted != maxDownstream {
		t.Errorf("%d builds adopted, want %d", adopted, maxDownstream)
	}
	warnings := 0
	for _, l := range rep.lines {
		if strings.HasPrefix(l, "warning: ") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("%d warnings, want one: %q", warnings, rep.lines)
	}
}

// TestStopNoteOfADownstreamBuild: however the step was stopped, and
// whatever abort_on_stop says, the summary of a downstream build says
// that Jenkins stops it with the build that started it: the step never
// asks, and abort_on_stop would not make it.
func TestStopNoteOfADownstreamBuild(t *testing.T) {
	t.Parallel()
	yes := true
	tests := []struct {
		name  string
		cause error
		abort *bool
	}{
		{"timeout", ErrTimeout, nil},
		{"timeout, abort_on_stop", ErrTimeout, &yes},
		{"signal", &StoppedError{Cause: errors.New("SIGTERM")}, nil},
		{"signal, abort_on_stop", &StoppedError{Cause: errors.New("SIGTERM")}, &yes},
		{"another trigger failed", errTriggerFailed, &yes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := policy()
			p.AbortOnStop = tt.abort
			s := newStep(Options{Policy: p}, Deps{Report: newRecorder()}, nil)
			f := findings{job: jenkins.Job{Name: "child"}, number: 3, stopped: tt.cause}
			f.out = BuildOutcome{Number: 3, Upstream: "https://jenkins/job/up/1/", Stopped: true}
			notes := strings.Join(s.ends.notes(f), " ")
			if !strings.Contains(notes, "Jenkins stops it with that build, not the step") || strings.Contains(notes, "abort_on_stop") || strings.Contains(notes, "asked Jenkins") {
				t.Errorf("notes %q, want Jenkins to stop it with its upstream", notes)
			}
		})
	}
}

// TestEndLine: a downstream build's end line, beside its label, reads as
// the verdict line does: a timed-out build has waited, not run, so long.
func TestEndLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    report.Verdict
		want string
	}{
		{report.Verdict{Result: build.Success, Duration: "2m", URL: "u"}, "SUCCESS in 2m u"},
		{report.Verdict{Result: build.Failure, FailedStage: "Test", Duration: "2m", URL: "u"}, "FAILURE in stage Test in 2m u"},
		{report.Verdict{Result: build.Timeout, Duration: "1h", URL: "u"}, "TIMEOUT after 1h u"},
		{report.Verdict{Result: build.Aborted, URL: "u"}, "ABORTED u"},
	}
	for _, tt := range tests {
		if got := endLine(tt.v); got != tt.want {
			t.Errorf("endLine(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestOwnBuildNotAdopted: a build the step follows of its own (a builds
// output followed lists downstream builds beside their parent) is not
// adopted again when its parent's tracker finds it.
func TestOwnBuildNotAdopted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", script("SUCCESS", 30*time.Second))
		down := h.job("down", script("SUCCESS", time.Minute))
		id, err := h.client.Trigger(t.Context(), down, jenkins.TriggerRequest{})
		if err != nil {
			t.Fatal(err)
		}
		announced := 0
		hand := func(w watch) tracker {
			if w.job.Path != a.Path {
				return nil
			}
			return &handOver{adopt: w.adopt, target: Target{Job: down, Follow: &jenkins.Location{Job: down, Queue: id}, Upstream: "up"}, announce: func() { announced++ }}
		}
		own := []Target{{Job: a}, {Job: down, Follow: &jenkins.Location{Job: down, Queue: id}}}
		out := newStep(Options{Policy: policy(), Targets: own}, Deps{Client: h.client, Report: h.rep}, append(trackerKinds[:], hand)).run(t.Context())
		if len(out.Builds) != 2 || announced != 0 {
			t.Fatalf("builds %+v, announced %d times; want a and down once, as the step's own", out.Builds, announced)
		}
	})
}
