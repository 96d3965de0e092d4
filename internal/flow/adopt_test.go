package flow

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
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
	h := newStepHarness(t, jenkinstest.Options{})
	up := h.job("up", script("SUCCESS", 30*time.Second))
	down := h.job("down", script("FAILURE", time.Minute))
	spawn := func(w watch) tracker {
		if w.job.Path != up.Path {
			return nil
		}
		return &spawner{client: w.client, adopt: w.adopt, job: down}
	}
	s := newStep(Options{Policy: policy(), Targets: []Target{{Job: up}}}, Deps{Client: h.client, Report: h.rep, Clock: h.clock}, append(trackerKinds[:], spawn))
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
}
