package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// TestSeveralBuildsAtOnce: three builds of ten minutes take about ten
// minutes in all, each followed to its own result, in the order of the
// jobs.
func TestSeveralBuildsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("team/a", script("SUCCESS", 10*time.Minute))
		b := h.job("team/b", script("SUCCESS", 10*time.Minute+30*time.Second))
		c := h.job("team/c", script("SUCCESS", 9*time.Minute))
		out := h.trigger(policy(), a, b, c)
		if out.Err != nil || out.End() != EndOK || len(out.Builds) != 3 {
			t.Fatalf("outcome %+v", out)
		}
		for i, want := range []string{"team/a", "team/b", "team/c"} {
			if o := out.Builds[i]; o.Job.Name != want || o.Result != build.Success || o.Number != 1 || !o.Owned {
				t.Errorf("build %d: %+v", i, o)
			}
		}
		if took := time.Since(epoch); took > 11*time.Minute {
			t.Errorf("took %v of virtual time: the builds were not followed at once", took)
		}
		for _, name := range []string{"team/a #1 console", "team/b #1 console", "team/c #1 console"} {
			if h.rep.consoles[name] == nil || !strings.Contains(h.rep.consoles[name].String(), "line 5") {
				t.Errorf("console %s: %v", name, h.rep.consoles[name])
			}
		}
	})
}

// TestDecidingBuild: the step's end is the worst of its builds', and the
// outputs name the first build that ended so.
func TestDecidingBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", script("SUCCESS", 20*time.Second))
		b := h.job("b", script("UNSTABLE", 20*time.Second))
		c := h.job("c", script("FAILURE", 25*time.Second))
		d := h.job("d", script("FAILURE", 15*time.Second))
		out := h.trigger(policy(), a, b, c, d)
		if out.End() != EndFailed || out.Deciding() != 2 {
			t.Fatalf("end %v, deciding %d", out.End(), out.Deciding())
		}
		if got := h.rep.outputs[contract.OutputBuildURL]; !strings.HasSuffix(got, "/job/c/1/") || h.rep.outputs[contract.OutputResult] != "FAILURE" {
			t.Errorf("outputs %v, want build c's", h.rep.outputs)
		}
		for name, n := range h.rep.writes {
			// builds is written again as each build is queued, starts and ends.
			if want := map[bool]int{true: 12, false: 1}[name == contract.OutputBuilds]; n != want {
				t.Errorf("output %s written %d times, want %d", name, n, want)
			}
		}
		if len(h.rep.verdicts) != 4 {
			t.Errorf("%d verdicts, want one per build", len(h.rep.verdicts))
		}
	})
}

// TestBuildsWrittenAsLearnt: before any build ends, the builds output
// already names every build with its queue item and number, so that a step
// killed then has said where they are.
func TestBuildsWrittenAsLearnt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", script("SUCCESS", 20*time.Second))
		b := h.job("b", script("FAILURE", 30*time.Second))
		h.trigger(policy(), a, b)
		var entries []buildsEntry
		for _, v := range h.rep.history[contract.OutputBuilds] {
			if err := json.Unmarshal([]byte(v), &entries); err != nil {
				t.Fatalf("builds %s: %v", v, err)
			}
			if entries[0].BuildNumber != nil && entries[1].BuildNumber != nil {
				break
			}
		}
		for i, e := range entries {
			if e.QueueURL == nil || e.BuildURL == nil || e.Result != nil {
				t.Errorf("builds entry %d when both had started: %+v", i, e)
			}
		}
	})
}

// TestTriggerRefusedStopsTheOthers: when the second of three triggers is
// refused, the first build is stopped or its item cancelled, the third is
// never triggered, and the refusal decides the step.
func TestTriggerRefusedStopsTheOthers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", script("SUCCESS", time.Minute))
		b := h.job("b", script("SUCCESS", time.Minute), func(s *jenkinstest.JobSpec) { s.RefuseTrigger = http.StatusForbidden })
		c := h.job("c", script("SUCCESS", time.Minute))
		out := h.trigger(policy(), a, b, c)
		if out.End() != EndUnusable || out.Deciding() != 1 {
			t.Fatalf("end %v deciding %d: %+v", out.End(), out.Deciding(), out)
		}
		var te *jenkins.TriggerError
		if !errors.As(out.Builds[1].Err, &te) || te.Job != "b" {
			t.Errorf("build b: %v", out.Builds[1].Err)
		}
		if o := out.Builds[0]; !o.Stopped || o.Result != build.Cancelled {
			t.Errorf("build a: %+v, want its queue item cancelled", o)
		}
		if o := out.Builds[2]; o.Queue != 0 || o.Owned {
			t.Errorf("build c: %+v, want it never triggered", o)
		}
		if n := h.requests(http.MethodPost, "/job/c/"); n != 0 {
			t.Errorf("%d POSTs for c", n)
		}
		assertNothingLeft(t, h, "a", "b", "c")
	})
}

