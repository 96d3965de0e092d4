package report

import (
	"fmt"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// tree is a summary's builds as the summary shows them: each downstream
// build below the build that started it, depth first, and the build that
// really failed.
type tree struct {
	rows []row
	// own are the step's own builds, in order.
	own []BuildSummary
	// culprit is the row of the deepest failed build below a failed build
	// of the step's own, through failed builds only, and of is the row of
	// that own build; both -1 when there is none.
	culprit, of int
}

// row is a build in its place in the tree.
type row struct {
	BuildSummary
	// depth is 0 for a build of the step's own, and for a downstream build
	// whose upstream is not in the summary.
	depth int
	// parent is the row of the build that started it, -1 at depth 0.
	parent int
}

// nest places the builds: the step's own in order, each followed by the
// builds it started, in the order they appeared. A downstream build whose
// upstream is not in the summary, or is in a loop of upstreams (which
// Jenkins' answers alone could make), is listed after them, at depth 0.
func nest(builds []BuildSummary) tree {
	byURL := make(map[string]int, len(builds))
	for i, bs := range builds {
		if _, dup := byURL[bs.URL]; bs.URL != "" && !dup {
			byURL[bs.URL] = i
		}
	}
	children := make([][]int, len(builds))
	started := make([]bool, len(builds)) // by a build in the summary
	for i, bs := range builds {
		if p, ok := byURL[bs.Upstream]; bs.Upstream != "" && ok && p != i {
			children[p] = append(children[p], i)
			started[i] = true
		}
	}
	t := tree{culprit: -1, of: -1}
	placed := make([]bool, len(builds))
	var place func(i, depth, parent int)
	place = func(i, depth, parent int) {
		placed[i] = true
		t.rows = append(t.rows, row{BuildSummary: builds[i], depth: depth, parent: parent})
		at := len(t.rows) - 1
		for _, c := range children[i] {
			if !placed[c] {
				place(c, depth+1, at)
			}
		}
	}
	for i, bs := range builds {
		if bs.Upstream == "" {
			t.own = append(t.own, bs)
			place(i, 0, -1)
		}
	}
	for _, loops := range []bool{false, true} {
		for i := range builds {
			if !placed[i] && (loops || !started[i]) {
				place(i, 0, -1)
			}
		}
	}
	t.findCulprit()
	return t
}

// findCulprit finds the build that really failed: going down from each
// failed build of the step's own through the failed builds it started, the
// deepest reached, the first of equals.
func (t *tree) findCulprit() {
	failedPath := make([]bool, len(t.rows))
	root := -1
	for i, r := range t.rows {
		if r.depth == 0 {
			root = i
			failedPath[i] = r.failed() && r.own()
			continue
		}
		failedPath[i] = r.failed() && failedPath[r.parent]
		if failedPath[i] && (t.culprit < 0 || r.depth > t.rows[t.culprit].depth) {
			t.culprit, t.of = i, root
		}
	}
}

// own reports whether the row is a build of the step's own.
func (r row) own() bool { return r.depth == 0 && r.Upstream == "" }

// failed reports whether Jenkins ended the build with a result that fails
// a step; TIMEOUT is the step giving up, not the build failing.
func (bs BuildSummary) failed() bool {
	return bs.Result.Fails(false) && bs.Result != build.Timeout
}

// maxIndent is the deepest a row is indented; deeper rows say their depth,
// so that a long chain of builds does not grow the table by its square.
const maxIndent = 8

// indent marks a row's depth in the Job cell: an em space a level below
// the first, then an arrow. GitHub drops a cell's leading spaces, not its
// entities.
func indent(depth int) string {
	switch {
	case depth == 0:
		return ""
	case depth <= maxIndent:
		return strings.Repeat("&emsp;", depth-1) + "↳ "
	}
	return strings.Repeat("&emsp;", maxIndent-1) + fmt.Sprintf("↳ (%d) ", depth)
}
