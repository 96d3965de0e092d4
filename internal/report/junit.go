package report

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// The JUnit XML shape that GitLab, Jenkins and most CI tools read: Ant's
// testsuites/testsuite/testcase, with failure and skipped elements.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	// Text is CDATA so that a stack trace keeps its lines as they are.
	Text string `xml:",cdata"`
}

// junitXML renders run. Jenkins does not tell a JUnit error from a failure,
// so every failed test has a failure element: its message is Jenkins'
// error details, its text the stack trace. mask hides secrets.
func junitXML(name string, run *build.TestRun, mask func(string) string) ([]byte, error) {
	out := junitSuites{Name: mask(name), Time: seconds(run.Duration)}
	for _, s := range run.Suites {
		js := junitSuite{Name: mask(s.Name), Time: seconds(s.Duration), Timestamp: s.Timestamp}
		for _, c := range s.Cases {
			jc := junitCase{Name: mask(c.Name), ClassName: mask(c.ClassName), Time: seconds(c.Duration)}
			switch c.Status {
			case build.TestFailed:
				trace := c.ErrorStackTrace
				if trace == "" {
					trace = c.ErrorDetails
				}
				jc.Failure = &junitMessage{Message: mask(c.ErrorDetails), Text: xmlChars(mask(trace))}
				js.Failures++
			case build.TestSkipped:
				jc.Skipped = &junitMessage{Message: mask(c.SkippedMessage)}
				js.Skipped++
			}
			js.Cases = append(js.Cases, jc)
		}
		js.Tests = len(js.Cases)
		out.Tests += js.Tests
		out.Failures += js.Failures
		out.Skipped += js.Skipped
		out.Suites = append(out.Suites, js)
	}
	data, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(data, '\n')...), nil
}

// xmlChars replaces what XML 1.0 cannot hold, such as the ANSI escapes
// of a coloured stack trace, with U+FFFD: CDATA is written as it is, and
// one such character makes the whole file unreadable.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r',
			0x20 <= r && r <= 0xD7FF, 0xE000 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

// seconds formats a JUnit time attribute: seconds, to the millisecond.
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

func writeJUnit(path, name string, run *build.TestRun, masks *masker) error {
	data, err := junitXML(name, run, masks.apply)
	if err != nil {
		return fmt.Errorf("write junit %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write junit %s: %w", path, unwrapPath(err))
	}
	return nil
}
