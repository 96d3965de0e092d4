package jenkins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Where Jenkins tells which build started which: Pipeline Graph View's
// allSteps (a build step's buildStep), Parameterized Trigger's exported
// action, each downstream build's upstream cause (also on its queue item),
// and the upstream console's lines. Everything a build or its console says
// is untrusted: a URL must stay on Jenkins, and a console line is a hint to
// be confirmed by the child's upstream cause.

// Downstream is a build, or for a step that did not wait only a job, that
// another build started.
type Downstream struct {
	Job Job
	// Build is the build number; 0 when only the job is known.
	Build int
}

// ErrNoBuildSteps means Pipeline Graph View cannot tell a build's build
// steps: it is missing, or too old to have allSteps (a 404), or allSteps
// answered an error. Plugins do not change during a run, so the caller
// should remember it and not ask again.
var ErrNoBuildSteps = errors.New("build steps are not available: Jenkins has no Pipeline Graph View with allSteps")

// graphStepsAnswer is the part of allSteps that BuildSteps reads: graph
// view 877 and later fill buildStep from pipeline-build-step's
// DownstreamBuildAction once the child started.
type graphStepsAnswer struct {
	Status string `json:"status"`
	Data   struct {
		Steps []struct {
			BuildStep *struct {
				ClassicURL string `json:"classicUrl"`
			} `json:"buildStep"`
		} `json:"steps"`
	} `json:"data"`
}

// BuildSteps reads, in one request to Pipeline Graph View's allSteps, the
// builds that build n's `build` (and `waitForBuild`) steps started, waiting
// or not, in step order. A step whose child has not started yet is not
// listed. classicUrl is relative to Jenkins' root, so it is read under the
// client's base URL; one that would leave it is an error.
func (c *Client) BuildSteps(ctx context.Context, job Job, n int) ([]Downstream, error) {
	var a graphStepsAnswer
	err := c.getJSON(ctx, BuildPath(job, n)+"stages/allSteps", "", &a)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, ErrNoBuildSteps
	case err != nil:
		return nil, fmt.Errorf("read the build steps of %s #%d: %w", job.Name, n, err)
	case a.Status != "ok":
		return nil, ErrNoBuildSteps
	}
	var out []Downstream
	for _, s := range a.Data.Steps {
		if s.BuildStep == nil {
			continue
		}
		d, err := c.resolveRunURL(s.BuildStep.ClassicURL)
		if err != nil {
			return nil, fmt.Errorf("read the build steps of %s #%d: classicUrl %q %w", job.Name, n, excerpt([]byte(s.BuildStep.ClassicURL)), err)
		}
		out = append(out, d)
	}
	return out, nil
}

// resolveRunURL reads a build URL relative to Jenkins' root, as Run.getUrl
// writes it ("job/a/job/b/7/"), under the client's base URL, by Locate's
// rules.
func (c *Client) resolveRunURL(rel string) (Downstream, error) {
	u, err := url.Parse(rel)
	switch {
	case err != nil, u.Scheme != "", u.Host != "", u.RawQuery != "", u.Fragment != "", strings.HasPrefix(rel, "/"), !strings.HasPrefix(rel, "job/"):
		return Downstream{}, errors.New("is not a build URL relative to Jenkins' root")
	}
	for _, seg := range strings.Split(strings.TrimSuffix(rel, "/"), "/") {
		if seg == "." || seg == ".." || seg == "" {
			return Downstream{}, errors.New("is not a build URL relative to Jenkins' root")
		}
	}
	abs := *c.base
	abs.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + "/" + rel
	if abs.Path, err = url.PathUnescape(abs.RawPath); err != nil {
		return Downstream{}, errors.New("is badly escaped")
	}
	loc, err := Locate(c.base, nil, abs.String())
	if err != nil {
		return Downstream{}, err
	}
	if loc.IsQueueItem() {
		return Downstream{}, errors.New("is not a build URL")
	}
	return Downstream{Job: loc.Job, Build: loc.Build}, nil
}

// TriggeredTree is the tree= part that reads Parameterized Trigger's
// BuildInfoExporterAction with a build; its lists have visibility 1, so a
// plain api/json shows neither.
const TriggeredTree = "actions[triggeredBuilds[number,url],triggeredProjects[url]]"

// TriggerActions are a build's actions as read with TriggeredTree.
type TriggerActions []struct {
	// Builds are those of blocking steps, listed once they completed (null
	// for one deleted since).
	Builds []*struct {
		Number int    `json:"number"`
		URL    string `json:"url"`
	} `json:"triggeredBuilds"`
	// Projects are the jobs of non-blocking steps (null for one deleted).
	Projects []*struct {
		URL string `json:"url"`
	} `json:"triggeredProjects"`
}

