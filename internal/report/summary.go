package report

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// Summary is what the step summary shows of a step: each build it
// followed, and what the reader should know of the whole step.
type Summary struct {
	// Builds are the step's own builds, in the order of the job or follow
	// input, then the downstream builds in the order they appeared.
	Builds []BuildSummary
	// Notes say what else the reader should know, one sentence each.
	Notes []string
	// JUnit is the JUnit file the step wrote, "" when none: where the
	// failed tests are when the summary cannot name them all.
	JUnit string
	// Failed is the URL of the build that really failed, as the
	// failed_build_url output gives it; "" when none did. A downstream
	// build named here heads the summary.
	Failed string
}

// BuildSummary is what the step summary shows of one build: how far it
// got, the parameters it was started with, its stages and tests, whether it
// waited for input, and the artifacts brought back. Every optional part is
// shown only when set.
type BuildSummary struct {
	Job      string // full name
	JobURL   string
	Upstream string // the URL of the build that started it; "" for a build of the step's own
	// Number is 0 when the build never started; URL is then the queue
	// item's.
	Number int
	URL    string
	// Result is None when the run ended before there was one (wait_for was
	// reached, or it failed).
	Result build.Result
	// Unfollowed is set when Jenkins could not be used to follow the build
	// to its end.
	Unfollowed bool
	Duration   string // "" when unknown
	QueueTime  string // "" when unknown
	// Params and Files are what the build was started with; a file is
	// shown by its name.
	Params []build.Param
	Files  []build.File
	Tests  *build.TestRun // nil when the build has no test report
	// Stages are a Pipeline build's stages, in order.
	Stages []build.Stage
	// FailedStage is the first stage that failed, named in the heading.
	FailedStage string
	// Input is set when the build paused for input.
	Input *InputWait
	// Artifacts are the files brought back from the build.
	Artifacts []build.Artifact
	// Notes say what else the reader should know of this build.
	Notes []string
	// Timeline places the build on Jenkins' clock, for the chart.
	Timeline Timeline
}

// InputWait is a build's pause for input.
type InputWait struct {
	Message string
	URL     string // the page where it is answered
	Waited  string // how long it waited; "" when unknown
	// StillWaiting is set when the step stopped with the build paused.
	StillWaiting bool
	// Answer says how it was answered, e.g. "answered Proceed by
	// jenkins-trigger"; "" when unknown.
	Answer string
}

// MaxFailures is how many failed tests the summary names.
const MaxFailures = 10

// maxDetails bounds the error details shown for a failed test.
const maxDetails = 120

// secretName matches parameter names whose values the summary hides.
var secretName = regexp.MustCompile(`(?i)PASSWORD|TOKEN|SECRET|KEY`)

// maxSummary is the most a step summary may hold: the runner refuses a
// bigger GITHUB_STEP_SUMMARY whole (AttachmentSizeLimit, 1 MiB, in
// src/Runner.Worker/FileCommandManager.cs of actions/runner), and
// go-githubactions ends the summary with a line end.
const maxSummary = 1<<20 - len(githubactions.EOF)

// shortening is how much of a summary is shown: how many failed tests
// each build names, and whether each build's details and the timeline are.
type shortening struct {
	failures int
	details  bool
}

// shortenings are tried in turn until the summary fits: the failed tests
// go first, as they are what grows most.
var shortenings = []shortening{{MaxFailures, true}, {3, true}, {0, true}, {0, false}}

// markdown renders s for GitHub's step summary. mask hides secrets; it
// runs before any Markdown escaping, which could otherwise split a secret.
func (s Summary) markdown(mask func(string) string) string {
	return s.within(maxSummary, mask)
}

// within renders s in at most limit bytes: shortened as little as it
// takes, saying what it left out and where that is, and at worst cut at
// the last line that fits.
func (s Summary) within(limit int, mask func(string) string) string {
	var md string
	for _, cut := range shortenings {
		if md = s.render(cut, mask); len(md) <= limit {
			return md
		}
	}
	note := "\n" + text(mask("The summary is cut here to stay within the 1 MiB that GitHub takes; the builds output and the step's log have every build"+s.junitWhere()+".")) + "\n"
	md = md[:max(0, limit-len(note))]
	return md[:strings.LastIndexByte(md, '\n')+1] + note
}

