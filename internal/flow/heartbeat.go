package flow

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// heartbeatEvery is how long the step's builds may write nothing before it
// says where they stand.
const heartbeatEvery = 30 * time.Second

// heartbeat says, after heartbeatEvery in which no build wrote anything,
// where each build still followed stands: in the queue and why, building,
// paused at an input. It says it from what each run last handed it, so it
// costs no request.
type heartbeat struct {
	rep report.Reporter

	// each says where each build stands; otherwise it says how long the
	// step's one build runs.
	each bool

	mu         sync.Mutex
	quietSince time.Time
	states     []standing
}

// standing is where one build stands, as its run last told.
type standing struct {
	label string
	// done is set once the run is over; queued while the build waits in
	// the queue; otherwise it builds.
	done, queued bool
	why          string
	startedAt    time.Time // on our clock
	estimateMS   int64
	input        inputWait
}

func newHeartbeat(rep report.Reporter, each bool) *heartbeat {
	return &heartbeat{rep: rep, each: each}
}

// join adds a build, not started yet, to those the heartbeat tells of.
func (h *heartbeat) join() {
	h.mu.Lock()
	h.states = append(h.states, standing{})
	h.mu.Unlock()
}

// beat is a run's handle on the heartbeat: what it tells of its build.
type beat struct {
	h *heartbeat
	i int
}

func (b beat) queued(label string, why *string) { b.h.queued(b.i, label, why) }

func (b beat) building(label string, startedAt time.Time, estimateMS int64, input inputWait) {
	b.h.building(b.i, label, startedAt, estimateMS, input)
}

func (b beat) tick(wrote bool) { b.h.tick(wrote) }

// queued says build i waits in the queue, for why (nil: no reason given).
func (h *heartbeat) queued(i int, label string, why *string) {
	s := standing{label: label, queued: true}
	if why != nil {
		s.why = *why
	}
	h.set(i, s)
}

// building says build i builds since startedAt, expected to take
// estimateMS, and whether it waits for input.
func (h *heartbeat) building(i int, label string, startedAt time.Time, estimateMS int64, input inputWait) {
	h.set(i, standing{label: label, startedAt: startedAt, estimateMS: estimateMS, input: input})
}

// done says build i is no longer followed.
func (h *heartbeat) done(i int) { h.set(i, standing{done: true}) }

func (h *heartbeat) set(i int, s standing) {
	h.mu.Lock()
	h.states[i] = s
	h.mu.Unlock()
}

// tick notes whether a build wrote something, and after heartbeatEvery of
// silence from all of them says where they stand.
func (h *heartbeat) tick(wrote bool) {
	now := time.Now()
	h.mu.Lock()
	if wrote || h.quietSince.IsZero() {
		h.quietSince = now
		h.mu.Unlock()
		return
	}
	if now.Sub(h.quietSince) < heartbeatEvery {
		h.mu.Unlock()
		return
	}
	h.quietSince = now
	line := h.line(now)
	h.mu.Unlock()
	if line != "" {
		h.rep.Status("%s", line)
	}
}

// line is what the heartbeat says: of the one build, how long it has been
// running and what it waits for; of each, where each one not done stands.
func (h *heartbeat) line(now time.Time) string {
	if !h.each {
		s := h.states[0]
		if s.done || s.queued {
			return ""
		}
		return stillRunning(now.Sub(s.startedAt), s.estimateMS) + inputPart(s.input, now)
	}
	var parts []string
	for _, s := range h.states {
		switch {
		case s.done || s.label == "":
		case s.queued && s.why != "":
			parts = append(parts, fmt.Sprintf("%s in the queue (%s)", s.label, s.why))
		case s.queued:
			parts = append(parts, s.label+" in the queue")
		default:
			parts = append(parts, s.label+" "+stillRunning(now.Sub(s.startedAt), s.estimateMS)+inputPart(s.input, now))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "still waiting for " + report.Plural(len(parts), "build") + ": " + strings.Join(parts, "; ")
}

// inputPart is what the heartbeat says of a wait for input.
func inputPart(w inputWait, now time.Time) string {
	if !w.waiting() {
		return ""
	}
	s := "; waiting for input"
	if waited := now.Sub(w.since); waited >= time.Second {
		s += " for " + report.Rough(waited)
	}
	if w.message != "" {
		s += fmt.Sprintf(" (%s)", oneLine(w.message))
	}
	return s + ": answer it at " + w.page
}

// stillRunning is "still running: 2m10s of about 5m", or without Jenkins'
// estimate "still running: 2m10s".
func stillRunning(elapsed time.Duration, estimatedMS int64) string {
	s := "still running: " + report.Rough(max(elapsed, 0))
	if estimatedMS > 0 {
		s += " of about " + report.Rough(time.Duration(estimatedMS)*time.Millisecond)
	}
	return s
}
