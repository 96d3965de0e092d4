package report

import (
	"fmt"
	"strings"
)

// tree is a summary's builds as the summary shows them: each downstream
// build below the build that started it, depth first, and the build that
// really failed.
type tree struct {
	rows []row
	// own are the step's own builds, in order.
	own []BuildSummary
	// culprit is the row of the downstream build that really failed (as
	// Summary.Failed names it), and of is the row of the build of the
	// step's own at the top of its tree; both -1 when there is none.
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
// failed is the URL of the build that really failed.
func nest(builds []BuildSummary, failed string) tree {
	byURL := make(map[string]int, len(builds))
	for i, bs := range builds {
		if _, dup := byURL[bs.URL]; bs.URL != "" && !dup {
			byURL[bs.URL] = i
		}
	}
	children := make([][]int, len(builds))
	parent := make([]int, len(builds)) // -1: not started by a build in the summary
	for i, bs := range builds {
		parent[i] = -1
		if p, ok := byURL[bs.Upstream]; bs.Upstream != "" && ok && p != i {
			children[p] = append(children[p], i)
			parent[i] = p
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
			if !placed[i] && (loops || parent[i] < 0) {
				place(i, 0, -1)
			}
		}
	}
	t.findCulprit(failed)
	return t
}

// findCulprit places the build that really failed, as the step decided
// it: a downstream build heads the summary, below the build of the step's
// own at the top of its tree; a build of the step's own does not.
func (t *tree) findCulprit(failed string) {
	if failed == "" {
		return
	}
	for i, r := range t.rows {
		if r.URL != failed || r.own() {
			continue
		}
		top := i
		for t.rows[top].parent >= 0 {
			top = t.rows[top].parent
		}
		if t.rows[top].own() {
			t.culprit, t.of = i, top
		}
		return
	}
}

// own reports whether the row is a build of the step's own.
func (r row) own() bool { return r.depth == 0 && r.Upstream == "" }

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
