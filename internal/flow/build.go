package flow

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// buildCheckEvery is how many quiet console polls in a row may pass before
// the build's own state is read again while the console says more is
// coming: it says so forever when the log file is missing, or behind a
// broken proxy. A growing console needs no such check.
const buildCheckEvery = 10

// maxDrain bounds the console reads after Jenkins says the build finished.
const maxDrain = 20

// followBuild follows the build until Jenkins is done with it and its
// console is drained, then reports the result.
func (r *run) followBuild(ctx context.Context) (string, error) {
	b := r.first
	var err error
	if b == nil {
		if b, err = r.Client.Build(ctx, r.job, r.number); err != nil {
			return "", err
		}
	}
	r.build = b
	p := r.Schedule.pacer(r.Clock, r.remaining(b))
	if r.cfg.Log {
		b, err = r.streamConsole(ctx, b, p)
	} else {
		b, err = r.waitQuietly(ctx, b, p)
	}
	if err != nil {
		return "", err
	}
	return r.finish(ctx, b)
}

// remaining estimates how long the build still runs, on Jenkins' clock.
func (r *run) remaining(b *jenkins.Build) time.Duration {
	if b.EstimatedDuration <= 0 || b.Timestamp <= 0 {
		return 0
	}
	return r.untilJenkins(b.Timestamp + b.EstimatedDuration)
}

func (r *run) streamConsole(ctx context.Context, b *jenkins.Build, p *pacer) (*jenkins.Build, error) {
	r.Report.BeginConsole(fmt.Sprintf("%s #%d console", r.job.Name, r.number))
	filter := jenkins.NewConsoleFilter(r.Report.Console())
	defer func() {
		filter.Flush()
		r.Report.EndConsole()
	}()
	var start int64
	quiet, drains := 0, 0
	for {
		chunk, err := r.Client.ProgressiveText(ctx, r.job, r.number, start, filter)
		if err != nil {
			return nil, err
		}
		start = chunk.Next
		if chunk.Bytes > 0 {
			quiet = 0
		} else {
			quiet++
		}
		if !chunk.More || b.Finished() || quiet > 0 && quiet%buildCheckEvery == 0 {
			if b, err = r.Client.Build(ctx, r.job, r.number); err != nil {
				return nil, err
			}
		}
		if b.Finished() {
			// No log file at all says "more" forever; otherwise drain what
			// the build still writes after Jenkins calls it finished.
			if !chunk.More || chunk.Next == 0 {
				return b, nil
			}
			if drains++; drains > maxDrain {
				r.Report.Warning("the console of %s #%d still grows after the build finished; stopped reading it", r.job.Name, r.number)
				return b, nil
			}
		}
		r.heartbeat(b, chunk.Bytes > 0)
		if err := r.sleep(ctx, p.next(chunk.Bytes > 0)); err != nil {
			return nil, err
		}
	}
}

func (r *run) waitQuietly(ctx context.Context, b *jenkins.Build, p *pacer) (*jenkins.Build, error) {
	r.Report.Status("Waiting for %s #%d to finish", r.job.Name, r.number)
	for !b.Finished() {
		r.heartbeat(b, false)
		if err := r.sleep(ctx, p.next(false)); err != nil {
			return nil, err
		}
		var err error
		if b, err = r.Client.Build(ctx, r.job, r.number); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (r *run) finish(ctx context.Context, b *jenkins.Build) (string, error) {
	r.build = b
	if b.Result == nil {
		return "", fmt.Errorf("jenkins says %s #%d finished but gives no result", r.job.Name, r.number)
	}
	result := *b.Result
	r.output(report.OutputDurationMS, strconv.FormatInt(b.Duration, 10))
	r.output(report.OutputResult, result)
	r.readTests(ctx)
	failed := result != "SUCCESS" && (result != "UNSTABLE" || r.cfg.FailOnUnstable)
	r.Report.Verdict(verdictFor(r, result, b.Duration, failed))
	return result, nil
}

func verdictFor(r *run, result string, durationMS int64, failed bool) report.Verdict {
	v := report.Verdict{Job: r.job.Name, Number: r.number, Result: result, Failed: failed}
	if r.number > 0 {
		v.URL = r.buildURL()
		v.Duration = formatDuration(durationMS)
	} else {
		v.URL = r.Client.URL(jenkins.QueuePath(r.queueID))
	}
	return v
}
