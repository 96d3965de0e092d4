package flow

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/wait"
)

// countdown matches the numbers in a queue reason, so that "Expires in 4.9
// sec" counting down is not printed again on every poll.
var countdown = regexp.MustCompile(`[0-9][0-9.,]*`)

// maxQueueNotFound bounds how often a vanished queue item is looked for
// among the job's builds before the run gives up.
const maxQueueNotFound = 10

// awaitStart follows the run's queue item until it becomes a build. A
// cancelled item ends the run with build.Cancelled.
func (r *run) awaitStart(ctx context.Context) (build.Result, error) {
	sched := r.Schedule.queue()
	var since int
	if r.board != nil {
		since = r.board.reads()
	}
	lastWhy := ""
	notFound := 0
	waitingSince := time.Now()
	for {
		item, err := r.lookUp(ctx, since)
		if err == nil && item.InQueueSince > 0 {
			r.inQueueSince = item.InQueueSince
		}
		switch {
		case isRefusal(err):
			return build.None, r.queueUnreadable(err)
		case errors.Is(err, jenkins.ErrNotFound):
			// Left items expire five minutes after leaving the queue, and a
			// restart forgets them: the build remembers its queue id.
			n, ferr := r.Client.FindBuildByQueueID(ctx, r.job, r.queue)
			if isRefusal(ferr) || errors.Is(ferr, jenkins.ErrNotFound) {
				return build.None, r.queueUnreadable(ferr)
			}
			if ferr != nil {
				return build.None, ferr
			}
			if n > 0 {
				r.announce(n, nil)
				return build.None, nil
			}
			if notFound++; notFound >= maxQueueNotFound {
				return build.None, fmt.Errorf("queue item %d is gone and no build of %s came from it", r.queue, r.job.Name)
			}
		case err != nil:
			return build.None, err
		case item.Left() && *item.Cancelled:
			return build.Cancelled, nil
		case item.Left() && item.Executable != nil && item.Executable.Number > 0:
			r.announce(item.Executable.Number, item.Executable)
			return build.None, nil
		case !item.Left() && item.Why != nil && countdown.ReplaceAllString(*item.Why, "#") != lastWhy:
			lastWhy = countdown.ReplaceAllString(*item.Why, "#")
			r.log.Status("Waiting in the queue: %s", *item.Why)
		}
		var due time.Duration
		if item != nil && item.Timestamp > 0 {
			due = r.untilJenkins(item.Timestamp)
		}
		if item != nil && !item.Left() {
			r.beat.queued(r.label(), item.Why)
			r.beat.tick(false)
		}
		pause := sched.next(due)
		if r.opts.Policy.QueueTimeout > 0 {
			left := time.Until(r.queueDeadline(waitingSince))
			if left <= 0 && item != nil && !item.Left() {
				return r.queueTimedOut(ctx, item.Why)
			}
			if left > 0 {
				// The item is read again at the deadline, to cancel it then.
				pause = min(pause, left)
			}
		}
		if err := wait.Sleep(ctx, pause); err != nil {
			return build.None, err
		}
	}
}

// lookUp reads the queue item. When the step's runs share a board, an item
// the queue still lists is known from the one listing they share; only one
// that left is read on its own, for its build. since is how many reads
// of the queue had begun when the item was queued: none of those can list
// it.
func (r *run) lookUp(ctx context.Context, since int) (*jenkins.QueueItem, error) {
	if r.board != nil {
		waiting, date, at, err := r.board.look(ctx, r.queue, since)
		if err != nil {
			return nil, err
		}
		if waiting != nil {
			r.jenkins.saw(date, at)
			return &jenkins.QueueItem{ID: waiting.ID, Why: waiting.Why, InQueueSince: waiting.InQueueSince, Timestamp: waiting.Timestamp}, nil
		}
	}
	item, err := r.Client.QueueItem(ctx, r.queue)
	if err == nil {
		r.jenkins.saw(item.Date.Date, time.Now())
	}
	return item, err
}

