package flow

import (
	"fmt"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// heartbeatEvery is how long a build may write nothing before the run says
// it is still following it.
const heartbeatEvery = 30 * time.Second

// heartbeat notes whether the build wrote something, and after
// heartbeatEvery of silence says how long it has been running, and what
// input it waits for, from what was already read: no extra request.
func (r *Run) heartbeat(b *jenkins.Build, output bool) {
	now := r.Clock.Now()
	if output || r.quietSince.IsZero() {
		r.quietSince = now
		return
	}
	if now.Sub(r.quietSince) < heartbeatEvery {
		return
	}
	r.quietSince = now
	line := stillRunning(-r.untilJenkins(b.Timestamp), b.EstimatedDuration)
	if !r.inputSince.IsZero() {
		line += "; waiting for input"
		if waited := now.Sub(r.inputSince); waited >= time.Second {
			line += " for " + roughDuration(waited)
		}
		if r.inputMessage != "" {
			line += fmt.Sprintf(" (%s)", oneLine(r.inputMessage))
		}
		line += ": answer it at " + r.inputPage
	}
	r.Report.Status("%s", line)
}

// stillRunning is "still running: 2m10s of about 5m", or without Jenkins'
// estimate "still running: 2m10s".
func stillRunning(elapsed time.Duration, estimatedMS int64) string {
	s := "still running: " + roughDuration(max(elapsed, 0))
	if estimatedMS > 0 {
		s += " of about " + roughDuration(time.Duration(estimatedMS)*time.Millisecond)
	}
	return s
}
