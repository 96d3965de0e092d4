package config

import "strings"

// resolveCause sets Cause when a build token is given: Jenkins reads a
// cause only beside the job's build token (ParameterizedJobMixIn.
// getBuildCause, and build-token-root likewise), so without one there is
// nothing to send. An empty cause input names the CI run.
func (c *Config) resolveCause(environ map[string]string) {
	if c.BuildToken == "" {
		if c.Cause != "" {
			c.Warnings = append(c.Warnings, "cause is given but build_token is not, so it is not sent: Jenkins records a cause only for a trigger with the job's build token")
		}
		c.Cause = ""
		return
	}
	if strings.TrimSpace(c.Cause) == "" {
		c.Cause = ciRun(environ)
	}
}

// ciRun names the CI run the step runs in, from the variables GitHub
// Actions and GitLab CI set, so that Jenkins shows where a build came
// from; "" anywhere else.
func ciRun(environ map[string]string) string {
	var ci string
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	switch {
	case environ["GITHUB_ACTIONS"] == "true":
		ci = "GitHub Actions"
		add("", environ["GITHUB_REPOSITORY"])
		add("workflow ", environ["GITHUB_WORKFLOW"])
		add("run ", githubRunURL(environ))
	case environ["GITLAB_CI"] == "true":
		ci = "GitLab CI"
		add("", environ["CI_PROJECT_PATH"])
		add("pipeline ", environ["CI_PIPELINE_URL"])
		add("job ", environ["CI_JOB_URL"])
	}
	if len(parts) == 0 {
		return ""
	}
	return ci + ": " + strings.Join(parts, ", ")
}

// githubRunURL is the page of the run's attempt: a re-run triggers another
// build, and each attempt's page is the one that triggered it.
func githubRunURL(environ map[string]string) string {
	server, repo, id := environ["GITHUB_SERVER_URL"], environ["GITHUB_REPOSITORY"], environ["GITHUB_RUN_ID"]
	if server == "" || repo == "" || id == "" {
		return ""
	}
	u := strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + id
	if attempt := environ["GITHUB_RUN_ATTEMPT"]; attempt != "" {
		u += "/attempts/" + attempt
	}
	return u
}