// junitWhere names the JUnit file in a sentence that says where more is.
func (s Summary) junitWhere() string {
	if s.JUnit == "" {
		return ""
	}
	return ", and the JUnit file " + s.JUnit + " every test"
}

func (s Summary) render(cut shortening, mask func(string) string) string {
	var b strings.Builder
	md := &markdownWriter{b: &b, mask: mask, shortening: cut}
	if t := nest(s.Builds, s.Failed); len(t.own) == 1 {
		md.one(t)
	} else {
		md.several(t)
	}
	notes := s.Notes
	switch {
	case !cut.details:
		notes = append(slices.Clip(notes), "To stay within the 1 MiB that GitHub takes, this summary leaves out the timeline and each build's stages, parameters, tests and artifacts; each build's page has them"+s.junitWhere()+".")
	case cut.failures < MaxFailures:
		named := fmt.Sprintf("at most %d failed tests a build", cut.failures)
		if cut.failures == 0 {
			named = "no failed test"
		}
		notes = append(slices.Clip(notes), "To stay within the 1 MiB that GitHub takes, this summary names "+named+"; each build's test report has them all"+s.junitWhere()+".")
	}
	md.notes(notes)
	return b.String()
}

// markdownWriter renders the parts of a summary.
type markdownWriter struct {
	b    *strings.Builder
	mask func(string) string
	shortening
}

// link is a masked link.
func (m *markdownWriter) link(label, url string) string { return link(m.mask(label), m.mask(url)) }

// one renders the summary of a step with one build: its heading, its row
// and those of the builds it started, and then all there is to say of
// them. The build's details have a heading only when the culprit's section
// comes before them.
func (m *markdownWriter) one(t tree) {
	bs := t.own[0]
	if t.culprit < 0 {
		fmt.Fprintf(m.b, "### %sJenkins: %s %s\n\n", bs.icon(), m.title(bs), m.state(bs))
	} else {
		fmt.Fprintf(m.b, "### %sJenkins: %s, below %s %s\n\n", bs.icon(), m.culprit(t), m.title(bs), m.state(bs))
	}
	if len(t.rows) == 1 {
		m.b.WriteString("| Job | Build | Result | Duration | Queue time |\n|---|---|---|---|---|\n")
		fmt.Fprintf(m.b, "| %s | %s | %s | %s | %s |\n", m.link(bs.Job, bs.JobURL), m.buildCell(bs), orDash(string(bs.Result)), orDash(bs.Duration), orDash(bs.QueueTime))
	} else {
		m.table(t.rows)
	}
	if !m.details {
		return
	}
	m.timeline(t.rows)
	m.sections(t, false, t.culprit < 0)
}

// several renders a row per build, the timeline, the parameters when all
// the step's builds share them, and then each build's own section.
func (m *markdownWriter) several(t tree) {
	var counts []string
	if len(t.own) > 0 {
		counts = append(counts, m.count(t.own))
	}
	if n := len(t.rows) - len(t.own); n > 0 {
		counts = append(counts, Plural(n, "downstream build"))
	}
	heading := strings.Join(counts, "; ")
	if t.culprit >= 0 {
		heading = fmt.Sprintf("%s, below %s; %s", m.culprit(t), m.title(t.rows[t.of].BuildSummary), heading)
	}
	fmt.Fprintf(m.b, "### %sJenkins: %s\n\n", worst(t.own).icon(), heading)
	m.table(t.rows)
	if !m.details {
		return
	}
	m.timeline(t.rows)
	shared := sameStart(t.own)
	if shared {
		m.params(t.own[0])
	}
	m.sections(t, shared, false)
}

