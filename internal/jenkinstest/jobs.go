package jenkinstest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// JobSpec defines a job. Folders named in FullName are created implicitly.
type JobSpec struct {
	// FullName is the slash-separated full name, e.g. "team/app/deploy". A
	// multibranch branch is named by its encoded item name, e.g.
	// "repo/feature%2Ffoo".
	FullName string
	// Params are the parameter definitions; nil means not parameterized.
	Params []ParamDef
	// Disabled jobs are not buildable (409).
	Disabled bool
	// BuildToken is the "Trigger builds remotely" token; "" means none.
	BuildToken string
	// Pipeline gives WorkflowJob/WorkflowRun semantics and classes instead of
	// FreeStyleProject/FreeStyleBuild.
	Pipeline bool
	// Concurrent allows several builds at once; otherwise a queued item is
	// blocked while a build runs.
	Concurrent bool
	// Script says what a build does; it is called once per queue item with
	// the non-file parameter values. nil means a 2 s SUCCESS build. It runs
	// under the server's lock and must not call the Server.
	Script func(params map[string]string) Script
	// Visible, if set, says whether a user ("" = anonymous) may see the job;
	// an invisible job is a 404. Like Script, it must not call the Server.
	Visible func(user string) bool
	// RefuseTrigger, if non-zero, is the status every trigger of this job
	// gets instead of a queue item, worded as Jenkins words it: 403 the
	// missing Item.Build permission, 409 "is not buildable", 500 the Oops
	// page, other statuses (400 included) a plain page. It refuses what
	// Jenkins would act on: a POST to build or buildWithParameters, a
	// request with the job's token, and /buildByToken/ with the right one.
	RefuseTrigger int
}

// ParamDef is a parameter definition.
type ParamDef struct {
	Name string
	// Type is one of "string", "text", "boolean", "choice", "password",
	// "file" (core), "base64File", "stashedFile" (file-parameters plugin).
	Type string
	// Default is the default value; for a choice the default is always the
	// first choice, as in Jenkins.
	Default string
	Choices []string
}

// paramKinds maps ParamDef.Type to the Java classes Jenkins exports.
var paramKinds = map[string]struct {
	def, value string
	file       bool
}{
	"string":      {"hudson.model.StringParameterDefinition", "hudson.model.StringParameterValue", false},
	"text":        {"hudson.model.TextParameterDefinition", "hudson.model.TextParameterValue", false},
	"boolean":     {"hudson.model.BooleanParameterDefinition", "hudson.model.BooleanParameterValue", false},
	"choice":      {"hudson.model.ChoiceParameterDefinition", "hudson.model.StringParameterValue", false},
	"password":    {"hudson.model.PasswordParameterDefinition", "hudson.model.PasswordParameterValue", false},
	"file":        {"hudson.model.FileParameterDefinition", "hudson.model.FileParameterValue", true},
	"base64File":  {"io.jenkins.plugins.file_parameters.Base64FileParameterDefinition", "io.jenkins.plugins.file_parameters.Base64FileParameterValue", true},
	"stashedFile": {"io.jenkins.plugins.file_parameters.StashedFileParameterDefinition", "io.jenkins.plugins.file_parameters.StashedFileParameterValue", true},
}

func (d ParamDef) isFile() bool { return paramKinds[d.Type].file }

// defaultValue is what a missing parameter gets on buildWithParameters.
func (d ParamDef) defaultValue() string {
	switch d.Type {
	case "boolean":
		return strconv.FormatBool(strings.EqualFold(d.Default, "true"))
	case "choice":
		if len(d.Choices) > 0 {
			return d.Choices[0]
		}
		return ""
	}
	return d.Default
}

// node is an item in the item tree: a folder, or a job when job != nil.
type node struct {
	name     string
	parent   *node
	children map[string]*node
	order    []string // child names in creation order
	job      *job
}

type job struct {
	node       *node
	spec       JobSpec
	disabled   bool
	deleted    bool
	builds     []*build // oldest first
	nextNumber int
}

