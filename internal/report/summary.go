package report

import (
	"fmt"
	"regexp"
	"strings"
)

// Summary is what the step summary shows of a run: how far it got, the
// parameters it sent, and the build's tests.
type Summary struct {
	Job    string // full name
	JobURL string
	// Number is 0 when the build never started; URL is then the queue
	// item's.
	Number int
	URL    string
	// Result is "" when the run ended before there was one (wait_for was
	// reached, or it failed).
	Result    string
	Duration  string // "" when unknown
	QueueTime string // "" when unknown
	Params    []Param
	Tests     *Tests // nil when the build has no test report
	// Notes say what else the reader should know, one sentence each.
	Notes []string
}

// Param is a parameter as sent.
type Param struct {
	Name, Value string
	// File marks a file parameter; Value is then the file's name.
	File bool
}

// Tests are a build's test results.
type Tests struct {
	Passed, Failed, Skipped int
	URL                     string // the build's test report page
	// Failures are the first failed tests, in report order.
	Failures []FailedTest
}

// FailedTest is one failed test with a link to its page.
type FailedTest struct {
	Name    string // class and test name
	URL     string
	Details string // Jenkins' error details; "" when none
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
	title := text(mask(s.Job))
	if s.Number > 0 {
		title += fmt.Sprintf(" #%d", s.Number)
	}
	state := s.Result
	if state == "" {
		state = "queued"
		if s.Number > 0 {
			state = "started"
		}
	}
	fmt.Fprintf(&b, "### %sJenkins: %s %s\n\n", icon(s.Result), title, state)

	build := "not started"
	if s.Number > 0 {
		build = link(fmt.Sprintf("#%d", s.Number), s.URL)
	} else if s.URL != "" {
		build = "not started (" + link("queue item", s.URL) + ")"
	}
	b.WriteString("| Job | Build | Result | Duration | Queue time |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", link(mask(s.Job), s.JobURL), build, orDash(s.Result), orDash(s.Duration), orDash(s.QueueTime))

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
		if len(t.Failures) > 0 {
			b.WriteString("\nFailed tests:\n\n")
			for _, f := range t.Failures {
				line := "- " + link(mask(f.Name), f.URL)
				if d := firstLine(mask(f.Details), maxDetails); d != "" {
					line += ": " + text(d)
				}
				b.WriteString(line + "\n")
			}
			if more := t.Failed - len(t.Failures); more > 0 {
				fmt.Fprintf(&b, "- … and %d more in the %s\n", more, link("test report", t.URL))
			}
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

func icon(result string) string {
	switch result {
	case "SUCCESS":
		return "✅ "
	case "UNSTABLE":
		return "⚠️ "
	case "":
		return ""
	case "TIMEOUT":
		return "⏱️ "
	}
	return "❌ "
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
