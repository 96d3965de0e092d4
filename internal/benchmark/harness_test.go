package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/cli"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

const (
	user    = "alice"
	token   = "11be0c4a1f0d2e3b4c5d6e7f8091a2b3c4"
	jobName = "team/app/deploy"
	jobPath = "/job/team/job/app/job/deploy/"
)

// fixture serves a fake Jenkins through a listener the benchmark owns, so
// that it counts connections and bytes on the wire besides requests: on an
// in-memory network inside a synctest bubble, or on a loopback port.
type fixture struct {
	fake  *jenkinstest.Server
	ts    *httptest.Server
	conns atomic.Int64
	down  atomic.Int64 // bytes Jenkins sent, headers included
	up    atomic.Int64 // bytes Jenkins received
}

// kind is what sort of job a fixture runs, on a Jenkins with which
// Pipeline plugins.
type kind struct {
	pipeline bool
	// wfapi and graphView are the stage plugins (jenkinstest.Options).
	wfapi     bool
	graphView string
}

var (
	freestyle = kind{}
	// withWfapi is a Pipeline on a Jenkins with Pipeline Stage View.
	withWfapi = kind{pipeline: true, wfapi: true}
	// withGraphView is a Pipeline on a Jenkins with only Pipeline Graph
	// View, as the setup wizard installs it since 2.448.
	withGraphView = kind{pipeline: true, graphView: "stages"}
)

func newFixture(tb testing.TB, n *memnet.Network, script jenkinstest.Script, k kind) *fixture {
	f := &fixture{fake: jenkinstest.New(jenkinstest.Options{
		Net:         n,
		ContextPath: "/jenkins",
		RootURL:     "https://ci.example.com/jenkins/",
		Users:       map[string]jenkinstest.User{user: {APIToken: token}},
		WFAPI:       k.wfapi,
		GraphView:   k.graphView,
	})}
	tb.Cleanup(f.fake.Close)
	f.fake.AddJob(jenkinstest.JobSpec{
		FullName: jobName,
		Pipeline: k.pipeline,
		Script:   func(map[string]string) jenkinstest.Script { return script },
	})
	if n == nil {
		f.ts = httptest.NewUnstartedServer(f.fake.Handler())
	} else {
		f.ts = n.NewUnstartedServer(f.fake.Handler())
	}
	f.ts.Listener = countingListener{Listener: f.ts.Listener, f: f}
	f.ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.ts.Start()
	tb.Cleanup(f.ts.Close)
	return f
}

// url is the base URL users would configure, with the context path.
func (f *fixture) url() string { return f.ts.URL + "/jenkins" }

type countingListener struct {
	net.Listener
	f *fixture
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, f: l.f}, nil
}

type countingConn struct {
	net.Conn
	f *fixture
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.f.up.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.f.down.Add(int64(n))
	return n, err
}

// consoleLine is the text of scripted console line i: a marker the
// lineClock recognizes, padded to a typical line length.
func consoleLine(i int) string {
	return fmt.Sprintf("L%05d [deploy] step output %s", i, strings.Repeat("·", 20))
}

// lineClock is the follower's stdout: it notes when each scripted console
// line is printed.
type lineClock struct {
	mu      sync.Mutex
	partial []byte
	seen    map[int]time.Time
	bytes   int64
}

func newLineClock() *lineClock {
	return &lineClock{seen: map[int]time.Time{}}
}

func (l *lineClock) Write(p []byte) (int, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bytes += int64(len(p))
	buf := append(l.partial, p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if n, ok := marker(buf[:i]); ok {
			if _, dup := l.seen[n]; !dup {
				l.seen[n] = now
			}
		}
		buf = buf[i+1:]
	}
	l.partial = append(l.partial[:0], buf...)
	return len(p), nil
}

func marker(line []byte) (int, bool) {
	if len(line) < 7 || line[0] != 'L' || line[6] != ' ' {
		return 0, false
	}
	n, err := strconv.Atoi(string(line[1:6]))
	return n, err == nil
}

// figures are one run's costs and delays.
type figures struct {
	requests int
	conns    int64
	down, up int64
	// delay is from Jenkins completing the build to the follower returning.
	delay time.Duration
	// lags are, per console line, from Jenkins writing it to its printing.
	lags []time.Duration
}

// follower follows one build in f to its end, printing the console to out.
type follower func(ctx context.Context, f *fixture, out io.Writer) error