// AddJob defines a job, creating its folders. Defining an existing job
// again replaces its definition and keeps its builds.
func (s *Server) AddJob(spec JobSpec) {
	for _, p := range spec.Params {
		if _, ok := paramKinds[p.Type]; !ok {
			panic(fmt.Sprintf("jenkinstest: parameter %s: unknown type %q", p.Name, p.Type))
		}
	}
	names := strings.Split(spec.FullName, "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.root
	for i, name := range names {
		if name == "" {
			panic(fmt.Sprintf("jenkinstest: bad job name %q", spec.FullName))
		}
		child := n.children[name]
		if child == nil {
			child = &node{name: name, parent: n, children: map[string]*node{}}
			n.children[name] = child
			n.order = append(n.order, name)
		}
		if i < len(names)-1 && child.job != nil {
			panic(fmt.Sprintf("jenkinstest: %s is a job, not a folder", name))
		}
		n = child
	}
	if n.job == nil {
		if len(n.children) > 0 {
			panic(fmt.Sprintf("jenkinstest: %s is a folder", spec.FullName))
		}
		n.job = &job{node: n, nextNumber: 1}
	}
	n.job.spec = spec
	n.job.disabled = spec.Disabled
}

// DeleteJob removes a job, as if deleted in the UI: its URLs answer 404 and
// its queued items are cancelled. It reports whether the job existed.
func (s *Server) DeleteJob(fullName string) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	j := s.lookup(fullName)
	if j == nil {
		return false
	}
	for _, it := range s.queueOf(j) {
		s.cancel(it, now)
	}
	j.deleted = true
	parent := j.node.parent
	delete(parent.children, j.node.name)
	for i, name := range parent.order {
		if name == j.node.name {
			parent.order = append(parent.order[:i:i], parent.order[i+1:]...)
			break
		}
	}
	return true
}

// DisableJob disables a job, as if done in the UI: triggers answer 409, and
// an item about to start never gets its build (executable stays null).
func (s *Server) DisableJob(fullName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.lookup(fullName)
	if j != nil {
		j.disabled = true
	}
	return j != nil
}

// lookup finds a job by full name.
func (s *Server) lookup(fullName string) *job {
	n := s.root
	for _, name := range strings.Split(fullName, "/") {
		if n = n.children[name]; n == nil {
			return nil
		}
	}
	return n.job
}

func (n *node) fullName() string {
	if n.parent == nil {
		return ""
	}
	if p := n.parent.fullName(); p != "" {
		return p + "/" + n.name
	}
	return n.name
}

// fullDisplayName joins display names with " » ", as Jenkins does.
func (n *node) fullDisplayName() string {
	return strings.ReplaceAll(n.fullName(), "/", " » ")
}

// path is the item's URL path relative to the root, with a trailing slash.
func (n *node) path() string {
	if n.parent == nil {
		return ""
	}
	return n.parent.path() + "job/" + rawEncode(n.name) + "/"
}

// rawEncode is hudson.Util.rawEncode: it escapes control characters, space,
// "#%/:;<>?[\]^`{|}~ and non-ASCII bytes as upper-case %XX.
func rawEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"#%/:;<>?[\\]^`{|}~", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (j *job) class() string {
	if j.spec.Pipeline {
		return "org.jenkinsci.plugins.workflow.job.WorkflowJob"
	}
	return "hudson.model.FreeStyleProject"
}

func (j *job) visibleTo(c caller) bool {
	return j.spec.Visible == nil || j.spec.Visible(c.user)
}

func (j *job) buildable() bool { return !j.disabled && !j.deleted }

func (j *job) fullName() string { return j.node.fullName() }

// colors maps results to ball colors.
var colors = map[string]string{
	"SUCCESS": "blue", "UNSTABLE": "yellow", "FAILURE": "red", "NOT_BUILT": "notbuilt", "ABORTED": "aborted",
}

// color is the job's ball: the last completed result, animated while a
// build runs.
func (j *job) color(now time.Time) string {
	if j.disabled {
		return "disabled"
	}
	c := "notbuilt"
	if b := j.permalink("lastCompletedBuild", now); b != nil {
		c = colors[b.state(now).result]
	}
	if len(j.builds) > 0 && !j.builds[len(j.builds)-1].state(now).complete {
		c += "_anime"
	}
	return c
}

// permalinks are the names Job.getDynamic resolves besides numbers.
var permalinks = []string{
	"firstBuild", "lastBuild", "lastCompletedBuild", "lastFailedBuild", "lastStableBuild",
	"lastSuccessfulBuild", "lastUnstableBuild", "lastUnsuccessfulBuild",
}

