// Package spell suggests, for a name that matches nothing, the names it
// was most likely meant to be: a job in its folder, a parameter of a job.
package spell

import (
	"cmp"
	"slices"
	"strings"
)

// Nearest returns up to n of names that are close enough to name to be a
// likely typo of it, nearest first, ignoring case.
func Nearest(name string, names []string, n int) []string {
	limit := len([]rune(name))/3 + 2
	type scored struct {
		name string
		d    int
	}
	var near []scored
	for _, c := range names {
		if d := distance(strings.ToUpper(name), strings.ToUpper(c)); d < limit {
			near = append(near, scored{c, d})
		}
	}
	slices.SortStableFunc(near, func(a, b scored) int { return cmp.Compare(a.d, b.d) })
	out := make([]string, 0, min(n, len(near)))
	for _, s := range near[:min(n, len(near))] {
		out = append(out, s.name)
	}
	return out
}

// distance is the optimal string alignment distance between a and b, in
// runes: Levenshtein's, with two neighbours swapped counting as one typo.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