// table renders a row per build, each downstream build indented below the
// build that started it.
func (m *markdownWriter) table(rows []row) {
	m.b.WriteString("| Job | Build | Result | Duration | Queue time | Failed stage |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(m.b, "| %s%s | %s | %s | %s | %s | %s |\n", indent(r.depth), m.link(r.Job, r.JobURL), m.buildCell(r.BuildSummary), orDash(string(r.Result)),
			orDash(r.Duration), orDash(r.QueueTime), orDash(m.mask(r.FailedStage)))
	}
}

// culprit names the build that really failed, linked, and how it ended.
func (m *markdownWriter) culprit(t tree) string {
	bs := t.rows[t.culprit].BuildSummary
	return link(m.label(bs), m.mask(bs.URL)) + " " + m.state(bs)
}

// sections renders what there is to say of each build, the culprit's
// first, then in the table's order: a section for each of the step's own
// builds, with their parameters unless shared, and for each downstream
// build that has more to say than its row. bare leaves out the heading of
// a lone build of the step's own.
func (m *markdownWriter) sections(t tree, shared, bare bool) {
	if t.culprit >= 0 {
		m.section(t, t.culprit, true)
	}
	for i, r := range t.rows {
		switch {
		case i == t.culprit:
		case r.own() && bare:
			m.buildDetails(r.BuildSummary, true)
		case r.own():
			m.section(t, i, !shared)
		case r.hasDetails():
			m.section(t, i, true)
		}
	}
}

// section renders a build's heading, naming the build that started it,
// and its details.
func (m *markdownWriter) section(t tree, i int, params bool) {
	r := t.rows[i]
	var by string
	if r.parent >= 0 {
		by = ", started by " + m.title(t.rows[r.parent].BuildSummary)
	}
	fmt.Fprintf(m.b, "\n#### %s%s %s%s\n", r.icon(), m.title(r.BuildSummary), m.state(r.BuildSummary), by)
	m.buildDetails(r.BuildSummary, params)
}

// hasDetails reports whether buildDetails says anything of the build.
func (bs BuildSummary) hasDetails() bool {
	return bs.Input != nil || len(bs.Stages)+len(bs.Params)+len(bs.Files)+len(bs.Artifacts)+len(bs.Notes) > 0 || bs.Tests != nil
}

func (m *markdownWriter) title(bs BuildSummary) string { return text(m.label(bs)) }

// label names a build, masked but not yet escaped.
func (m *markdownWriter) label(bs BuildSummary) string {
	label := m.mask(bs.Job)
	if bs.Number > 0 {
		label += fmt.Sprintf(" #%d", bs.Number)
	}
	return label
}

// Ended says how the build's following ended, in a word or three for
// counts: its result, or how far it got without one.
func (bs BuildSummary) Ended() string {
	switch {
	case bs.Unfollowed:
		return "not followed to the end"
	case bs.Result != build.None:
		return string(bs.Result)
	case bs.Number > 0:
		return "started"
	case bs.URL != "":
		return "queued"
	}
	return "not triggered"
}

// state is how the build ended, with the stage that failed.
func (m *markdownWriter) state(bs BuildSummary) string {
	state := bs.Ended()
	if bs.FailedStage != "" {
		state += " in stage " + text(m.mask(bs.FailedStage))
	}
	return state
}

func (m *markdownWriter) buildCell(bs BuildSummary) string {
	switch {
	case bs.Number > 0:
		return m.link(fmt.Sprintf("#%d", bs.Number), bs.URL)
	case bs.URL != "":
		return "not started (" + m.link("queue item", bs.URL) + ")"
	}
	return "not started"
}

// count says how many builds ended how: "3 builds: 2 SUCCESS, 1 FAILURE".
func (m *markdownWriter) count(builds []BuildSummary) string {
	ends := make([]string, len(builds))
	for i, bs := range builds {
		ends[i] = bs.Ended()
	}
	return Count(ends)
}