// permalink returns the build a permalink names, or nil.
func (j *job) permalink(name string, now time.Time) *build {
	if name == "firstBuild" {
		if len(j.builds) == 0 {
			return nil
		}
		return j.builds[0]
	}
	for i := len(j.builds) - 1; i >= 0; i-- {
		b := j.builds[i]
		if name == "lastBuild" {
			return b
		}
		st := b.state(now)
		if !st.complete {
			continue
		}
		var ok bool
		switch name {
		case "lastCompletedBuild":
			ok = true
		case "lastFailedBuild":
			ok = st.result == "FAILURE"
		case "lastStableBuild":
			ok = st.result == "SUCCESS"
		case "lastSuccessfulBuild":
			ok = st.result == "SUCCESS" || st.result == "UNSTABLE"
		case "lastUnstableBuild":
			ok = st.result == "UNSTABLE"
		case "lastUnsuccessfulBuild":
			ok = st.result != "SUCCESS"
		}
		if ok {
			return b
		}
	}
	return nil
}

// resolve walks /job/a/job/b/... and returns the item and the rest of the
// path. Invisible jobs are reported as missing.
func (s *Server) resolve(rq *request) (*node, []string) {
	n := s.root
	segs := rq.segs
	for len(segs) >= 2 && segs[0] == "job" {
		child := n.children[segs[1]]
		if child == nil || (child.job != nil && !child.job.visibleTo(rq.c)) {
			return nil, nil
		}
		n, segs = child, segs[2:]
	}
	if n == s.root {
		return nil, nil
	}
	return n, segs
}

func (s *Server) routeJob(rq *request) *response {
	n, rest := s.resolve(rq)
	if n == nil {
		return notFound()
	}
	if n.job == nil {
		switch {
		case len(rest) == 0:
			return objectPage(rq, n.fullDisplayName())
		case isPath(rest, "api", "json"):
			return s.jsonResponse(rq.r, s.folderJSON(n, rq))
		}
		return notFound()
	}
	j := n.job
	switch {
	case len(rest) == 0:
		return objectPage(rq, n.fullDisplayName())
	case isPath(rest, "api", "json"):
		return s.jsonResponse(rq.r, s.jobJSON(rq, j))
	case isPath(rest, "build"):
		return s.triggerBuild(rq, j)
	case isPath(rest, "buildWithParameters"):
		return s.triggerWithParameters(rq, j)
	}
	b := j.findBuild(rest[0], rq.now)
	if b == nil {
		return notFound()
	}
	return s.routeBuild(rq, b, rest[1:])
}

// findBuild resolves a build number or permalink.
func (j *job) findBuild(seg string, now time.Time) *build {
	for _, p := range permalinks {
		if seg == p {
			return j.permalink(p, now)
		}
	}
	n, err := strconv.Atoi(seg)
	if err != nil || n <= 0 {
		return nil
	}
	for _, b := range j.builds {
		if b.number == n {
			return b
		}
	}
	return nil
}

// rootJSON is /api/json of hudson.model.Hudson.
func (s *Server) rootJSON(rq *request) *jobj {
	all := newObj("hudson.model.AllView").addVis("name", 2, "all").addVis("url", 2, s.rootOf(rq))
	return newObj("hudson.model.Hudson").
		add("assignedLabels", []any{newObj("").add("name", "built-in")}).
		add("mode", "NORMAL").
		add("nodeDescription", "the Jenkins controller's built-in node").
		add("nodeName", "").
		add("numExecutors", 2).
		add("description", nil).
		add("jobs", s.childRefs(s.root, rq)).
		add("overallLoad", newObj("")).
		add("primaryView", all).
		add("quietDownReason", nil).
		add("quietingDown", false).
		add("slaveAgentPort", -1).
		add("unlabeledLoad", newObj("jenkins.model.UnlabeledLoadStatistics")).
		add("url", s.configuredRoot()).
		add("useCrumbs", !s.opts.DisableCSRF).
		add("useSecurity", true).
		add("views", []any{all})
}

// childRefs lists a folder's visible children as nested items.
func (s *Server) childRefs(n *node, rq *request) []any {
	out := []any{}
	for _, name := range n.order {
		c := n.children[name]
		if c.job != nil {
			if c.job.visibleTo(rq.c) {
				out = append(out, s.jobRef(rq, c.job))
			}
			continue
		}
		out = append(out, newObj("com.cloudbees.hudson.plugins.folder.Folder").
			addVis("name", 2, c.name).
			addVis("url", 2, s.rootOf(rq)+c.path()).
			add("fullName", c.fullName()))
	}
	return out
}

