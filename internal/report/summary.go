package report

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
)

// Summary is what the step summary shows of a run: how far it got, the
// parameters it sent, the build's stages and tests, whether it waited for
// input, and the artifacts downloaded. Every optional part is shown only
// when set.
type Summary struct {
	Job    string // full name
	JobURL string
	// Number is 0 when the build never started; URL is then the queue
	// item's.
	Number int
	URL    string
	// Result is None when the run ended before there was one (wait_for was
	// reached, or it failed).
	Result    result.Result
	Duration  string // "" when unknown
	QueueTime string // "" when unknown
	Params    []Param
	Tests     *TestRun // nil when the build has no test report
	// Stages are a Pipeline build's stages, in order.
	Stages []Stage
	// FailedStage is the first stage that failed, named in the heading.
	FailedStage string
	// Input is set when the build paused for input.
	Input *InputWait
	// Artifacts are the files downloaded from the build.
	Artifacts []Artifact
	// Notes say what else the reader should know, one sentence each.
	Notes []string
}

// Param is a parameter as sent.
type Param struct {
	Name, Value string
	// File marks a file parameter; Value is then the file's name.
	File bool
}

// StageStatus is how a Pipeline stage stands, in report's own words: the
// flow translates the two spellings Jenkins' plugins use.
type StageStatus string

// The stage statuses.
const (
	StageSuccess     StageStatus = "success"
	StageFailed      StageStatus = "failed"
	StageUnstable    StageStatus = "unstable"
	StageAborted     StageStatus = "aborted"
	StageRunning     StageStatus = "running"
	StagePaused      StageStatus = "paused"
	StageNotExecuted StageStatus = "not executed"
	StageQueued      StageStatus = "queued"
	StageUnknown     StageStatus = "unknown"
)

// Stage is one stage of a Pipeline build.
type Stage struct {
	Name     string
	Status   StageStatus
	Duration string // "" when unknown
	Paused   string // time paused for input; "" when none
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

// Artifact is a file downloaded from the build.
type Artifact struct {
	Path string // relative to the build's artifacts
	Size int64  // bytes
	URL  string // the file in Jenkins
}

// MaxFailures is how many failed tests the summary names.
const MaxFailures = 10

// maxDetails bounds the error details shown for a failed test.
const maxDetails = 120

// secretName matches parameter names whose values the summary hides.
var secretName = regexp.MustCompile(`(?i)PASSWORD|TOKEN|SECRET|KEY`)

// markdown renders s for GitHub's step summary. mask hides secrets; it
// runs before any Markdown escaping, which could otherwise split a secret.
func (s Summary) markdown(mask func(string) string) string {
	var b strings.Builder
	link := func(label, url string) string { return link(mask(label), mask(url)) }
	title := text(mask(s.Job))
	if s.Number > 0 {
		title += fmt.Sprintf(" #%d", s.Number)
	}
	state := string(s.Result)
	if s.Result == result.None {
		state = "queued"
		if s.Number > 0 {
			state = "started"
		}
	}
	if s.FailedStage != "" {
		state += " in stage " + text(mask(s.FailedStage))
	}
	fmt.Fprintf(&b, "### %sJenkins: %s %s\n\n", icon(s.Result), title, state)

	build := "not started"
	if s.Number > 0 {
		build = link(fmt.Sprintf("#%d", s.Number), s.URL)
	} else if s.URL != "" {
		build = "not started (" + link("queue item", s.URL) + ")"
	}
	b.WriteString("| Job | Build | Result | Duration | Queue time |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", link(s.Job, s.JobURL), build, orDash(string(s.Result)), orDash(s.Duration), orDash(s.QueueTime))

	if in := s.Input; in != nil {
		b.WriteString("\n" + in.markdown(mask, link) + "\n")
	}

	if len(s.Stages) > 0 {
		b.WriteString("\n**Stages**\n\n| | Stage | Duration | Paused for input |\n|---|---|---|---|\n")
		for _, st := range s.Stages {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", st.Status.icon(), orDash(mask(st.Name)), orDash(st.Duration), orDash(st.Paused))
		}
	}

	if len(s.Params) > 0 {
		b.WriteString("\n**Parameters**\n\n| Name | Value |\n|---|---|\n")
		for _, p := range s.Params {
			value := code(mask(p.Value))
			switch {
			case p.File:
				value = "file " + value
			case secretName.MatchString(p.Name):
				value = code("***")
			}
			fmt.Fprintf(&b, "| %s | %s |\n", code(mask(p.Name)), value)
		}
	}

	if t := s.Tests; t != nil {
		fmt.Fprintf(&b, "\n**Tests:** %d passed, %d failed, %d skipped (%s)\n", t.Passed, t.Failed, t.Skipped, link("test report", t.URL))
		if failures := t.failures(MaxFailures); len(failures) > 0 {
			b.WriteString("\nFailed tests:\n\n")
			for _, c := range failures {
				name := c.Name
				if c.ClassName != "" {
					name = c.ClassName + "." + c.Name
				}
				line := "- " + link(name, c.URL)
				if d := firstLine(mask(c.ErrorDetails), maxDetails); d != "" {
					line += ": " + text(d)
				}
				b.WriteString(line + "\n")
			}
			if more := t.Failed - len(failures); more > 0 {
				fmt.Fprintf(&b, "- … and %d more in the %s\n", more, link("test report", t.URL))
			}
		}
	}

	if len(s.Artifacts) > 0 {
		var total int64
		for _, a := range s.Artifacts {
			total += a.Size
		}
		files := "files"
		if len(s.Artifacts) == 1 {
			files = "file"
		}
		fmt.Fprintf(&b, "\n**Artifacts:** %d %s, %s\n\n", len(s.Artifacts), files, HumanSize(total))
		for _, a := range s.Artifacts {
			fmt.Fprintf(&b, "- %s (%s)\n", link(a.Path, a.URL), HumanSize(a.Size))
		}
	}

	if len(s.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range s.Notes {
			b.WriteString(text(mask(n)) + "\n")
		}
	}
	return b.String()
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

func icon(r result.Result) string {
	switch r {
	case result.Success:
		return "✅ "
	case result.Unstable:
		return "⚠️ "
	case result.None:
		return ""
	case result.Timeout:
		return "⏱️ "
	}
	return "❌ "
}

func (st StageStatus) icon() string {
	switch st {
	case StageSuccess:
		return "✅"
	case StageFailed:
		return "❌"
	case StageUnstable:
		return "⚠️"
	case StageAborted:
		return "⛔"
	case StageNotExecuted:
		return "⏭️"
	case StagePaused:
		return "⏸️"
	case StageRunning:
		return "🔄"
	case StageQueued:
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
// emphasis, links, code, HTML or a table cell's end.
var markdownSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`,
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