// TestNothingSentUntilEveryJobChecks: a problem with any job, found by
// reading them all, ends the step before anything is triggered.
func TestNothingSentUntilEveryJobChecks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		spec func(*jenkinstest.JobSpec)
		want string
	}{
		{"a parameter the job lacks", func(s *jenkinstest.JobSpec) { s.Params = []jenkinstest.ParamDef{{Name: "OTHER", Type: "string"}} }, "V is not a parameter of b"},
		{"a job that does not exist", func(s *jenkinstest.JobSpec) { s.FullName = "elsewhere" }, "no job b"},
		{"a disabled job", func(s *jenkinstest.JobSpec) { s.Disabled = true }, "job b is disabled"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newStepHarness(t, jenkinstest.Options{})
				params := func(s *jenkinstest.JobSpec) { s.Params = []jenkinstest.ParamDef{{Name: "V", Type: "string"}} }
				a := h.job("a", script("SUCCESS", time.Minute), params)
				h.job("b", script("SUCCESS", time.Minute), params, tt.spec)
				c := h.job("c", script("SUCCESS", time.Minute), params)
				out := h.run(Options{Targets: []Target{{Job: a}, {Job: h.ref("b")}, {Job: c}}, Params: []build.Param{{Name: "V", Value: "1"}}, Policy: policy()})
				if out.Err == nil || !strings.Contains(out.Err.Error(), tt.want) || len(out.Builds) != 0 {
					t.Fatalf("outcome %+v, want an error with %q", out, tt.want)
				}
				if n := h.requests(http.MethodPost, ""); n != 0 {
					t.Errorf("%d POSTs before every job checked", n)
				}
			})
		})
	}
}

// TestOneQueueReadServesAll: with several items waiting, one read of the
// queue serves them all; each item is read on its own only once it left.
func TestOneQueueReadServesAll(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		var jobs []jenkins.Job
		for i := range 5 {
			s := script("SUCCESS", 20*time.Second)
			s.QueueWait = time.Duration(i) * 3 * time.Second
			jobs = append(jobs, h.job(fmt.Sprintf("j%d", i), s))
		}
		if out := h.trigger(policy(), jobs...); out.End() != EndOK {
			t.Fatalf("outcome %+v", out)
		}
		listings, items := h.requests(http.MethodGet, "/queue/api/json"), h.requests(http.MethodGet, "/queue/item/")
		if items != 5 || listings > 8 {
			t.Errorf("%d listings and %d item reads for 5 items, want one item read each and a few listings", listings, items)
		}
	})
}

// TestRestartWhileFollowingThree: Jenkins restarting (503s, then connection
// resets) while three builds run: each is followed to its end.
func TestRestartWhileFollowingThree(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var resets atomic.Int32
		var h *stepHarness
		h = newStepHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			now := time.Since(epoch)
			switch {
			case now >= 40*time.Second && now < 41*time.Second && resets.Add(1) == 1:
				h.srv.Restart(30 * time.Second)
			case now >= 71*time.Second && now < 90*time.Second && r.Method == http.MethodGet:
				return jenkinstest.FaultReset
			}
			return jenkinstest.FaultNone
		}})
		a := h.job("a", script("SUCCESS", 2*time.Minute))
		b := h.job("b", script("FAILURE", 100*time.Second))
		c := h.job("c", script("SUCCESS", 150*time.Second))
		out := h.trigger(policy(), a, b, c)
		if resets.Load() == 0 {
			t.Fatal("Jenkins never restarted")
		}
		for i, want := range []build.Result{build.Success, build.Failure, build.Success} {
			if o := out.Builds[i]; o.Err != nil || o.Result != want {
				t.Errorf("build %d: %+v, want %s", i, o, want)
			}
		}
	})
}

// TestEachBuildEndsOnItsOwn: Jenkins unusable for one build ends that
// build's following only; the others run to their own ends.
func TestEachBuildEndsOnItsOwn(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if strings.Contains(r.URL.Path, "/job/b/1/logText") {
				return jenkinstest.Fault502
			}
			return jenkinstest.FaultNone
		}})
		a := h.job("a", script("FAILURE", 30*time.Second))
		b := h.job("b", script("SUCCESS", 30*time.Second))
		c := h.job("c", script("SUCCESS", 40*time.Second))
		out := h.trigger(policy(), a, b, c)
		if out.Builds[0].Result != build.Failure || out.Builds[1].Err == nil || out.Builds[2].Result != build.Success {
			t.Fatalf("outcomes %+v", out.Builds)
		}
		if out.End() != EndUnusable || out.Deciding() != 1 {
			t.Errorf("end %v deciding %d", out.End(), out.Deciding())
		}
	})
}

// TestWaitForEndsWhenAllReach: wait_for start ends the step once every
// build has started, and follows none further.
func TestWaitForEndsWhenAllReach(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		var jobs []jenkins.Job
		for i := range 3 {
			s := script("SUCCESS", time.Hour)
			s.QueueWait = time.Duration(i) * 20 * time.Second
			jobs = append(jobs, h.job(fmt.Sprintf("j%d", i), s))
		}
		p := policy()
		p.WaitFor = build.WaitStart
		out := h.trigger(p, jobs...)
		for i, o := range out.Builds {
			if o.Number != 1 || o.Result != build.None || o.End() != EndOK {
				t.Errorf("build %d: %+v", i, o)
			}
		}
		if took := time.Since(epoch); took < 45*time.Second || took > 70*time.Second {
			t.Errorf("ended after %v: the last build starts at about 45s", took)
		}
		if n := h.requests(http.MethodGet, "progressiveText"); n != 0 {
			t.Errorf("%d console reads past wait_for", n)
		}
	})
}

// TestHeartbeatNamesEveryBuild: after 30 s in which no build wrote, one
// line says where each still waiting stands.
func TestHeartbeatNamesEveryBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		quiet := jenkinstest.Script{QuietPeriod: 5 * time.Second, Duration: 2 * time.Minute, Result: "SUCCESS", EstimatedDuration: 3 * time.Minute}
		a := h.job("a", quiet)
		stuck := quiet
		stuck.QueueWait = 5 * time.Minute
		b := h.job("b", stuck)
		p := policy()
		p.Timeout = 90 * time.Second
		h.trigger(p, a, b)
		lines := h.rep.said("status", "still waiting for 2 builds: a #1 still running: ")
		if len(lines) == 0 {
			t.Fatalf("no heartbeat naming both builds:\n%s", h.rep.all())
		}
		if !strings.Contains(lines[0], " of about 3m; b in the queue (Waiting for next available executor on ‘linux’)") {
			t.Errorf("heartbeat %q", lines[0])
		}
	})
}

// TestTimeoutStopsEveryOwnedBuild: the timeout stops every build the step
// triggered, cancels every item still queued, and decides the step unless
// a build could not be followed.
func TestTimeoutStopsEveryOwnedBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", script("SUCCESS", 30*time.Second))
		b := h.job("b", script("SUCCESS", time.Hour))
		queued := script("SUCCESS", time.Minute)
		queued.QueueWait = time.Hour
		c := h.job("c", queued)
		p := policy()
		p.Timeout = 2 * time.Minute
		out := h.trigger(p, a, b, c)
		if out.End() != EndTimedOut || out.Deciding() != 1 {
			t.Fatalf("end %v deciding %d", out.End(), out.Deciding())
		}
		if out.Builds[0].Result != build.Success || out.Builds[1].Result != build.Timeout || out.Builds[2].Result != build.Timeout {
			t.Errorf("results %+v", out.Builds)
		}
		assertNothingLeft(t, h, "a", "b", "c")
		if !h.srv.Builds("b")[0].Aborted {
			t.Error("b was not stopped")
		}
	})
}

// TestBuildTrackerReadsOnlyWhenAsked: the build's state is read when the
// console asks for it, or on every tick but the first without a console,
// never once the build is finished.
func TestBuildTrackerReadsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	running, done := &jenkins.Build{Number: 1, Building: true}, &jenkins.Build{Number: 1}
	for _, tt := range []struct {
		name      string
		everyTick bool
		views     []view
		reads     int
	}{
		{"with a console, only when it asks", false, []view{{build: running}, {build: running, readBuild: true}, {build: running}}, 1},
		{"without, every tick but the first", true, []view{{build: running}, {build: running}, {build: running}}, 2},
		{"never once finished", true, []view{{build: done}, {build: done, readBuild: true}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &countingClient{build: running}
			tr := &buildTracker{client: c, everyTick: tt.everyTick}
			for _, v := range tt.views {
				got, err := tr.poll(t.Context(), v)
				if err != nil {
					t.Fatal(err)
				}
				if got.fresh != (got.build != v.build) {
					t.Errorf("fresh %v for a build read: %v", got.fresh, got.build != v.build)
				}
			}
			if c.builds != tt.reads {
				t.Errorf("%d reads, want %d", c.builds, tt.reads)
			}
		})
	}
}

// countingClient answers Build and counts it.
type countingClient struct {
	build  *jenkins.Build
	builds int
}

func (c *countingClient) Build(context.Context, jenkins.Job, int) (*jenkins.Build, error) {
	c.builds++
	b := *c.build
	return &b, nil
}

// assertNothingLeft fails if any job has a queue item or a build left
// running.
func assertNothingLeft(t *testing.T, h *stepHarness, jobs ...string) {
	t.Helper()
	time.Sleep(5 * time.Second) // let a stopped build wind down
	q, err := h.client.Queue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) > 0 {
		t.Errorf("queue items left behind: %+v", q.Items)
	}
	for _, j := range jobs {
		for _, b := range h.srv.Builds(j) {
			if b.Completed.IsZero() {
				t.Errorf("%s #%d left running", j, b.Number)
			}
		}
	}
}

// lateChecks answers the checks of a job only once the timeout passed.
type lateChecks struct {
	*jenkins.Client
	late time.Duration
}

func (l lateChecks) JobInfo(ctx context.Context, job jenkins.Job) (*jenkins.JobInfo, error) {
	info, err := l.Client.JobInfo(ctx, job)
	time.Sleep(l.late)
	return info, err
}

// TestTimeoutDuringChecks: a timeout that passes while the jobs are
// checked ends the step as timed out, with nothing triggered.
func TestTimeoutDuringChecks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a, b := h.job("a", script("SUCCESS", time.Minute)), h.job("b", script("SUCCESS", time.Minute))
		p := policy()
		p.Timeout = time.Minute
		out := Run(t.Context(), Options{Policy: p, Targets: []Target{{Job: a}, {Job: b}}},
			Deps{Client: lateChecks{Client: h.client, late: 2 * time.Minute}, Report: h.rep})
		if !errors.Is(out.Err, ErrTimeout) {
			t.Errorf("outcome %+v, want the timeout", out)
		}
		if n := h.requests(http.MethodPost, "build"); n != 0 {
			t.Errorf("%d triggers after the timeout", n)
		}
	})
}

// TestInputAnsweredElsewhereIsReadOnce: once someone answered a build's
// input in Jenkins, a build state read during the pause that said it
// waited does not send the step back to list the inputs every 2 s for the
// rest of the build.
func TestInputAnsweredElsewhereIsReadOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		s := script("SUCCESS", 5*time.Minute)
		s.Inputs = []jenkinstest.Input{{At: 30 * time.Second, ID: "approve", Message: "Deploy?", AnswerBy: "proceed", AnsweredAfter: 3 * time.Minute}}
		app := h.job("app", s, func(j *jenkinstest.JobSpec) { j.Pipeline = true })
		if out := h.trigger(policy(), app); out.End() != EndOK {
			t.Fatalf("end %v: %+v", out.End(), out)
		}
		reads := 0
		for _, r := range h.srv.Requests() {
			if strings.Contains(r.RawQuery, "waitingForInput%2Cexecutions") || strings.Contains(r.RawQuery, "waitingForInput,executions") {
				reads++
			}
		}
		t.Logf("%d reads of the pending inputs", reads)
		if reads > 6 {
			t.Errorf("%d reads of the pending inputs for one input", reads)
		}
	})
}
