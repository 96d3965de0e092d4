package benchmark

import (
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// variants is how many runs make up a scenario's figures. They differ in how
// long the build waits for an executor and in the sub-second phase of the
// clock, so that polls meet the build's end at every phase.
const variants = 100

// variantStart is when variant v's clock starts: the variants cover the
// phases of a second in steps of 10 ms.
func variantStart(v int) time.Time {
	return epoch.Add(time.Duration(v) * 170 * time.Millisecond % time.Second)
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
	follow func(clock.Clock) follower
}{
	{"jenkins-trigger", ours},
	{"fixed 5 s poller", func(c clock.Clock) follower { return fixedPoller(c, 5*time.Second) }},
}

// BenchmarkFollow follows each scenario's build with jenkins-trigger and with
// a fixed 5 s poller, on a virtual clock shared with the fake Jenkins: a
// ten-minute build takes milliseconds, and every figure is exact and the
// same on every run. It logs the table docs/performance.md shows.
func BenchmarkFollow(b *testing.B) {
	var rows []summary
	for _, sc := range scenarios {
		for _, fl := range followers {
			var s summary
			b.Run(sc.name+"/"+fl.name, func(b *testing.B) {
				for range b.N {
					runs := make([]figures, variants)
					for v := range runs {
						clk := clock.NewVirtual(variantStart(v))
						var err error
						if runs[v], err = measure(b, clk, sc.script(v), sc.kind, fl.follow(clk)); err != nil {
							b.Fatal(err)
						}
					}
					s = summarize(sc.name, fl.name, runs)
				}
				s.report(b)
			})
			rows = append(rows, s)
		}
	}
	b.Log("\n" + table(rows))
}