// Downstream returns the builds and jobs the actions name. Their URLs are
// absolute under Jenkins' root URL (root, nil for none), or when none is
// configured under the one Jenkins saw the request come to; one that
// names neither Jenkins is an error.
func (a TriggerActions) Downstream(base, root *url.URL) ([]Downstream, error) {
	var out []Downstream
	for _, act := range a {
		for _, b := range act.Builds {
			if b == nil {
				continue
			}
			loc, err := Locate(base, root, b.URL)
			if err != nil || loc.IsQueueItem() || loc.Build != b.Number {
				return nil, fmt.Errorf("triggered build %q is not a build of this Jenkins", excerpt([]byte(b.URL)))
			}
			out = append(out, Downstream{Job: loc.Job, Build: loc.Build})
		}
		for _, p := range act.Projects {
			if p == nil {
				continue
			}
			job, err := jobUnder(base, root, p.URL)
			if err != nil {
				return nil, fmt.Errorf("triggered project %q %w", excerpt([]byte(p.URL)), err)
			}
			out = append(out, Downstream{Job: job})
		}
	}
	return out, nil
}

// jobUnder reads a job URL under base or under root, the root URL Jenkins
// reports for itself, as a job reached through base.
func jobUnder(base, root *url.URL, raw string) (Job, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Job{}, errors.New("is not a URL")
	}
	rest, ok := under(u, base)
	if !ok && root != nil {
		rest, ok = under(u, root)
	}
	if !ok || u.RawQuery != "" || u.Fragment != "" {
		return Job{}, errors.New("is not a job of this Jenkins")
	}
	return parseJobURL(base, strings.TrimRight(base.String(), "/")+rest)
}

// TriggeredBuilds reads Parameterized Trigger's record of build n: the
// builds its blocking steps started, once each completed, then the jobs
// its non-blocking steps started. Nothing is listed without the plugin.
func (c *Client) TriggeredBuilds(ctx context.Context, root *url.URL, job Job, n int) ([]Downstream, error) {
	var b struct {
		Actions TriggerActions `json:"actions"`
	}
	if err := c.getJSON(ctx, BuildPath(job, n)+"api/json", TriggeredTree, &b); err != nil {
		return nil, fmt.Errorf("read the builds %s #%d triggered: %w", job.Name, n, err)
	}
	out, err := b.Actions.Downstream(c.base, root)
	if err != nil {
		return nil, fmt.Errorf("read the builds %s #%d triggered: %w", job.Name, n, err)
	}
	return out, nil
}

// Upstream is a cause naming the build that started a build or queue
// item: core's UpstreamCause (Parameterized Trigger, the post-build
// trigger) or pipeline-build-step's BuildUpstreamCause subclass.
type Upstream struct {
	// Project is the upstream job's full name.
	Project string `json:"upstreamProject"`
	// Build is its build number.
	Build int `json:"upstreamBuild"`
	// URL is its job's URL relative to Jenkins' root, "job/a/".
	URL string `json:"upstreamUrl"`
}

// Is reports whether the cause names build n of job.
func (u Upstream) Is(job Job, n int) bool {
	return u.Build == n && n > 0 && "/"+u.URL == job.Path
}

// UpstreamTree is the tree= part that reads a build's causes with their
// upstream fields; other causes have none of them.
const UpstreamTree = "actions[causes[upstreamProject,upstreamBuild,upstreamUrl]]"

// causeActions are actions read with UpstreamTree.
type causeActions []struct {
	Causes []Upstream `json:"causes"`
}

