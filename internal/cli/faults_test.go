package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// faultRuns is how many seeded runs TestRandomFaults makes.
const faultRuns = 240

// Fault kinds TestRandomFaults injects, beyond the fake's own.
const (
	slowJenkins = "slow (Jenkins time)"  // the answer takes a while on Jenkins' clock
	slowNetwork = "slow (past deadline)" // the answer comes after the client gave up waiting
	restart     = "restart"
)

// injector decides, from a seed, which requests of one run fail and how.
type injector struct {
	mu     sync.Mutex
	rng    *rand.Rand
	rate   float64 // chance that a request meets a fault
	slowOK bool    // this run may also meet answers slower than its deadline
	h      *harness
	// restartAt is the request that meets a restart (0: none).
	restartAt, seen int
	counts          map[string]int
}

func newInjector(seed uint64, h *harness) *injector {
	rng := rand.New(rand.NewPCG(seed, 0x6a656e6b696e73))
	in := &injector{rng: rng, h: h, rate: 0.05 + 0.2*rng.Float64(), slowOK: seed%8 == 0, counts: map[string]int{}}
	if rng.IntN(3) == 0 {
		in.restartAt = 1 + rng.IntN(30)
	}
	return in
}

var faultNames = map[jenkinstest.Fault]string{
	jenkinstest.Fault502: "502", jenkinstest.Fault503: "503", jenkinstest.Fault504: "504",
	jenkinstest.FaultReset: "reset", jenkinstest.FaultResetAfter: "reset after acting",
}

// fault is the fake's Fault hook.
func (in *injector) fault(r *http.Request) jenkinstest.Fault {
	in.mu.Lock()
	in.seen++
	if in.seen == in.restartAt {
		in.counts[restart]++
		in.mu.Unlock()
		in.h.srv.Restart(time.Duration(20+in.rng.IntN(100)) * time.Second)
		return jenkinstest.Fault503
	}
	if in.rng.Float64() >= in.rate {
		in.mu.Unlock()
		return jenkinstest.FaultNone
	}
	kinds := []jenkinstest.Fault{jenkinstest.Fault502, jenkinstest.Fault503, jenkinstest.Fault504, jenkinstest.FaultReset, jenkinstest.FaultResetAfter, -1}
	f := kinds[in.rng.IntN(len(kinds))]
	var sleep, advance time.Duration
	if f == -1 {
		f = jenkinstest.FaultNone
		if in.slowOK && in.rng.IntN(2) == 0 {
			in.counts[slowNetwork]++
			sleep = faultDeadline + 50*time.Millisecond
		} else {
			in.counts[slowJenkins]++
			advance = time.Duration(1+in.rng.IntN(20)) * time.Second
		}
	} else {
		in.counts[faultNames[f]]++
	}
	in.mu.Unlock()
	// Outside the lock: a slow answer must not hold up the next request.
	// A client that gave up on it no longer waits, nor does Jenkins.
	select {
	case <-time.After(advance + sleep):
	case <-r.Context().Done():
	}
	return f
}

// faultDeadline is a deadline for response headers that TestRandomFaults
// gives the command's transport, which has none of its own, so that a
// slow network is met as a transport timeout. net/http keeps it on the
// wall clock, so it is short: an answer past it costs the test little
// time.
const faultDeadline = 100 * time.Millisecond

// outcome tallies the runs of TestRandomFaults.
type outcome struct {
	mu     sync.Mutex
	ends   map[string]int
	faults map[string]int
}

func (o *outcome) add(end string, faults map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ends[end]++
	for k, v := range faults {
		o.faults[k] += v
	}
}

