package benchmark

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/cli"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// severalVariants is how many runs make up each figure of BenchmarkSeveral.
const severalVariants = 25

// jobNames are the jobs of a step of n builds: the fixture's own job, then
// siblings of it.
func jobNames(n int) []string {
	names := []string{jobName}
	for i := 2; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s-%d", jobName, i))
	}
	return names
}

// addJob adds a freestyle job that runs script.
func (f *fixture) addJob(name string, script jenkinstest.Script) {
	f.fake.AddJob(jenkinstest.JobSpec{FullName: name, Script: func(map[string]string) jenkinstest.Script { return script }})
}

// stepFigures are one step's costs: all its builds', and how late its end
// came after the last build's.
type stepFigures struct {
	requests, queueReads, itemReads int
	down                            int64
	delay                           time.Duration
}

// measureStep runs one step of jenkins-trigger over builds of n jobs, the
// j-th running script(j), on nw, the bubble's network, and returns its figures.
func measureStep(tb testing.TB, nw *memnet.Network, n int, script func(j int) jenkinstest.Script) (stepFigures, error) {
	names := jobNames(n)
	f := newFixture(tb, nw, script(0), freestyle)
	for j, name := range names[1:] {
		f.addJob(name, script(j+1))
	}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), cli.Env{
		Environ: map[string]string{"JENKINS_URL": f.url(), "JENKINS_JOB": strings.Join(names, "\n"), "JENKINS_USER": user, "JENKINS_TOKEN": token},
		Stdout:  &stdout, Stderr: &stderr, Net: nw,
	})
	if code != cli.ExitOK {
		return stepFigures{}, fmt.Errorf("jenkins-trigger exited %d: %s", code, stderr.String())
	}
	end := time.Now()
	var last time.Time
	for _, name := range names {
		builds := f.fake.Builds(name)
		if len(builds) != 1 || builds[0].Completed.IsZero() {
			return stepFigures{}, fmt.Errorf("%s: %+v", name, builds)
		}
		if builds[0].Completed.After(last) {
			last = builds[0].Completed
		}
	}
	fig := stepFigures{down: f.down.Load(), delay: end.Sub(last)}
	for _, r := range f.fake.Requests() {
		fig.requests++
		switch {
		case strings.HasSuffix(r.Path, "/queue/api/json"):
			fig.queueReads++
		case strings.Contains(r.Path, "/queue/item/"):
			fig.itemReads++
		}
	}
	return fig, nil
}

// severalCeilings are the figures of docs/performance.md's second table,
// per number of builds: the most requests and queue listings, and the
// longest wait for the step's end after the last build's.
var severalCeilings = map[int]struct {
	requests, queueReads int
	delayMax             time.Duration
}{
	1: {29, 0, 480 * time.Millisecond},
	5: {101, 7, 480 * time.Millisecond},
}

// TestSeveralFigures follows one 20 s build, then five in one step, each
// run in a synctest bubble with the fake Jenkins, over severalVariants
// runs that differ in how long each build waits for an executor and in
// the phase of the clock. With -figures it runs them all and logs
// docs/performance.md's table: the most requests and bytes any run made,
// and the median and longest wait from the last build's end to the
// step's (virtual time). Otherwise it runs every fifth and checks the
// figures against that table.
func TestSeveralFigures(t *testing.T) {
	t.Parallel()
	counts := []int{1, 5}
	rows := make([]string, len(counts))
	t.Run("steps", func(t *testing.T) {
		for i, n := range counts {
			t.Run(fmt.Sprintf("%d builds", n), func(t *testing.T) {
				t.Parallel()
				var runs []stepFigures
				for _, v := range sampled(severalVariants, 5) {
					synctest.Test(t, func(t *testing.T) {
						time.Sleep(phase(v))
						fig, err := measureStep(t, &memnet.Network{}, n, func(j int) jenkinstest.Script { return twentySeconds(20 * time.Second)(v + 7*j) })
						if err != nil {
							t.Fatal(err)
						}
						runs = append(runs, fig)
					})
				}
				worst := stepFigures{}
				var delays []time.Duration
				for _, r := range runs {
					worst.requests = max(worst.requests, r.requests)
					worst.queueReads = max(worst.queueReads, r.queueReads)
					worst.itemReads = max(worst.itemReads, r.itemReads)
					worst.down = max(worst.down, r.down)
					delays = append(delays, r.delay)
				}
				if c := severalCeilings[n]; worst.requests > c.requests || worst.queueReads > c.queueReads || slices.Max(delays) > c.delayMax {
					t.Errorf("%d requests, %d queue listings, end after %v: over docs/performance.md's %+v", worst.requests, worst.queueReads, slices.Max(delays), c)
				}
				builds := "build"
				if n > 1 {
					builds = "builds"
				}
				rows[i] = fmt.Sprintf("| %d × 20 s %s | %d | %d | %d | %.1f | %s / %s |", n, builds, worst.requests, worst.queueReads, worst.itemReads,
					float64(worst.down)/1024, seconds(median(delays)), seconds(slices.Max(delays)))
			})
		}
	})
	if *figuresFlag {
		t.Log("\n| step | requests | queue listings | queue item reads | KiB down | end after the last build's (median / max) |\n|---|--:|--:|--:|--:|--:|\n" + strings.Join(rows, "\n"))
	}
}

