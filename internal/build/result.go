package build

// Result is a build's result, or how the following of it ended without
// one.
type Result string

// Jenkins' build results (hudson.model.Result).
const (
	Success  Result = "SUCCESS"
	Unstable Result = "UNSTABLE"
	Failure  Result = "FAILURE"
	Aborted  Result = "ABORTED"
	NotBuilt Result = "NOT_BUILT"
)

// The tool's own results, for builds followed to no result of Jenkins'.
const (
	// Cancelled means the queue item was cancelled before a build started.
	Cancelled Result = "CANCELLED"
	// Timeout means the timeout input passed before wait_for was reached.
	Timeout Result = "TIMEOUT"
)

// None is the result of a build followed, as asked, only until before it
// had one (wait_for: queue or start), or not followed to its end.
const None Result = ""

// Known reports whether r is one of the results above, None included.
func (r Result) Known() bool {
	switch r {
	case None, Success, Unstable, Failure, Aborted, NotBuilt, Cancelled, Timeout:
		return true
	}
	return false
}

// Fails reports whether r fails the step: anything but SUCCESS and None,
// and UNSTABLE only when failOnUnstable is set.
func (r Result) Fails(failOnUnstable bool) bool {
	switch r {
	case None, Success:
		return false
	case Unstable:
		return failOnUnstable
	}
	return true
}
