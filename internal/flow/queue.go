package flow

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
)

// countdown matches the numbers in a queue reason, so that "Expires in 4.9
// sec" counting down is not printed again on every poll.
var countdown = regexp.MustCompile(`[0-9][0-9.,]*`)

// maxQueueNotFound bounds how often a vanished queue item is looked for
// among the job's builds before the run gives up.
const maxQueueNotFound = 10

// AwaitStart follows queue item q until it becomes a build, and returns
// that build. A cancelled item ends the run with result.Cancelled, which it
// reports. Following an item this step did not trigger, it first reads
// which job the item is for, unless the job is known.
func (r *Run) AwaitStart(ctx context.Context, q Queued) (Started, result.Result, error) {
	if r.progress.Queue == nil || r.progress.Queue.ID != q.ID {
		r.queued(q.ID)
	}
	if !r.progress.Owned {
		job, err := r.Client.QueueItemJob(ctx, q.ID)
		switch {
		case err == nil && r.opts.Job.Path != "" && r.opts.Job.Path != job.Path:
			return Started{}, result.None, &JobMismatchError{Given: r.opts.Job.Name, Actual: job.Name}
		case err == nil:
			r.opts.Job = job
		case jenkins.IsNotFound(err) && r.opts.Job.Path != "":
			// An item expires five minutes after leaving the queue; the
			// loop below finds its build among the given job's.
		default:
			return Started{}, result.None, r.queueUnreadable(err)
		}
	}
	sched := r.Schedule.queue(r.Clock)
	lastWhy := ""
	notFound := 0
	for {
		item, err := r.Client.QueueItem(ctx, q.ID)
		if err == nil {
			r.inQueueSince = item.InQueueSince
		}
		switch {
		case isForbidden(err):
			return Started{}, result.None, r.queueUnreadable(err)
		case jenkins.IsNotFound(err):
			// Left items expire five minutes after leaving the queue, and a
			// restart forgets them: the build remembers its queue id.
			n, ferr := r.Client.FindBuildByQueueID(ctx, r.opts.Job, q.ID)
			if isForbidden(ferr) || jenkins.IsNotFound(ferr) {
				return Started{}, result.None, r.queueUnreadable(ferr)
			}
			if ferr != nil {
				return Started{}, result.None, ferr
			}
			if n > 0 {
				return r.announce(n, nil), result.None, nil
			}
			if notFound++; notFound >= maxQueueNotFound {
				return Started{}, result.None, fmt.Errorf("queue item %d is gone and no build of %s came from it", q.ID, r.opts.Job.Name)
			}
		case err != nil:
			return Started{}, result.None, err
		case item.Left() && *item.Cancelled:
			r.output(report.OutputResult, string(result.Cancelled))
			r.Report.Verdict(r.verdict(result.Cancelled, 0))
			return Started{}, result.Cancelled, nil
		case item.Left() && item.Executable != nil && item.Executable.Number > 0:
			return r.announce(item.Executable.Number, item.Executable), result.None, nil
		case !item.Left() && item.Why != nil && countdown.ReplaceAllString(*item.Why, "#") != lastWhy:
			lastWhy = countdown.ReplaceAllString(*item.Why, "#")
			r.Report.Status("Waiting in the queue: %s", *item.Why)
		}
		var due time.Duration
		if item != nil && item.Timestamp > 0 {
			due = r.untilJenkins(item.Timestamp)
		}
		if err := r.sleep(ctx, sched.next(due)); err != nil {
			return Started{}, result.None, err
		}
	}
}

// JobMismatchError means the job input names another job than the queue
// item or build that follow names.
type JobMismatchError struct{ Given, Actual string }

func (e *JobMismatchError) Error() string {
	return fmt.Sprintf("job is %s, but follow names a build of %s: leave job out, or give the job the build belongs to", e.Given, e.Actual)
}

// announce records and says that the build started.
func (r *Run) announce(n int, first *jenkins.Build) Started {
	s := r.started(n, first)
	r.Report.Status("Started %s #%d: %s", r.opts.Job.Name, n, r.buildURL())
	return s
}

// isForbidden reports whether Jenkins refused the caller: 403 or 401.
func isForbidden(err error) bool {
	return errors.Is(err, jenkins.ErrForbidden) || errors.Is(err, jenkins.ErrUnauthorized)
}

// queueUnreadable explains why a queue item cannot be followed: typically a
// build token alone, which may trigger but not read.
func (r *Run) queueUnreadable(err error) error {
	if !isForbidden(err) && !jenkins.IsNotFound(err) {
		return err
	}
	if r.progress.Owned {
		return fmt.Errorf("the build was queued as item %d, but this caller may not read the queue or the job, so it cannot be followed: give a user and token with read permission, or use wait_for: queue: %w", r.progress.Queue.ID, err)
	}
	return fmt.Errorf("queue item %d cannot be followed: it is gone, or this caller may not read it (give a user and token with read permission, and job when the item may have left the queue over five minutes ago): %w", r.progress.Queue.ID, err)
}