func (a causeActions) upstreams() []Upstream {
	var out []Upstream
	for _, act := range a {
		for _, c := range act.Causes {
			if c.Build > 0 && c.URL != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// Upstreams reads the upstream causes of build n of job.
func (c *Client) Upstreams(ctx context.Context, job Job, n int) ([]Upstream, error) {
	var b struct {
		Actions causeActions `json:"actions"`
	}
	if err := c.getJSON(ctx, BuildPath(job, n)+"api/json", UpstreamTree, &b); err != nil {
		return nil, fmt.Errorf("read the causes of %s #%d: %w", job.Name, n, err)
	}
	return b.Actions.upstreams(), nil
}

// CausedBuild is a build with the upstream causes it carries.
type CausedBuild struct {
	Number    int
	Upstreams []Upstream
}

// RecentUpstreams lists up to n of the job's newest builds with their
// upstream causes, in one request, to find the builds another started.
func (c *Client) RecentUpstreams(ctx context.Context, job Job, n int) ([]CausedBuild, error) {
	var j struct {
		Builds []struct {
			Number  int          `json:"number"`
			Actions causeActions `json:"actions"`
		} `json:"builds"`
	}
	tree := fmt.Sprintf("builds[number,%s]{0,%d}", UpstreamTree, n)
	if err := c.getJSON(ctx, job.Path+"api/json", tree, &j); err != nil {
		return nil, fmt.Errorf("list the builds of %s: %w", job.Name, err)
	}
	out := make([]CausedBuild, 0, len(j.Builds))
	for _, b := range j.Builds {
		out = append(out, CausedBuild{Number: b.Number, Upstreams: b.Actions.upstreams()})
	}
	return out, nil
}

// ConsoleMention is a downstream build or job that an upstream console
// line names by its full display name. The display names of a job and its
// folders are joined by " » ", and a display name may itself contain " » "
// or differ from the item's name, so Name cannot be turned into a job
// surely: the caller looks among candidate jobs for a build whose upstream
// cause names the upstream build.
type ConsoleMention struct {
	// Name is the job's full display name.
	Name string
	// Build is the build number; 0 when the line names only the job.
	Build int
	// Result is the result a completion line gives; "" otherwise.
	Result string
}

// Segments splits Name where Jenkins joins display names. It is one
// reading of an ambiguous name: a segment may itself contain " » ".
func (m ConsoleMention) Segments() []string { return strings.Split(m.Name, " » ") }

// maxMentionLine bounds the lines ParseConsoleMentions looks at: a full
// display name longer than this is not worth a guess.
const maxMentionLine = 4096

// results are the results a completion line may give.
var results = map[string]bool{"SUCCESS": true, "UNSTABLE": true, "FAILURE": true, "NOT_BUILT": true, "ABORTED": true}

// ParseConsoleMentions reads the lines of a plain console text (console
// notes already removed) that name downstream builds:
//
//	Scheduling project: NAME                 (build step)
//	Starting building: NAME #N               (build step, waiting)
//	Build NAME #N completed: RESULT          (build step, waiting)
//	Waiting for NAME #N to complete          (waitForBuild)
//	NAME #N already completed: RESULT        (waitForBuild)
//	Triggering projects: NAME, NAME          (Parameterized Trigger)
//	Waiting for the completion of NAME       (Parameterized Trigger)
//	NAME #N started.                         (Parameterized Trigger)
//	NAME #N completed. Result was RESULT     (Parameterized Trigger)
//
// Anything the build prints can forge such a line; a mention is only a
// hint. A "Triggering projects:" line lists names joined by ", ", which a
// name may contain: it is returned whole as one Name.
func ParseConsoleMentions(text string) []ConsoleMention {
	var out []ConsoleMention
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if len(line) > maxMentionLine || strings.ContainsFunc(line, isControl) {
			continue
		}
		if m, ok := parseMention(line); ok {
			out = append(out, m)
		}
	}
	return out
}

// MayMention reports, without allocating, whether a console line may name
// a downstream build: when it says no, ParseConsoleMentions finds none in
// the line. It lets a caller pass over most of a long console cheaply.
func MayMention(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	for _, p := range mentionStarts {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	return bytes.HasSuffix(line, []byte(" started.")) || bytes.Contains(line, []byte(" completed"))
}

// mentionStarts begin the lines parseMention reads by their start.
var mentionStarts = [][]byte{
	[]byte("Scheduling project: "), []byte("Triggering projects: "), []byte("Waiting for "),
	[]byte("Starting building: "), []byte("Build "),
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func parseMention(line string) (ConsoleMention, bool) {
	if name, ok := strings.CutPrefix(line, "Scheduling project: "); ok {
		return named(name, 0, "")
	}
	if name, ok := strings.CutPrefix(line, "Triggering projects: "); ok {
		return named(name, 0, "")
	}
	if name, ok := strings.CutPrefix(line, "Waiting for the completion of "); ok {
		return named(name, 0, "")
	}
	if run, ok := strings.CutPrefix(line, "Starting building: "); ok {
		return numbered(run, "")
	}
	if rest, ok := strings.CutPrefix(line, "Waiting for "); ok {
		if run, ok := strings.CutSuffix(rest, " to complete"); ok {
			return numbered(run, "")
		}
	}
	if run, result, ok := cutLast(line, " already completed: "); ok && results[result] {
		return numbered(run, result)
	}
	if rest, ok := strings.CutPrefix(line, "Build "); ok {
		if run, result, ok := cutLast(rest, " completed: "); ok && results[result] {
			return numbered(run, result)
		}
	}
	if run, result, ok := cutLast(line, " completed. Result was "); ok && results[result] {
		return numbered(run, result)
	}
	if run, ok := strings.CutSuffix(line, " started."); ok {
		return numbered(run, "")
	}
	return ConsoleMention{}, false
}

// cutLast cuts s around the last sep, since a name may contain sep.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+len(sep):], true
}

func named(name string, n int, result string) (ConsoleMention, bool) {
	if strings.TrimSpace(name) == "" {
		return ConsoleMention{}, false
	}
	return ConsoleMention{Name: name, Build: n, Result: result}, true
}

// numbered reads "NAME #N", Run.getFullDisplayName with the default
// display name of a build.
func numbered(run, result string) (ConsoleMention, bool) {
	name, num, ok := cutLast(run, " #")
	if !ok {
		return ConsoleMention{}, false
	}
	n, ok := positive(num)
	if !ok {
		return ConsoleMention{}, false
	}
	return named(name, n, result)
}
