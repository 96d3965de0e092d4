package build

// TestRun is a build's test report. One shape serves the step summary and
// the JUnit file.
type TestRun struct {
	Passed, Failed, Skipped int
	Duration                float64 // seconds
	URL                     string  // the build's test report page
	Suites                  []TestSuite
}

// TestSuite is one suite of a TestRun.
type TestSuite struct {
	Name      string
	Duration  float64 // seconds
	Timestamp string  // as Jenkins gave it; often ""
	Cases     []TestCase
}

// TestCase is one test of a TestSuite.
type TestCase struct {
	ClassName, Name string
	Status          TestStatus
	Duration        float64 // seconds
	ErrorDetails    string
	ErrorStackTrace string
	SkippedMessage  string
	URL             string // the test's page in Jenkins; "" when unknown
}

// TestStatus is how a test ended in this build.
type TestStatus string

// The test statuses. Jenkins' REGRESSION is a failure and FIXED a pass.
const (
	TestPassed  TestStatus = "passed"
	TestFailed  TestStatus = "failed"
	TestSkipped TestStatus = "skipped"
)

// Total is the number of tests.
func (r *TestRun) Total() int { return r.Passed + r.Failed + r.Skipped }

// Failures returns up to n failed tests, in report order.
func (r *TestRun) Failures(n int) []TestCase {
	var out []TestCase
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			if len(out) == n {
				return out
			}
			if c.Status == TestFailed {
				out = append(out, c)
			}
		}
	}
	return out
}

// Artifact is a file brought back from a build.
type Artifact struct {
	Path string // '/'-separated, relative to the build's archive
	Size int64  // bytes
	URL  string // the file in Jenkins
}