// buildDetails are what the summary says of a build below its row.
func (m *markdownWriter) buildDetails(bs BuildSummary, params bool) {
	if in := bs.Input; in != nil {
		m.b.WriteString("\n" + in.markdown(m.mask, m.link) + "\n")
	}
	m.stages(bs.Stages)
	if params {
		m.params(bs)
	}
	m.tests(bs.Tests)
	m.artifacts(bs.Artifacts)
	m.notes(bs.Notes)
}

func (m *markdownWriter) stages(stages []build.Stage) {
	if len(stages) == 0 {
		return
	}
	m.b.WriteString("\n**Stages**\n\n| | Stage | Duration | Paused for input |\n|---|---|---|---|\n")
	for _, st := range stages {
		var dur, paused string
		if st.DurationMS > 0 {
			dur = Elapsed(st.DurationMS)
		}
		if st.PauseMS > 0 {
			paused = Elapsed(st.PauseMS)
		}
		fmt.Fprintf(m.b, "| %s | %s | %s | %s |\n", stageIcon(st.Status), orDash(m.mask(st.FullName())), orDash(dur), orDash(paused))
	}
}

func (m *markdownWriter) params(bs BuildSummary) {
	if len(bs.Params)+len(bs.Files) == 0 {
		return
	}
	m.b.WriteString("\n**Parameters**\n\n| Name | Value |\n|---|---|\n")
	for _, p := range bs.Params {
		value := code(m.mask(p.Value))
		if secretName.MatchString(p.Name) {
			value = code("***")
		}
		fmt.Fprintf(m.b, "| %s | %s |\n", code(m.mask(p.Name)), value)
	}
	for _, f := range bs.Files {
		fmt.Fprintf(m.b, "| %s | file %s |\n", code(m.mask(f.Name)), code(m.mask(filepath.Base(f.Path))))
	}
}

func (m *markdownWriter) tests(t *build.TestRun) {
	if t == nil {
		return
	}
	fmt.Fprintf(m.b, "\n**Tests:** %d passed, %d failed, %d skipped (%s)\n", t.Passed, t.Failed, t.Skipped, m.link("test report", t.URL))
	failures := t.Failures(m.failures)
	if len(failures) == 0 {
		return
	}
	m.b.WriteString("\nFailed tests:\n\n")
	for _, c := range failures {
		name := c.Name
		if c.ClassName != "" {
			name = c.ClassName + "." + c.Name
		}
		line := "- " + m.link(name, c.URL)
		if d := firstLine(m.mask(c.ErrorDetails), maxDetails); d != "" {
			line += ": " + text(d)
		}
		m.b.WriteString(line + "\n")
	}
	if more := t.Failed - len(failures); more > 0 {
		fmt.Fprintf(m.b, "- … and %d more in the %s\n", more, m.link("test report", t.URL))
	}
}

func (m *markdownWriter) artifacts(files []build.Artifact) {
	if len(files) == 0 {
		return
	}
	var total int64
	for _, a := range files {
		total += a.Size
	}
	fmt.Fprintf(m.b, "\n**Artifacts:** %s, %s\n\n", Plural(len(files), "file"), HumanSize(total))
	for _, a := range files {
		fmt.Fprintf(m.b, "- %s (%s)\n", m.link(a.Path, a.URL), HumanSize(a.Size))
	}
}

func (m *markdownWriter) notes(notes []string) {
	if len(notes) == 0 {
		return
	}
	m.b.WriteString("\n")
	for _, n := range notes {
		m.b.WriteString(text(m.mask(n)) + "\n")
	}
}

// sameStart reports whether every build was started with the same
// parameters and files, as the builds a step triggers are.
func sameStart(builds []BuildSummary) bool {
	if len(builds) == 0 {
		return false
	}
	for _, bs := range builds[1:] {
		if !slices.Equal(bs.Params, builds[0].Params) || !slices.Equal(bs.Files, builds[0].Files) {
			return false
		}
	}
	return true
}

