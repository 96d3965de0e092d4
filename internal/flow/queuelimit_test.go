package flow

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// queued is a build that waits for an executor for wait, after a 5 s
// quiet period, then runs for d.
func queued(wait, d time.Duration) jenkinstest.Script {
	s := script("SUCCESS", d)
	s.QueueWait = wait
	return s
}

// withQueueTimeout is the default policy with queue_timeout.
func withQueueTimeout(limit time.Duration) build.Policy {
	p := policy()
	p.QueueTimeout = limit
	return p
}

const executorWhy = "Waiting for next available executor on ‘linux’"

// TestQueueTimeoutCancelsTheItem: a build still in the queue when
// queue_timeout passes has its item cancelled then, and times out, named
// with the queue's last reason; timeout is far off.
func TestQueueTimeoutCancelsTheItem(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		h.rep.summaries = true
		deploy := h.job("deploy", queued(time.Hour, time.Minute))
		out := h.trigger(withQueueTimeout(10*time.Minute), deploy)
		o := out.Builds[0]
		if out.End() != EndTimedOut || o.Result != build.Timeout || o.QueueTimeout == nil {
			t.Fatalf("outcome %+v", o)
		}
		if got, want := o.QueueTimeout.Error(), "deploy was still in the queue after 10m (queue_timeout): "+executorWhy+"; queue item 1 was cancelled"; got != want {
			t.Errorf("error %q, want %q", got, want)
		}
		if took := time.Since(epoch); took < 10*time.Minute || took > 10*time.Minute+time.Second {
			t.Errorf("ended after %v, want at the queue_timeout", took)
		}
		if notes := h.rep.summary.Builds[0].Notes; len(notes) != 1 || notes[0] != o.QueueTimeout.Error()+"." {
			t.Errorf("summary notes %q, want the queue_timeout's", notes)
		}
		if len(h.srv.Builds("deploy")) != 0 {
			t.Error("the build started")
		}
		assertNothingLeft(t, h, "deploy")
	})
}

// TestBuildStartedInTimeRunsPastQueueTimeout: queue_timeout bounds the
// wait in the queue only; a build that started within it runs to its end.
func TestBuildStartedInTimeRunsPastQueueTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		deploy := h.job("deploy", queued(9*time.Minute, 20*time.Minute))
		out := h.trigger(withQueueTimeout(10*time.Minute), deploy)
		if o := out.Builds[0]; o.Result != build.Success || o.QueueTimeout != nil {
			t.Fatalf("outcome %+v", o)
		}
		if took := time.Since(epoch); took < 29*time.Minute {
			t.Errorf("ended after %v", took)
		}
	})
}

// TestQueueTimeoutOfEachBuild: with several builds, each item has its own
// queue_timeout; those that start in time run on.
func TestQueueTimeoutOfEachBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		a := h.job("a", queued(time.Hour, time.Minute))
		b := h.job("b", queued(5*time.Minute, 30*time.Minute))
		c := h.job("c", queued(15*time.Minute, time.Minute))
		out := h.trigger(withQueueTimeout(10*time.Minute), a, b, c)
		if out.End() != EndTimedOut || out.Deciding() != 0 {
			t.Fatalf("end %v deciding %d", out.End(), out.Deciding())
		}
		for i, want := range []build.Result{build.Timeout, build.Success, build.Timeout} {
			if o := out.Builds[i]; o.Result != want || (o.QueueTimeout != nil) != (want == build.Timeout) {
				t.Errorf("build %d: %+v, want %s", i, o, want)
			}
		}
		if took := time.Since(epoch); took < 35*time.Minute {
			t.Errorf("ended after %v: b was not followed to its end", took)
		}
		assertNothingLeft(t, h, "a", "b", "c")
	})
}

// TestFollowedItemLeftAloneAtQueueTimeout: a followed queue item, which
// this step did not trigger, is not cancelled when queue_timeout passes;
// its wait counts from when Jenkins queued it.
func TestFollowedItemLeftAloneAtQueueTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{})
		deploy := h.job("deploy", queued(time.Hour, time.Minute))
		p := policy()
		p.WaitFor = build.WaitQueue
		first := h.trigger(p, deploy)
		time.Sleep(4 * time.Minute)
		out := h.run(Options{Targets: []Target{{Follow: &jenkins.Location{Queue: first.Builds[0].Queue}}}, Policy: withQueueTimeout(10 * time.Minute)})
		o := out.Builds[0]
		if o.Result != build.Timeout || o.QueueTimeout == nil || !strings.Contains(o.QueueTimeout.Fate, "left in the queue (this step did not trigger it") {
			t.Fatalf("outcome %+v", o)
		}
		if took := time.Since(epoch); took < 10*time.Minute || took > 10*time.Minute+2*time.Second {
			t.Errorf("ended %v after the item was queued, want queue_timeout after it", took)
		}
		if n := h.requests(http.MethodPost, "cancelItem"); n != 0 {
			t.Errorf("%d cancels of an item the step does not own", n)
		}
		if q, err := h.client.QueueItem(t.Context(), o.Queue); err != nil || q.Left() {
			t.Errorf("item %+v (%v), want it still queued", q, err)
		}
	})
}

// TestItemLeavingAtQueueTimeoutKeepsItsBuild: an item that leaves the
// queue between the read at the deadline and the cancel is not lost: its
// build is followed to its end.
func TestItemLeavingAtQueueTimeoutKeepsItsBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newStepHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if strings.HasSuffix(r.URL.Path, "/queue/cancelItem") {
				time.Sleep(10 * time.Second) // Jenkins hands it to an executor first
			}
			return jenkinstest.FaultNone
		}})
		deploy := h.job("deploy", queued(10*time.Minute, 2*time.Minute))
		out := h.trigger(withQueueTimeout(10*time.Minute), deploy)
		if o := out.Builds[0]; o.Result != build.Success || o.Number != 1 || o.QueueTimeout != nil {
			t.Fatalf("outcome %+v\n%s", o, h.rep.all())
		}
		if n := h.requests(http.MethodPost, "cancelItem"); n != 1 {
			t.Errorf("%d cancels, want the one that found the item gone", n)
		}
		if len(h.rep.said("status", "Queue item 1 left the queue as queue_timeout passed: following its build")) != 1 {
			t.Errorf("no word of the race:\n%s", h.rep.all())
		}
	})
}
