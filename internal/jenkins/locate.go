package jenkins

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// Location is what a build URL or a queue item URL names: a build of a
// job, or a queue item, whose job is then known only once the item is read.
type Location struct {
	// Job is the build's job; its Path is "" for a queue item.
	Job Job
	// Build is the build number of a build URL; 0 for a queue item.
	Build int
	// Queue is the id of a queue item URL; 0 for a build.
	Queue int
}

// IsQueueItem reports whether the location is a queue item.
func (l Location) IsQueueItem() bool { return l.Queue > 0 }

// Locate reads a build URL (<base>/job/a/job/b/42/) or a queue item URL
// (<base>/queue/item/7/), as the build_url and queue_url outputs give them.
// It accepts a URL under base (base's origin, and a path under base's), or
// under root, the root URL Jenkins reports for itself, which the runner may
// not reach: that names the same thing, reached through base. root is nil
// when Jenkins reports none; the caller must have read it for a URL on
// another origin (OtherOrigin). Any other URL names some other server,
// which may well have a job of the same name, and is refused.
func Locate(base, root *url.URL, raw string) (Location, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Location{}, errors.New("is not a URL: give a build_url or queue_url output")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Location{}, errors.New("has a query or fragment: give a build_url or queue_url output as it is")
	}
	rest, ok := under(u, base)
	if !ok && root != nil {
		rest, ok = under(u, root)
	}
	switch {
	case ok:
	case root != nil:
		return Location{}, fmt.Errorf("is under neither the url input (%s) nor the root URL Jenkins reports for itself (%s): only a URL under one of them is followed", Redact(base), Redact(root))
	case sameOrigin(u, base):
		return Location{}, fmt.Errorf("is not under the url input (%s)", Redact(base))
	default:
		return Location{}, fmt.Errorf("is not under the url input (%s), and Jenkins reports no root URL of its own: only a URL under url, or under that root URL, is followed", Redact(base))
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if len(segs) == 3 && segs[0] == "queue" && segs[1] == "item" {
		id, ok := positive(segs[2])
		if !ok {
			return Location{}, errors.New("is a queue item URL without a valid item number")
		}
		return Location{Queue: id}, nil
	}
	if len(segs) >= 2 && len(segs)%2 == 0 && segs[0] == "job" && segs[len(segs)-2] == "job" {
		return Location{}, errors.New("is a job URL, not a build URL: it must end with the build number (…/job/NAME/NUMBER/)")
	}
	if len(segs) < 3 || len(segs)%2 == 0 || segs[0] != "job" {
		return Location{}, errors.New("is neither a build URL (…/job/NAME/NUMBER/) nor a queue item URL (…/queue/item/ID/)")
	}
	n, ok := positive(segs[len(segs)-1])
	if !ok {
		return Location{}, errors.New("is not a build URL: it must end with the build number (…/job/NAME/NUMBER/)")
	}
	jobURL := *base
	jobURL.RawPath = base.EscapedPath() + "/" + strings.Join(segs[:len(segs)-1], "/") + "/"
	jobURL.Path, _ = url.PathUnescape(jobURL.RawPath)
	job, err := parseJobURL(base, jobURL.String())
	if err != nil {
		return Location{}, err
	}
	return Location{Job: job, Build: n}, nil
}

// OtherOrigin reports whether raw is a URL on another origin than base:
// only the root URL Jenkins reports for itself can then accept it.
func OtherOrigin(base *url.URL, raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	return err == nil && u.Host != "" && !sameOrigin(u, base)
}

// under returns the escaped path of u below root's, when u lies under root:
// its origin, and its path below root's at a segment boundary.
func under(u, root *url.URL) (string, bool) {
	if !sameOrigin(u, root) {
		return "", false
	}
	rest, ok := strings.CutPrefix(u.EscapedPath(), strings.TrimRight(root.EscapedPath(), "/"))
	if !ok || rest != "" && !strings.HasPrefix(rest, "/") {
		return "", false
	}
	return rest, true
}

// RootURL reads the root URL Jenkins reports for itself: root /api/json's
// url, its configured "Jenkins URL", null when none is configured (and
// absent before 2.215). It is nil then, and when it is not an absolute URL.
func (c *Client) RootURL(ctx context.Context) (*url.URL, error) {
	var root struct {
		URL string `json:"url"`
	}
	if err := c.getJSON(ctx, "/api/json", "url", &root); err != nil {
		return nil, fmt.Errorf("read the root URL Jenkins reports for itself: %w", err)
	}
	u, err := url.Parse(root.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, nil
	}
	return u, nil
}

// positive reads a build number or queue id as Jenkins writes them.
func positive(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// QueueItemJob reads which job queue item id is for. Jenkins gives the
// job's URL under its own root URL, whose context path is the one base
// has, so the job is found from the first /job/ of that URL's path.
func (c *Client) QueueItemJob(ctx context.Context, id int) (Job, error) {
	var q struct {
		Task struct {
			URL string `json:"url"`
		} `json:"task"`
	}
	if err := c.getJSON(ctx, QueuePath(id)+"api/json", "task[url]", &q); err != nil {
		return Job{}, fmt.Errorf("read queue item %d: %w", id, err)
	}
	u, err := url.Parse(q.Task.URL)
	if err != nil {
		return Job{}, fmt.Errorf("queue item %d is for %q, which is not a job URL", id, q.Task.URL)
	}
	i := strings.Index(u.EscapedPath(), "/job/")
	if i < 0 {
		return Job{}, fmt.Errorf("queue item %d is for %q, which is not a job: it cannot be followed", id, q.Task.URL)
	}
	job, err := parseJobURL(c.base, c.base.String()+u.EscapedPath()[i:])
	if err != nil {
		return Job{}, fmt.Errorf("queue item %d is for %q: %w", id, q.Task.URL, err)
	}
	return job, nil
}

// paramActions are a build's actions as read with
// actions[parameters[name,value]]: the parameters action has them, the
// others are {}.
type paramActions []struct {
	Parameters []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"parameters"`
}

// params are the parameter values as text, in the order Jenkins lists
// them; password and file parameters, which it shows without a value, are
// left out.
func (a paramActions) params() []build.Param {
	var out []build.Param
	for _, action := range a {
		for _, p := range action.Parameters {
			if p.Value != nil {
				out = append(out, build.Param{Name: p.Name, Value: fmt.Sprint(p.Value)})
			}
		}
	}
	return out
}

// BuildParameters reads the parameter values build n was started with.
func (c *Client) BuildParameters(ctx context.Context, job Job, n int) ([]build.Param, error) {
	var b struct {
		Actions paramActions `json:"actions"`
	}
	if err := c.getJSON(ctx, BuildPath(job, n)+"api/json", "actions[parameters[name,value]]", &b); err != nil {
		return nil, fmt.Errorf("read the parameters of %s #%d: %w", job.Name, n, err)
	}
	return b.Actions.params(), nil
}
