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

// Failed reports whether Jenkins ended a build with a result that fails a
// step whatever fail_on_unstable says; TIMEOUT is the step giving up, not
// the build failing.
func (r Result) Failed() bool { return r.Fails(false) && r != Timeout }

// Culprit is the build that really failed below build i, of builds where
// parent[j] is the build that started build j (-1 for none) and result[j]
// how it ended: going down from i through the failed builds it started,
// the deepest reached, the first of equals; -1 when i did not fail or none
// of the builds it started did.
func Culprit(i int, parent []int, result []Result) int {
	if !result[i].Failed() {
		return -1
	}
	best, bestDepth := -1, 0
	for j := range parent {
		if d := failedDepth(j, i, parent, result); d > bestDepth {
			best, bestDepth = j, d
		}
	}
	return best
}

// failedDepth is how many builds down from i build j is when it and every
// build between them failed; 0 otherwise. The walk is bounded, as parents
// read from Jenkins' answers may loop.
func failedDepth(j, i int, parent []int, result []Result) int {
	depth := 0
	for at := j; at >= 0 && at < len(parent) && depth <= len(parent); at = parent[at] {
		if at == i {
			return depth
		}
		if !result[at].Failed() {
			return 0
		}
		depth++
	}
	return 0
}