// BenchmarkFourConsoles64MiB runs the jenkins-trigger binary against a
// fake Jenkins, served from this process, with four builds that each write
// 64 MiB of console in 10 s, followed at once. It reports the child's peak
// RSS, and checks that each build's console, with its label taken off, is
// Jenkins' consoleText, byte for byte.
func BenchmarkFourConsoles64MiB(b *testing.B) {
	const size, builds = 64 << 20, 4
	bin := buildBinary(b)
	script := jenkinstest.Script{Duration: 10 * time.Second, SyntheticLog: size}
	f := newFixture(b, nil, script, freestyle)
	names := jobNames(builds)
	for _, name := range names[1:] {
		f.addJob(name, script)
	}
	var rss int64
	b.SetBytes(size * builds)
	b.ResetTimer()
	for i := range b.N {
		out := &labelledTee{sums: map[string]hash.Hash{}, n: map[string]int64{}}
		env := []string{"JENKINS_URL=" + f.url(), "JENKINS_JOB=" + strings.Join(names, "\n"), "JENKINS_USER=" + user, "JENKINS_TOKEN=" + token}
		rss = max(rss, runBinary(b, bin, env, out))
		b.StopTimer()
		for _, name := range names {
			path := "/job/" + strings.ReplaceAll(name, "/", "/job/") + "/"
			want, n := consoleTextOf(b, f, path, i+1)
			label := fmt.Sprintf("%s #%d", name, i+1)
			if out.n[label] != n || out.sums[label] == nil || !bytes.Equal(out.sums[label].Sum(nil), want) {
				b.Fatalf("%s: printed %d bytes of console, Jenkins has %d, or they differ", label, out.n[label], n)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	if rss >= 30<<20 {
		b.Errorf("peak RSS %.1f MiB, over the 30 MiB bound", float64(rss)/(1<<20))
	}
}

// labelledTee hashes each build's console lines, their label taken off.
type labelledTee struct {
	sums    map[string]hash.Hash
	n       map[string]int64
	partial []byte
}

func (c *labelledTee) Write(p []byte) (int, error) {
	buf := append(c.partial, p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		line := buf[:i+1]
		if label, text, ok := bytes.Cut(line, []byte(" | ")); ok && !bytes.HasPrefix(line, []byte("» ")) {
			l := string(label)
			if c.sums[l] == nil {
				c.sums[l] = sha256.New()
			}
			c.sums[l].Write(text)
			c.n[l] += int64(len(text))
		}
		buf = buf[i+1:]
	}
	c.partial = append(c.partial[:0], buf...)
	return len(p), nil
}

// consoleTextOf returns the hash and size of build n's consoleText, the
// job at path.
func consoleTextOf(tb testing.TB, f *fixture, path string, n int) ([]byte, int64) {
	tb.Helper()
	resp, err := getAsUser(fmt.Sprintf("%s%s%d/consoleText", f.url(), path, n))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	sum := sha256.New()
	size, err := io.Copy(sum, resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return sum.Sum(nil), size
}
