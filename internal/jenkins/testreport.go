package jenkins

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
)

// TestReport is a build's JUnit result as the junit plugin exports it
// (hudson.tasks.junit.TestResult).
type TestReport struct {
	Duration  float64     `json:"duration"` // seconds
	FailCount int         `json:"failCount"`
	PassCount int         `json:"passCount"`
	SkipCount int         `json:"skipCount"`
	Suites    []TestSuite `json:"suites"`
}

// TestSuite is one suite of a TestReport.
type TestSuite struct {
	Name      string     `json:"name"`
	Duration  float64    `json:"duration"`
	Timestamp string     `json:"timestamp"` // as the XML gave it; often empty
	Cases     []TestCase `json:"cases"`
}

// TestCase is one test of a TestSuite.
type TestCase struct {
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
func (c TestCase) Failed() bool { return c.Status == "FAILED" || c.Status == "REGRESSION" }

// Skipped reports whether the test was skipped.
func (c TestCase) Skipped() bool { return c.Status == "SKIPPED" }

// Total is the number of tests in the report.
func (r *TestReport) Total() int { return r.FailCount + r.PassCount + r.SkipCount }

// testReportTree names what TestReport reads. Standard output and error
// are left out: they can be far larger than everything else together.
const testReportTree = "duration,failCount,passCount,skipCount," +
	"suites[name,duration,timestamp,cases[className,name,status,duration,errorDetails,errorStackTrace,skippedMessage]]"

// TestReport reads the JUnit report of build n of job. It returns nil and
// no error when the build has none: Jenkins answers 404 for testReport/
// then.
func (c *Client) TestReport(ctx context.Context, job Job, n int) (*TestReport, error) {
	var r TestReport
	err := c.getJSON(ctx, TestReportPath(job, n)+"api/json", testReportTree, &r)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read test report of %s #%d: %w", job.Name, n, err)
	}
	return &r, nil
}

// TestReportPath is the escaped path of the test report of build n.
func TestReportPath(job Job, n int) string { return BuildPath(job, n) + "testReport/" }

// FailedCase is a failed test with the escaped path of its page.
type FailedCase struct {
	TestCase
	Path string
}

// Failures lists the failed tests of build n in report order, each with
// the path of its page, as the junit plugin builds it:
// testReport/<package>/<class>/<test>/, where a class without a package is
// in "(root)", package and class have /\:?#%<> replaced by "_" (TestObject
// .safe), the test has every character that is not part of a Java
// identifier replaced by "_" (CaseResult.getSafeName), and a test whose
// name comes out the same as an earlier one's in its class gets "_2",
// "_3"…. Each segment is then escaped for the URL. A test without a name
// links to its class, since Jenkins' own link would have an empty segment.
func (r *TestReport) Failures(job Job, n int) []FailedCase {
	var out []FailedCase
	seen := map[string]int{}
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			pkg, class := splitClassName(c.ClassName)
			name := caseSafeName(c.Name)
			key := pkg + "/" + class + "/" + name
			seen[key]++
			if k := seen[key]; k > 1 {
				name += fmt.Sprintf("_%d", k)
			}
			if !c.Failed() {
				continue
			}
			path := TestReportPath(job, n) + segment(pkg) + segment(class)
			if name != "" {
				path += segment(name)
			}
			out = append(out, FailedCase{TestCase: c, Path: path})
		}
	}
	return out
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