func (s *Server) folderJSON(n *node, rq *request) *jobj {
	all := newObj("hudson.model.AllView").addVis("name", 2, "All").addVis("url", 2, s.rootOf(rq)+n.path())
	return newObj("com.cloudbees.hudson.plugins.folder.Folder").
		add("actions", []any{newObj(""), newObj("")}).
		add("description", nil).
		add("displayName", n.name).
		add("displayNameOrNull", nil).
		add("fullDisplayName", n.fullDisplayName()).
		add("fullName", n.fullName()).
		addVis("name", 2, n.name).
		addVis("url", 2, s.rootOf(rq)+n.path()).
		add("healthReport", []any{}).
		add("jobs", s.childRefs(n, rq)).
		add("primaryView", all).
		add("views", []any{all})
}

// jobRef is the job as a nested object: depth 0 shows name, url and color.
func (s *Server) jobRef(rq *request, j *job) *jobj {
	return newObj(j.class()).
		addVis("name", 2, j.node.name).
		addVis("url", 2, s.rootOf(rq)+j.node.path()).
		addVis("color", 2, j.color(rq.now)).
		add("fullName", j.fullName())
}

func (s *Server) jobJSON(rq *request, j *job) *jobj {
	now := rq.now
	builds := []any{}
	for i := len(j.builds) - 1; i >= 0 && len(builds) < 100; i-- {
		builds = append(builds, s.buildJSON(rq, j.builds[i]))
	}
	ref := func(name string) any {
		if b := j.permalink(name, now); b != nil {
			return s.buildJSON(rq, b)
		}
		return nil
	}
	var queueItem any
	if q := s.queueOf(j); len(q) > 0 {
		queueItem = s.itemJSON(rq, q[0])
	}
	props := []any{}
	if j.spec.Params != nil {
		defs := []any{}
		for _, d := range j.spec.Params {
			defs = append(defs, paramDefJSON(d))
		}
		props = append(props, newObj("hudson.model.ParametersDefinitionProperty").addVis("parameterDefinitions", 2, defs))
	}
	o := newObj(j.class()).
		add("actions", []any{newObj(""), newObj(""), newObj("com.cloudbees.plugins.credentials.ViewCredentialsAction")}).
		add("description", nil).
		add("displayName", j.node.name).
		add("displayNameOrNull", nil).
		add("fullDisplayName", j.node.fullDisplayName()).
		add("fullName", j.fullName()).
		addVis("name", 2, j.node.name).
		addVis("url", 2, s.rootOf(rq)+j.node.path()).
		add("buildable", j.buildable()).
		add("builds", builds).
		addVis("color", 2, j.color(rq.now)).
		add("firstBuild", ref("firstBuild")).
		add("healthReport", []any{}).
		add("inQueue", queueItem != nil).
		add("keepDependencies", false).
		add("lastBuild", ref("lastBuild")).
		add("lastCompletedBuild", ref("lastCompletedBuild")).
		add("lastFailedBuild", ref("lastFailedBuild")).
		add("lastStableBuild", ref("lastStableBuild")).
		add("lastSuccessfulBuild", ref("lastSuccessfulBuild")).
		add("lastUnstableBuild", ref("lastUnstableBuild")).
		add("lastUnsuccessfulBuild", ref("lastUnsuccessfulBuild")).
		add("nextBuildNumber", j.nextNumber).
		add("property", props).
		add("queueItem", queueItem).
		add("concurrentBuild", j.spec.Concurrent)
	if j.spec.Pipeline {
		o.add("resumeBlocked", false)
	} else {
		o.add("disabled", j.disabled).
			add("downstreamProjects", []any{}).
			add("labelExpression", nil).
			add("scm", newObj("hudson.scm.NullSCM")).
			add("upstreamProjects", []any{})
	}
	return o
}

func paramDefJSON(d ParamDef) *jobj {
	kind := paramKinds[d.Type]
	simple := kind.def[strings.LastIndexByte(kind.def, '.')+1:]
	var def any
	if !kind.file {
		def = paramValueJSON(paramValue{def: d, value: d.defaultValue()})
	}
	o := newObj(kind.def).
		addVis("defaultParameterValue", 3, def).
		addVis("description", 3, "").
		addVis("name", 3, d.Name).
		addVis("type", 3, simple)
	switch d.Type {
	case "choice":
		o.addVis("choices", 3, toAny(d.Choices))
	case "string":
		o.addVis("trim", 3, false)
	}
	return o
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ms is a time as Java epoch milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }
