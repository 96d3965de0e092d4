package benchmark

import (
	"errors"
	"flag"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkRealTime follows the first scenario, the 20 s build, on the wall
// clock on both sides, all variants and both followers at once: it takes
// about half a minute and confirms the figures of the synctest bubbles. It runs
// only when -bench names it, never with -bench . alone.
func BenchmarkRealTime(b *testing.B) {
	if !strings.Contains(flag.Lookup("test.bench").Value.String(), "RealTime") {
		b.Skip("takes half a minute of wall time; select it with -bench RealTime")
	}
	sc := scenarios[0]
	var rows []summary
	for range b.N {
		runs := make([][]figures, len(followers))
		errs := make([]error, len(followers)*variants)
		var wg sync.WaitGroup
		for i, fl := range followers {
			runs[i] = make([]figures, variants)
			for v := range variants {
				wg.Go(func() {
					// Staggered as in the bubbles, so that the variants
					// meet Date's seconds at different phases.
					time.Sleep(phase(v))
					runs[i][v], errs[i*variants+v] = measure(b, nil, sc.script(v), sc.kind, fl.follow(nil))
				})
			}
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
		for i, fl := range followers {
			rows = append(rows, summarize(sc.name+", wall clock", fl.name, runs[i]))
		}
	}
	rows[0].report(b)
	b.Log("\n" + table(rows))
}
