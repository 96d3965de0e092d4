package jenkins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// testReport is a build's JUnit result as the junit plugin exports it
// (hudson.tasks.junit.TestResult).
type testReport struct {
	Duration  float64     `json:"duration"` // seconds
	FailCount int         `json:"failCount"`
	PassCount int         `json:"passCount"`
	SkipCount int         `json:"skipCount"`
	Suites    []testSuite `json:"suites"`
}

// testSuite is one suite of a testReport.
type testSuite struct {
	Name      string     `json:"name"`
	Duration  float64    `json:"duration"`
	Timestamp string     `json:"timestamp"` // as the XML gave it; often empty
	Cases     []testCase `json:"cases"`
}

// testCase is one test of a testSuite.
type testCase struct {
	ClassName       string  `json:"className"`
	Name            string  `json:"name"`
	Status          string  `json:"status"` // PASSED, SKIPPED, FAILED, FIXED, REGRESSION
	Duration        float64 `json:"duration"`
	ErrorDetails    string  `json:"errorDetails"`
	ErrorStackTrace string  `json:"errorStackTrace"`
	SkippedMessage  string  `json:"skippedMessage"`
}

// Failed reports whether the test failed in this build: REGRESSION is a
// failure that passed before, FIXED a pass that failed before.
func (c testCase) Failed() bool { return c.Status == "FAILED" || c.Status == "REGRESSION" }

// Skipped reports whether the test was skipped.
func (c testCase) Skipped() bool { return c.Status == "SKIPPED" }

// testReportTree names what TestReport reads. Standard output and error
// are left out: they can be far larger than everything else together.
const testReportTree = "duration,failCount,passCount,skipCount," +
	"suites[name,duration,timestamp,cases[className,name,status,duration,errorDetails,errorStackTrace,skippedMessage]]"

// TestReport reads the JUnit report of build n of job, with each failed
// test linked to its page. It returns nil and no error when the build has
// none: Jenkins answers 404 for testReport/ then.
func (c *Client) TestReport(ctx context.Context, job Job, n int) (*build.TestRun, error) {
	var r testReport
	err := c.getJSON(ctx, TestReportPath(job, n)+"api/json", testReportTree, &r)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read test report of %s #%d: %w", job.Name, n, err)
	}
	return r.run(c, job, n), nil
}

// run is the report as a build.TestRun, with the URLs of its pages.
func (r *testReport) run(c *Client, job Job, n int) *build.TestRun {
	run := &build.TestRun{
		Passed: r.PassCount, Failed: r.FailCount, Skipped: r.SkipCount,
		Duration: r.Duration, URL: c.URL(TestReportPath(job, n)),
	}
	pages := newPageNamer(job, n)
	for _, s := range r.Suites {
		rs := build.TestSuite{Name: s.Name, Duration: s.Duration, Timestamp: s.Timestamp}
		for _, tc := range s.Cases {
			rc := build.TestCase{
				ClassName: tc.ClassName, Name: tc.Name, Status: build.TestPassed, Duration: tc.Duration,
				ErrorDetails: tc.ErrorDetails, ErrorStackTrace: tc.ErrorStackTrace, SkippedMessage: tc.SkippedMessage,
			}
			page := pages.path(tc)
			switch {
			case tc.Failed():
				rc.Status = build.TestFailed
				rc.URL = c.URL(page)
			case tc.Skipped():
				rc.Status = build.TestSkipped
			}
			rs.Cases = append(rs.Cases, rc)
		}
		run.Suites = append(run.Suites, rs)
	}
	return run
}

// TestReportPath is the escaped path of the test report of build n.
func TestReportPath(job Job, n int) string { return BuildPath(job, n) + "testReport/" }

// pageNamer gives each test the escaped path of its page, as the junit
// plugin builds it: testReport/<package>/<class>/<test>/, where a class
// without a package is in "(root)", package and class have /\:?#%<>
// replaced by "_" (TestObject.safe), the test has every character that is
// not part of a Java identifier replaced by "_" (CaseResult.getSafeName),
// and a test whose name comes out the same as an earlier one's in its
// class gets "_2", "_3"…. Each segment is then escaped for the URL. A test
// without a name links to its class, since Jenkins' own link would have an
// empty segment. It must be shown every test of the report, in order, for
// the suffixes.
type pageNamer struct {
	report string
	seen   map[string]int
}

func newPageNamer(job Job, n int) *pageNamer {
	return &pageNamer{report: TestReportPath(job, n), seen: map[string]int{}}
}

func (p *pageNamer) path(c testCase) string {
	pkg, class := splitClassName(c.ClassName)
	name := caseSafeName(c.Name)
	key := pkg + "/" + class + "/" + name
	p.seen[key]++
	if k := p.seen[key]; k > 1 {
		name += fmt.Sprintf("_%d", k)
	}
	path := p.report + segment(pkg) + segment(class)
	if name != "" {
		path += segment(name)
	}
	return path
}

// segment escapes one path segment. A dot segment is escaped too, so that
// no one's URL handling climbs out of the test report.
func segment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s)) + "/"
	}
	return rawEncode(s) + "/"
}

// splitClassName gives the safe package and simple class names of a
// fully qualified class name (CaseResult.getPackageName, getSimpleName).
func splitClassName(className string) (pkg, class string) {
	pkg, class = "(root)", className
	if i := strings.LastIndexByte(className, '.'); i >= 0 {
		pkg, class = className[:i], className[i+1:]
	}
	return safeName(pkg), safeName(class)
}

// safeName is TestObject.safe.
func safeName(s string) string {
	if s == "" {
		return "(empty)"
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:?#%<>`, r) {
			return '_'
		}
		return r
	}, s)
}

// caseSafeName is CaseResult.getSafeName before it is made unique. Java
// looks at UTF-16 units, so a character outside the Basic Multilingual
// Plane is two surrogates, neither of which is part of an identifier.
func caseSafeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r > 0xFFFF:
			b.WriteString("__")
		case javaIdentifierPart(r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// javaIdentifierPart is Character.isJavaIdentifierPart for a BMP char:
// letters, digits, letter numbers, currency symbols, connecting
// punctuation, combining marks, and the "ignorable" control characters.
func javaIdentifierPart(r rune) bool {
	if utf16.IsSurrogate(r) {
		return false
	}
	switch {
	case unicode.IsLetter(r), unicode.IsDigit(r),
		unicode.In(r, unicode.Nl, unicode.Sc, unicode.Pc, unicode.Mn, unicode.Mc):
		return true
	case r <= 0x08, 0x0E <= r && r <= 0x1B, 0x7F <= r && r <= 0x9F:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}