func (o *outcome) String() string {
	var b strings.Builder
	for _, m := range []map[string]int{o.ends, o.faults} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\n  %5d  %s", m[k], k)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestRandomFaults runs full triggers while the fake fails at random but
// seeded points: 502, 503 and 504 answers, connections dropped before or
// after Jenkins acted, answers slow on Jenkins' clock or past the client's
// deadline, and restarts. Whatever happens, there is never more than one
// build, no run hangs, and each run ends with the build's result and the
// right outputs, or with exit 6 and one line saying why.
func TestRandomFaults(t *testing.T) {
	t.Parallel()
	tally := &outcome{ends: map[string]int{}, faults: map[string]int{}}
	t.Cleanup(func() { t.Logf("%d seeded runs; how they ended, then the faults injected:%s", faultRuns, tally) })
	for seed := range uint64(faultRuns) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var in *injector
				h := newHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault { return in.fault(r) }})
				in = newInjector(seed, h)
				spec := jenkinstest.JobSpec{FullName: "team/deploy", Script: script("SUCCESS", 40*time.Second, 8)}
				if seed%2 == 0 {
					spec.Params = []jenkinstest.ParamDef{{Name: "V", Type: "string"}}
					h.set("JENKINS_PARAMETERS", fmt.Sprint("V=", seed))
				}
				h.srv.AddJob(spec)
				h.set("JENKINS_JOB", "team/deploy", "JENKINS_TIMEOUT", "30m")
				if seed%3 == 0 { // a password: crumbs, which a restart invalidates
					h.set("JENKINS_USER", "bob", "JENKINS_TOKEN", secretPassword)
				}
				hc := builtClient(t, h.net, h.env)
				hc.Transport.(*http.Transport).ResponseHeaderTimeout = faultDeadline
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Hour) // in the bubble's time
				defer cancel()
				code := Run(ctx, Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: hc})
				if ctx.Err() != nil {
					t.Fatalf("seed %d: the run hung\n%s", seed, h.stderr.String())
				}
				acted := 0
				for _, r := range h.srv.Requests() {
					if isTriggerPath(r) && (r.Fault == jenkinstest.FaultNone || r.Fault == jenkinstest.FaultResetAfter) {
						acted++
					}
				}
				builds := len(h.srv.Builds("team/deploy"))
				if acted > 1 || builds > 1 {
					t.Fatalf("seed %d: %d triggers acted on, %d builds", seed, acted, builds)
				}
				stderr := strings.TrimSpace(h.stderr.String())
				errLine := stderr[strings.LastIndex(stderr, "\n")+1:]
				var end string
				switch code {
				case ExitOK:
					out := h.outputs()
					base := h.env["JENKINS_URL"]
					if builds != 1 || out["JENKINS_RESULT"] != "SUCCESS" || out["JENKINS_BUILD_NUMBER"] != "1" ||
						out["JENKINS_BUILD_URL"] != base+"/job/team/job/deploy/1/" || !strings.HasPrefix(out["JENKINS_QUEUE_URL"], base+"/queue/item/") {
						t.Errorf("seed %d: exit 0 with %d builds and outputs %v", seed, builds, out)
					}
					end = "exit 0, SUCCESS, outputs right"
				case ExitJenkins:
					reason := faultReason(errLine)
					if reason == "" || strings.Count(stderr, "error:") != 1 {
						t.Errorf("seed %d: exit 6 without one clear reason:\n%s", seed, stderr)
					}
					end = fmt.Sprintf("exit 6: %s (builds: %d)", reason, builds)
				default:
					t.Errorf("seed %d: exit %d\n%s", seed, code, stderr)
					end = fmt.Sprint("exit ", code)
				}
				in.mu.Lock()
				faults := in.counts
				in.mu.Unlock()
				tally.add(end, faults)
				h.assertNoSecrets()
			})
		})
	}
}

func isTriggerPath(r jenkinstest.RequestRecord) bool {
	return r.Method == http.MethodPost && (strings.HasSuffix(r.Path, "/build") || strings.HasSuffix(r.Path, "/buildWithParameters"))
}

// faultReason names the documented reasons a run may give up for, or "".
func faultReason(line string) string {
	for _, r := range []struct{ has, reason string }{
		{"answer was lost", "the trigger's answer was lost and no build could be matched"},
	} {
		if strings.Contains(line, r.has) {
			return r.reason
		}
	}
	return ""
}
