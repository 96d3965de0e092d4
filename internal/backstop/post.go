package backstop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// Client is what the post mode asks of Jenkins.
type Client interface {
	QueueItem(ctx context.Context, id int) (*jenkins.QueueItem, error)
	QueueTasks(ctx context.Context) (*jenkins.Queue, error)
	CancelQueueItem(ctx context.Context, id int) error
	Build(ctx context.Context, job jenkins.Job, n int) (*jenkins.Build, error)
	RecentBuilds(ctx context.Context, job jenkins.Job, n int) ([]jenkins.BuildRef, error)
	StopBuild(ctx context.Context, job jenkins.Job, n int) error
}

// Logger is where the post mode says what it did.
type Logger interface {
	Status(format string, args ...any)
	Warning(format string, args ...any)
}

// sentSlack widens the search for a trigger whose answer never came: the
// Date its time was read from has a one-second precision.
const sentSlack = 2 * time.Second

// Post cancels or stops whatever of rec's builds is still queued or
// running, reading each once first: a build that already ended is never
// touched. A record of a step that reached its own end is left alone, with
// no request. It returns what it could not do, on one line.
func Post(ctx context.Context, c Client, rec Record, log Logger) error {
	if rec.Ended {
		return nil
	}
	p := poster{c: c, log: log}
	var errs error
	for _, o := range rec.Builds {
		if o.Done {
			continue
		}
		switch err := p.leftover(ctx, o); {
		case err == nil:
		case errs == nil:
			errs = err
		default:
			errs = fmt.Errorf("%w; %w", errs, err)
		}
	}
	return errs
}

type poster struct {
	c   Client
	log Logger
	// queue is the queue as read once for every trigger whose answer was
	// never received.
	queue *jenkins.Queue
}

func (p *poster) leftover(ctx context.Context, o Owned) error {
	switch {
	case o.Build > 0:
		return p.stopIfRunning(ctx, o.Job, o.Build)
	case o.Queue > 0:
		return p.cancelIfWaiting(ctx, o.Job, o.Queue)
	}
	return p.findUnanswered(ctx, o)
}

func (p *poster) stopIfRunning(ctx context.Context, job jenkins.Job, n int) error {
	b, err := p.c.Build(ctx, job, n)
	if err != nil {
		return fmt.Errorf("read %s #%d: %w", job.Name, n, err)
	}
	return p.stop(ctx, job, b)
}

func (p *poster) stop(ctx context.Context, job jenkins.Job, b *jenkins.Build) error {
	if b.Finished() {
		return nil
	}
	if err := p.c.StopBuild(ctx, job, b.Number); err != nil {
		return err
	}
	p.log.Status("Asked Jenkins to stop %s #%d, which the stopped step left running", job.Name, b.Number)
	return nil
}

func (p *poster) cancelIfWaiting(ctx context.Context, job jenkins.Job, id int) error {
	item, err := p.c.QueueItem(ctx, id)
	if errors.Is(err, jenkins.ErrNotFound) {
		// Gone from the queue for five minutes, or Jenkins restarted:
		// nothing names the build any more.
		p.log.Warning("queue item %d of %s is no longer known to Jenkins; check %s for a build it left running", id, job.Name, job.Name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read queue item %d of %s: %w", id, job.Name, err)
	}
	if !item.Left() {
		err := p.c.CancelQueueItem(ctx, id)
		if err == nil {
			p.log.Status("Cancelled queue item %d of %s, which the stopped step left waiting", id, job.Name)
			return nil
		}
		if !errors.Is(err, jenkins.ErrAlreadyLeft) {
			return fmt.Errorf("cancel queue item %d of %s: %w", id, job.Name, err)
		}
		// It started between the read and the cancel.
		if item, err = p.c.QueueItem(ctx, id); err != nil {
			return fmt.Errorf("read queue item %d of %s: %w", id, job.Name, err)
		}
	}
	if item.Executable == nil || item.Executable.Number == 0 {
		return nil // cancelled
	}
	return p.stop(ctx, job, item.Executable)
}

// findUnanswered looks for what a trigger the step sent, but whose answer
// it never read, queued: the one item of the job waiting since the trigger
// was sent, or else the one build of it started since. With none, or more
// than one, it says so and touches nothing.
func (p *poster) findUnanswered(ctx context.Context, o Owned) error {
	since := o.SentMS - sentSlack.Milliseconds()
	if p.queue == nil {
		q, err := p.c.QueueTasks(ctx)
		if err != nil {
			return fmt.Errorf("read the queue for the trigger of %s: %w", o.Job.Name, err)
		}
		p.queue = q
	}
	var items []int
	for _, it := range p.queue.Items {
		if o.Job.IsTask(it.Task.URL) && it.InQueueSince >= since {
			items = append(items, it.ID)
		}
	}
	if len(items) == 1 {
		return p.cancelIfWaiting(ctx, o.Job, items[0])
	}
	var builds []int
	if len(items) == 0 {
		recent, err := p.c.RecentBuilds(ctx, o.Job, 10)
		if err != nil {
			return fmt.Errorf("read the builds of %s for its unanswered trigger: %w", o.Job.Name, err)
		}
		for _, b := range recent {
			if b.Timestamp >= since {
				builds = append(builds, b.Number)
			}
		}
		switch len(builds) {
		case 0:
			return nil // the trigger never reached Jenkins
		case 1:
			return p.stopIfRunning(ctx, o.Job, builds[0])
		}
	}
	p.log.Warning("the step was stopped before Jenkins answered the trigger of %s, and %d items and %d builds of it came since, so none was stopped: check them in Jenkins",
		o.Job.Name, len(items), len(builds))
	return nil
}