// worst is the build that went worst, for the step's icon: one that
// failed, or else was unstable, or else succeeded.
func worst(builds []BuildSummary) BuildSummary {
	rank := func(bs BuildSummary) int {
		switch {
		case bs.Unfollowed:
			return 3
		case bs.Result == build.None:
			return 0
		case bs.Result == build.Success:
			return 1
		case bs.Result == build.Unstable:
			return 2
		}
		return 3
	}
	var w BuildSummary
	for _, bs := range builds {
		if rank(bs) > rank(w) {
			w = bs
		}
	}
	return w
}

// markdown is the line that says the build paused for input, such as
// "the build waited 4m for input: Deploy? (input page); answered Proceed by
// jenkins-trigger". link is the summary's, which masks.
func (in *InputWait) markdown(mask func(string) string, link func(label, url string) string) string {
	var b strings.Builder
	b.WriteString("⏸️ **Input:** ")
	switch {
	case in.StillWaiting && in.Waited != "":
		b.WriteString("the build was still waiting for input when the step stopped, after " + text(in.Waited))
	case in.StillWaiting:
		b.WriteString("the build was still waiting for input when the step stopped")
	case in.Waited != "":
		b.WriteString("the build waited " + text(in.Waited) + " for input")
	default:
		b.WriteString("the build waited for input")
	}
	// A message of several lines is read as one.
	if m := firstLine(strings.Join(strings.Fields(mask(in.Message)), " "), maxDetails); m != "" {
		b.WriteString(": " + text(m))
	}
	if in.URL != "" {
		label := "input page"
		if in.StillWaiting {
			label = "answer it"
		}
		b.WriteString(" (" + link(label, in.URL) + ")")
	}
	if in.Answer != "" && !in.StillWaiting {
		b.WriteString("; " + text(mask(in.Answer)))
	}
	return b.String()
}

// icon is how the build ended, at a glance.
func (bs BuildSummary) icon() string {
	if bs.Unfollowed {
		return "❌ "
	}
	switch bs.Result {
	case build.Success:
		return "✅ "
	case build.Unstable:
		return "⚠️ "
	case build.None:
		return ""
	case build.Timeout:
		return "⏱️ "
	}
	return "❌ "
}

func stageIcon(st build.StageStatus) string {
	switch st {
	case build.StageSuccess:
		return "✅"
	case build.StageFailed:
		return "❌"
	case build.StageUnstable:
		return "⚠️"
	case build.StageAborted:
		return "⛔"
	case build.StageNotExecuted:
		return "⏭️"
	case build.StagePaused:
		return "⏸️"
	case build.StageRunning:
		return "🔄"
	case build.StageQueued:
		return "⏳"
	}
	return "❔"
}

// HumanSize formats a size in bytes as people read it: 512 B, 12.4 MiB.
func HumanSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	const units = "KMGTPE"
	f, i := float64(n)/1024, 0
	// 1023.95 would print as 1024.0 of the smaller unit.
	for f >= 1023.95 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return text(s)
}

// markdownSpecial are the characters text escapes: those that start
// emphasis, links, code, HTML, an entity or a table cell's end.
var markdownSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`,
	"\r", " ", "\n", " ",
)

// text escapes s to read as itself in Markdown, on one line.
func text(s string) string { return markdownSpecial.Replace(s) }

// urlSpecial are the characters of an escaped URL that would end a
// Markdown link destination or a table cell.
var urlSpecial = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "|", "%7C", "<", "%3C", ">", "%3E")

func link(label, url string) string {
	if url == "" {
		return text(label)
	}
	return "[" + text(label) + "](" + urlSpecial.Replace(url) + ")"
}

// code renders s as inline code, in a table cell: the fence is longer
// than any run of backticks inside, and a pipe is escaped, which GitHub's
// tables require even in code. A backslash before a pipe would escape that
// escape, and code has no way to write it, so such a value is escaped text.
func code(s string) string {
	if s == "" {
		return "(empty)"
	}
	if strings.Contains(s, `\|`) {
		return text(s)
	}
	s = strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`).Replace(s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// firstLine is the first non-empty line of s, cut to at most n runes.
func firstLine(s string, n int) string {
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if r := []rune(line); len(r) > n {
			return string(r[:n-1]) + "…"
		}
		return line
	}
	return ""
}