// measure runs follow against a fresh fake whose job runs script. It may
// run in a goroutine of its own. n is nil on the wall clock, else the
// bubble's network.
func measure(tb testing.TB, n *memnet.Network, script jenkinstest.Script, k kind, follow follower) (figures, error) {
	f := newFixture(tb, n, script, k)
	out := newLineClock()
	if err := follow(context.Background(), f, out); err != nil {
		return figures{}, err
	}
	end := time.Now()
	builds := f.fake.Builds(jobName)
	if len(builds) != 1 || builds[0].Completed.IsZero() {
		return figures{}, fmt.Errorf("the run returned before the build completed: %+v", builds)
	}
	b := builds[0]
	fig := figures{
		requests: len(f.fake.Requests()),
		conns:    f.conns.Load(),
		down:     f.down.Load(),
		up:       f.up.Load(),
		delay:    end.Sub(b.Completed),
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	for i, ln := range script.Log {
		at, ok := out.seen[i]
		if !ok {
			return figures{}, fmt.Errorf("console line %d (%q) was never printed", i, ln.Text)
		}
		fig.lags = append(fig.lags, at.Sub(b.Started.Add(ln.At)))
	}
	return fig, nil
}

// ours is jenkins-trigger itself: the whole command, with its own HTTP
// client, dialing on n (nil: the machine's network).
func ours(n *memnet.Network) follower {
	return func(ctx context.Context, f *fixture, out io.Writer) error {
		var stderr bytes.Buffer
		code := cli.Run(ctx, cli.Env{
			Environ: map[string]string{
				"JENKINS_URL":   f.url(),
				"JENKINS_JOB":   jobName,
				"JENKINS_USER":  user,
				"JENKINS_TOKEN": token,
			},
			Stdout: out,
			Stderr: &stderr,
			Net:    n,
		})
		if code != cli.ExitOK {
			return fmt.Errorf("jenkins-trigger exited %d: %s", code, stderr.String())
		}
		return nil
	}
}

// fixedPoller is what peer tools do: trigger, then every interval read the
// queue item and then the build's full JSON (no tree=), and once the build
// is over, fetch the whole consoleText.
func fixedPoller(n *memnet.Network, every time.Duration) follower {
	return func(ctx context.Context, f *fixture, out io.Writer) error {
		transport := &http.Transport{}
		if n != nil {
			transport = n.Transport()
		}
		defer transport.CloseIdleConnections()
		hc := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(method, path string) (*http.Response, []byte, error) {
			req, err := http.NewRequestWithContext(ctx, method, f.url()+path, nil)
			if err != nil {
				return nil, nil, err
			}
			req.SetBasicAuth(user, token)
			resp, err := hc.Do(req)
			if err != nil {
				return nil, nil, err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			return resp, body, err
		}
		resp, _, err := get(http.MethodPost, jobPath+"build")
		if err != nil {
			return err
		}
		loc := strings.TrimSuffix(resp.Header.Get("Location"), "/")
		id := loc[strings.LastIndex(loc, "/")+1:]
		var number int
		for number == 0 {
			_, body, err := get(http.MethodGet, "/queue/item/"+id+"/api/json")
			if err != nil {
				return err
			}
			var item struct{ Executable *struct{ Number int } }
			if err := json.Unmarshal(body, &item); err != nil {
				return err
			}
			if item.Executable != nil {
				number = item.Executable.Number
			} else {
				time.Sleep(every)
			}
		}
		build := jobPath + strconv.Itoa(number) + "/"
		for {
			_, body, err := get(http.MethodGet, build+"api/json")
			if err != nil {
				return err
			}
			var b struct{ Building bool }
			if err := json.Unmarshal(body, &b); err != nil {
				return err
			}
			if !b.Building {
				break
			}
			time.Sleep(every)
		}
		_, body, err := get(http.MethodGet, build+"consoleText")
		if err != nil {
			return err
		}
		_, err = out.Write(body)
		return err
	}
}

// summary aggregates the figures of several runs of one scenario.
type summary struct {
	scenario, follower string
	requests           int // the most any run made
	conns              int64
	down, up           int64 // the most any run moved
	delayMed, delayMax time.Duration
	lagMed, lagMax     time.Duration
}

func summarize(scenario, follower string, runs []figures) summary {
	s := summary{scenario: scenario, follower: follower}
	var delays, lags []time.Duration
	for _, r := range runs {
		s.requests = max(s.requests, r.requests)
		s.conns = max(s.conns, r.conns)
		s.down = max(s.down, r.down)
		s.up = max(s.up, r.up)
		delays = append(delays, r.delay)
		lags = append(lags, r.lags...)
	}
	s.delayMed, s.delayMax = median(delays), slices.Max(delays)
	s.lagMed, s.lagMax = median(lags), slices.Max(lags)
	return s
}

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (s summary) report(b *testing.B) {
	b.ReportMetric(float64(s.requests), "requests")
	b.ReportMetric(float64(s.conns), "connections")
	b.ReportMetric(float64(s.down)/1024, "KiB-down")
	b.ReportMetric(float64(s.up)/1024, "KiB-up")
	b.ReportMetric(float64(s.delayMed.Milliseconds()), "delay-median-ms")
	b.ReportMetric(float64(s.delayMax.Milliseconds()), "delay-max-ms")
	b.ReportMetric(float64(s.lagMed.Milliseconds()), "line-lag-median-ms")
	b.ReportMetric(float64(s.lagMax.Milliseconds()), "line-lag-max-ms")
	b.ReportMetric(0, "ns/op")
}

// table formats summaries as a Markdown table, each fixed poller followed
// by its ratio to jenkins-trigger in the same scenario.
func table(rows []summary) string {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	fmt.Fprintln(w, "| scenario | follower | requests | connections | KiB down | KiB up | end noticed after (median / max) | console line shown after (median / max) |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|")
	byScenario := map[string]summary{}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.1f | %.1f | %s / %s | %s / %s |\n",
			r.scenario, r.follower, r.requests, r.conns, float64(r.down)/1024, float64(r.up)/1024,
			seconds(r.delayMed), seconds(r.delayMax), seconds(r.lagMed), seconds(r.lagMax))
		base, ok := byScenario[r.scenario]
		if !ok {
			byScenario[r.scenario] = r
			continue
		}
		fmt.Fprintf(w, "| | ratio | %.1f× | | %.1f× | %.1f× | %.1f× | |\n",
			float64(r.requests)/float64(base.requests), float64(r.down)/float64(base.down),
			float64(r.up)/float64(base.up), float64(r.delayMed)/float64(max(base.delayMed, time.Millisecond)))
	}
	w.Flush()
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
