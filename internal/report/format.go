package report

import (
	"fmt"
	"strings"
	"time"
)

// Elapsed is a duration Jenkins gives in milliseconds, as people read it:
// to the tenth of a second under a minute ("2.5s"), as Rough above ("5m",
// "3m10s").
func Elapsed(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d >= time.Minute {
		return Rough(d)
	}
	return d.Round(100 * time.Millisecond).String()
}

// Rough is d to the second, without trailing zero units: "5m", "2m10s",
// "1h".
func Rough(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Count says how many builds ended each way, the ways in the order they
// first appear: "3 builds: 2 SUCCESS, 1 FAILURE".
func Count(ends []string) string {
	var order []string
	n := map[string]int{}
	for _, e := range ends {
		if n[e] == 0 {
			order = append(order, e)
		}
		n[e]++
	}
	parts := make([]string, len(order))
	for i, e := range order {
		parts[i] = fmt.Sprintf("%d %s", n[e], e)
	}
	return fmt.Sprintf("%d builds: %s", len(ends), strings.Join(parts, ", "))
}

// Plural is n of word, with an s when n is not one: "1 build", "3 builds".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
