package benchmark

import (
	"flag"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// variants is how many runs make up a scenario's figures. They differ in how
// long the build waits for an executor and in the sub-second phase of the
// clock, so that polls meet the build's end at every phase.
const variants = 100

// phase is how far into a second variant v's bubble starts its run: the
// variants cover the phases of a second in steps of 10 ms.
func phase(v int) time.Duration {
	return time.Duration(v) * 170 * time.Millisecond % time.Second
}

// withQueue is a build behind Jenkins' default 5 s quiet period and a wait
// for an executor that depends on the variant.
func withQueue(v int, s jenkinstest.Script) jenkinstest.Script {
	s.QuietPeriod = 5 * time.Second
	s.QueueWait = time.Duration(v) * 530 * time.Millisecond % (5 * time.Second)
	return s
}

// scenario is a build to follow.
type scenario struct {
	name   string
	script func(variant int) jenkinstest.Script
	kind   kind
}

// twentySeconds is a 20 s build writing 400 lines evenly; Jenkins estimates
// it at estimate (0: no estimate, as for a job's first build).
func twentySeconds(estimate time.Duration) func(int) jenkinstest.Script {
	return func(v int) jenkinstest.Script {
		s := jenkinstest.Script{Duration: 20 * time.Second, EstimatedDuration: estimate}
		for i := range 400 {
			s.Log = append(s.Log, jenkinstest.LogLine{At: time.Duration(i) * 50 * time.Millisecond, Text: consoleLine(i)})
		}
		return withQueue(v, s)
	}
}

// tenMinutes is a deploy that takes d and writes little: a burst at the
// start, a progress line a minute, a burst at the end. Jenkins estimates
// it at 10 minutes.
func tenMinutes(d time.Duration) func(int) jenkinstest.Script {
	return func(v int) jenkinstest.Script {
		s := jenkinstest.Script{Duration: d, EstimatedDuration: 10 * time.Minute}
		for i := range 10 {
			s.Log = append(s.Log, jenkinstest.LogLine{At: time.Duration(i) * 200 * time.Millisecond, Text: consoleLine(i)})
		}
		for i := range 9 {
			s.Log = append(s.Log, jenkinstest.LogLine{At: time.Duration(i+1) * time.Minute, Text: consoleLine(10 + i)})
		}
		for i := range 11 {
			s.Log = append(s.Log, jenkinstest.LogLine{At: d - 3*time.Second + time.Duration(i)*250*time.Millisecond, Text: consoleLine(19 + i)})
		}
		return withQueue(v, s)
	}
}

// twentySecondPipeline is a 20 s Pipeline of four stages writing 400
// lines evenly, estimated at 20 s; the fake adds each stage's
// "[Pipeline] stage", "{ (Name)" and "}" lines.
func twentySecondPipeline(v int) jenkinstest.Script {
	s := twentySeconds(20 * time.Second)(v)
	for i, name := range []string{"Checkout", "Build", "Test", "Deploy"} {
		s.Stages = append(s.Stages, jenkinstest.Stage{Name: name, Start: time.Duration(i) * 5 * time.Second, Duration: 5 * time.Second})
	}
	return s
}

var scenarios = []scenario{
	{"20 s build, 400 lines", twentySeconds(20 * time.Second), freestyle},
	{"10 min build, 30 lines", tenMinutes(10 * time.Minute), freestyle},
	{"20 s build, 400 lines, no estimate", twentySeconds(0), freestyle},
	{"10 min build, 30 lines, ends 1 min early", tenMinutes(9 * time.Minute), freestyle},
	{"10 min build, 30 lines, ends 1 min late", tenMinutes(11 * time.Minute), freestyle},
	{"20 s Pipeline, 4 stages, 400 lines (Stage View)", twentySecondPipeline, withWfapi},
	{"20 s Pipeline, 4 stages, 400 lines (Graph View)", twentySecondPipeline, withGraphView},
}

// followers are compared in every scenario, jenkins-trigger first.
var followers = []struct {
	name   string
	follow func(*memnet.Network) follower
}{
	{"jenkins-trigger", ours},
	{"fixed 5 s poller", func(n *memnet.Network) follower { return fixedPoller(n, 5*time.Second) }},
}

// figuresFlag makes the figure tests run every variant and log the tables
// docs/performance.md shows; without it they run a few variants and check
// jenkins-trigger's figures against the table's.
var figuresFlag = flag.Bool("figures", false, "run every variant and log docs/performance.md's tables")

// sampled is the variants a figure test runs: all of n with -figures,
// else every step-th.
func sampled(n, step int) []int {
	var vs []int
	for v := 0; v < n; v++ {
		if *figuresFlag || v%step == 0 {
			vs = append(vs, v)
		}
	}
	return vs
}

// followCeilings are jenkins-trigger's figures in docs/performance.md's
// first table, per scenario: the most requests, and the longest end and
// line delays. Fewer variants can only stay under them.
var followCeilings = map[string]struct {
	requests         int
	delayMax, lagMax time.Duration
}{
	"20 s build, 400 lines":                           {29, 480 * time.Millisecond, 3960 * time.Millisecond},
	"10 min build, 30 lines":                          {73, 480 * time.Millisecond, 11960 * time.Millisecond},
	"20 s build, 400 lines, no estimate":              {28, 960 * time.Millisecond, 3960 * time.Millisecond},
	"10 min build, 30 lines, ends 1 min early":        {66, 3960 * time.Millisecond, 11960 * time.Millisecond},
	"10 min build, 30 lines, ends 1 min late":         {82, 3980 * time.Millisecond, 11960 * time.Millisecond},
	"20 s Pipeline, 4 stages, 400 lines (Stage View)": {34, 480 * time.Millisecond, 3960 * time.Millisecond},
	"20 s Pipeline, 4 stages, 400 lines (Graph View)": {35, 480 * time.Millisecond, 3960 * time.Millisecond},
}

// TestFollowFigures follows each scenario's build with jenkins-trigger and
// with a fixed 5 s poller, each run in a synctest bubble with the fake
// Jenkins: a ten-minute build takes milliseconds, and every figure is
// exact (virtual time, not the wall clock's) and the same on every run.
// With -figures it runs all variants and logs the table
// docs/performance.md shows; otherwise every tenth variant, and checks
// jenkins-trigger's figures against that table.
func TestFollowFigures(t *testing.T) {
	t.Parallel()
	rows := make([]summary, len(scenarios)*len(followers))
	t.Run("scenarios", func(t *testing.T) {
		for i, sc := range scenarios {
			for j, fl := range followers {
				t.Run(sc.name+"/"+fl.name, func(t *testing.T) {
					t.Parallel()
					var runs []figures
					for _, v := range sampled(variants, 10) {
						synctest.Test(t, func(t *testing.T) {
							time.Sleep(phase(v))
							n := &memnet.Network{}
							fig, err := measure(t, n, sc.script(v), sc.kind, fl.follow(n))
							if err != nil {
								t.Fatal(err)
							}
							runs = append(runs, fig)
						})
					}
					s := summarize(sc.name, fl.name, runs)
					rows[i*len(followers)+j] = s
					if c, ok := followCeilings[sc.name]; ok && j == 0 &&
						(s.requests > c.requests || s.conns > 1 || s.delayMax > c.delayMax || s.lagMax > c.lagMax) {
						t.Errorf("%d requests, %d connections, end after %v, lines after %v: over docs/performance.md's %+v", s.requests, s.conns, s.delayMax, s.lagMax, c)
					}
				})
			}
		}
	})
	if *figuresFlag {
		t.Log("\n" + table(rows))
	}
}
