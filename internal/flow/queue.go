package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// countdown matches the numbers in a queue reason, so that "Expires in 4.9
// sec" counting down is not printed again on every poll.
var countdown = regexp.MustCompile(`[0-9][0-9.,]*`)

// maxQueueNotFound bounds how often a vanished queue item is looked for
// among the job's builds before the run gives up.
const maxQueueNotFound = 10

// followQueue polls the queue item until it becomes a build. It returns
// ResultCancelled when the item was cancelled.
func (r *run) followQueue(ctx context.Context) (string, error) {
	sched := r.Schedule.queue(r.Clock)
	lastWhy := ""
	notFound := 0
	for {
		item, err := r.Client.QueueItem(ctx, r.queueID)
		if err == nil {
			r.inQueueSince = item.InQueueSince
		}
		switch {
		case isForbidden(err):
			return "", r.unreadable(err)
		case jenkins.IsNotFound(err):
			// Left items expire five minutes after leaving the queue, and a
			// restart forgets them: the build remembers its queue id.
			n, ferr := r.Client.FindBuildByQueueID(ctx, r.job, r.queueID)
			if isForbidden(ferr) || jenkins.IsNotFound(ferr) {
				return "", r.unreadable(ferr)
			}
			if ferr != nil {
				return "", ferr
			}
			if n > 0 {
				return "", r.started(n)
			}
			if notFound++; notFound >= maxQueueNotFound {
				return "", fmt.Errorf("queue item %d is gone and no build of %s came from it", r.queueID, r.job.Name)
			}
		case err != nil:
			return "", err
		case item.Left() && *item.Cancelled:
			r.output(report.OutputResult, ResultCancelled)
			r.Report.Verdict(verdictFor(r, ResultCancelled, 0, true))
			return ResultCancelled, nil
		case item.Left() && item.Executable != nil && item.Executable.Number > 0:
			r.first = item.Executable
			return "", r.started(item.Executable.Number)
		case !item.Left() && item.Why != nil && countdown.ReplaceAllString(*item.Why, "#") != lastWhy:
			lastWhy = countdown.ReplaceAllString(*item.Why, "#")
			r.Report.Status("Waiting in the queue: %s", *item.Why)
		}
		var due time.Duration
		if item != nil && item.Timestamp > 0 {
			due = r.untilJenkins(item.Timestamp)
		}
		if err := r.sleep(ctx, sched.next(due)); err != nil {
			return "", err
		}
	}
}

func (r *run) started(n int) error {
	r.number = n
	r.output(report.OutputBuildNumber, strconv.Itoa(n))
	r.output(report.OutputBuildURL, r.buildURL())
	r.Report.Status("Started %s #%d: %s", r.job.Name, n, r.buildURL())
	return nil
}

func isForbidden(err error) bool {
	var he *jenkins.HTTPError
	return errors.As(err, &he) && (he.Status == http.StatusForbidden || he.Status == http.StatusUnauthorized)
}

// unreadable explains that the build was queued but cannot be followed:
// typically a build token alone, which may trigger but not read.
func (r *run) unreadable(err error) error {
	return fmt.Errorf("the build was queued as item %d, but this caller may not read the queue or the job, so it cannot be followed: give a user and token with read permission, or use wait_for: queue: %w", r.queueID, err)
}
