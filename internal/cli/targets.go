package cli

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/flow"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// targetsOf reads what job and follow name, in their order: the jobs to
// trigger, or the builds and queue items to follow, each beside the job
// given for it. A job or a build named twice is bad input, and so is a
// followed URL that lies under neither url nor the root URL Jenkins
// reports for itself; that root URL is read once, and only when a followed
// URL is on another origin than url, so that nothing else is sent before
// the inputs are known good. A failure to read it is returned as is, not
// as a *contract.InputError.
func targetsOf(ctx context.Context, cfg *config.Config, jc *jenkins.Client) ([]flow.Target, error) {
	jobs := make([]jenkins.Job, 0, len(cfg.Job))
	seen := map[string]bool{}
	for _, name := range cfg.Job {
		job, err := jenkins.ParseJob(cfg.BaseURL, name)
		if err != nil {
			return nil, &contract.InputError{Input: "job", Err: fmt.Errorf("%q %w", name, err)}
		}
		if seen[job.Path] {
			return nil, &contract.InputError{Input: "job", Err: fmt.Errorf("names job %s twice", job.Name)}
		}
		seen[job.Path] = true
		jobs = append(jobs, job)
	}
	if len(cfg.Follow) == 0 {
		targets := make([]flow.Target, len(jobs))
		for i, job := range jobs {
			targets[i] = flow.Target{Job: job}
		}
		return targets, nil
	}
	if len(jobs) > 0 && len(jobs) != len(cfg.Follow) {
		return nil, &contract.InputError{Input: "job", Err: fmt.Errorf("names %d jobs and follow %d builds: leave job out, or give the job of each build, in the same order", len(jobs), len(cfg.Follow))}
	}
	var root *url.URL
	if slices.ContainsFunc(cfg.Follow, func(raw string) bool { return jenkins.OtherOrigin(cfg.BaseURL, raw) }) {
		var err error
		if root, err = jc.RootURL(ctx); err != nil {
			return nil, fmt.Errorf("check the follow input's URLs on another host than url's: %w", err)
		}
	}
	targets := make([]flow.Target, len(cfg.Follow))
	located := map[jenkins.Location]bool{}
	for i, raw := range cfg.Follow {
		loc, err := jenkins.Locate(cfg.BaseURL, root, raw)
		if err != nil {
			return nil, &contract.InputError{Input: "follow", Err: fmt.Errorf("%s %w", redacted(raw), err)}
		}
		if located[loc] {
			return nil, &contract.InputError{Input: "follow", Err: fmt.Errorf("names %s twice", redacted(raw))}
		}
		located[loc] = true
		targets[i].Follow = &loc
		if len(jobs) > 0 {
			targets[i].Job = jobs[i]
		}
	}
	return targets, nil
}

// redacted is a followed URL as an error may show it: without the
// credentials it may carry.
func redacted(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return raw
	}
	return jenkins.Redact(u)
}