// announce records and says that the build started.
func (r *run) announce(n int, first *jenkins.Build) {
	r.started(n, first)
	r.log.Status("Started %s #%d: %s", r.job.Name, n, r.buildURL())
}

// resolveItem reads which job a followed queue item is for, and checks it
// against the job given beside it. An item that expired is followed
// through the given job's builds.
func (r *run) resolveItem(ctx context.Context) error {
	job, err := r.Client.QueueItemJob(ctx, r.queue)
	switch {
	case err == nil:
		r.job = job
		return sameJob(r.target.Job, job)
	case errors.Is(err, jenkins.ErrNotFound) && r.target.Job.Path != "":
		// An item expires five minutes after leaving the queue; awaitStart
		// finds its build among the given job's.
		return nil
	}
	return r.queueUnreadable(err)
}

// isRefusal reports whether Jenkins refused the caller: 403 or 401.
func isRefusal(err error) bool {
	return errors.Is(err, jenkins.ErrForbidden) || errors.Is(err, jenkins.ErrUnauthorized)
}

// queueUnreadable explains why a queue item cannot be followed: typically a
// build token alone, which may trigger but not read.
func (r *run) queueUnreadable(err error) error {
	if !isRefusal(err) && !errors.Is(err, jenkins.ErrNotFound) {
		return err
	}
	if r.owned {
		return fmt.Errorf("the build was queued as item %d, but this caller may not read the queue or the job, so it cannot be followed: give a user and token with read permission, or use wait_for: queue: %w", r.queue, err)
	}
	return fmt.Errorf("queue item %d cannot be followed: it is gone, or this caller may not read it (give a user and token with read permission, and job when the item may have left the queue over five minutes ago): %w", r.queue, err)
}

// boardReuse is how old a listing of the queue may be and still serve a
// run that looks: the shortest wait between two looks of one run at its
// item, so that a listing is as fresh as a look of its own would be.
const boardReuse = 2 * time.Second

// queueBoard reads the whole queue for every run of the step waiting in
// it: one queue/api/json with tree= serves all their items, where each
// would read its own.
type queueBoard struct {
	client queueLister

	mu      sync.Mutex
	listing *jenkins.Queue
	at      time.Time // when it was read, on our clock
	// begun counts the reads begun; seq is which one the listing is.
	begun, seq int
	// reading is closed when the read in flight ends; nil when none is.
	reading chan struct{}
}

// reads is how many reads of the queue have begun.
func (b *queueBoard) reads() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.begun
}

// look returns item id as the queue lists it, Jenkins' clock then and
// ours when it was read; nil when the queue no longer lists it, because it
// left (it started or was cancelled). A listing from a read begun after
// the first since and at most boardReuse ago serves; otherwise the queue
// is read, once for all the runs that look while the read is on its way.
func (b *queueBoard) look(ctx context.Context, id int, since int) (*jenkins.Waiting, time.Time, time.Time, error) {
	for {
		b.mu.Lock()
		now := time.Now()
		if q, at := b.listing, b.at; q != nil && b.seq > since && now.Sub(at) <= boardReuse {
			b.mu.Unlock()
			return find(q, id), q.Date.Date, at, nil
		}
		if reading := b.reading; reading != nil {
			b.mu.Unlock()
			select {
			case <-reading:
				continue
			case <-ctx.Done():
				return nil, time.Time{}, time.Time{}, ctx.Err()
			}
		}
		done := make(chan struct{})
		b.reading = done
		b.begun++
		seq := b.begun
		b.mu.Unlock()
		q, err := b.client.Queue(ctx)
		b.mu.Lock()
		if err == nil {
			b.listing, b.at, b.seq = q, now, seq
		}
		b.reading = nil
		close(done)
		b.mu.Unlock()
		if err != nil {
			return nil, time.Time{}, time.Time{}, err
		}
		return find(q, id), q.Date.Date, now, nil
	}
}

func find(q *jenkins.Queue, id int) *jenkins.Waiting {
	for i := range q.Items {
		if q.Items[i].ID == id {
			return &q.Items[i]
		}
	}
	return nil
}
