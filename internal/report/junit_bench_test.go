package report

import (
	"fmt"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// BenchmarkJUnitXML renders a large report: 10,000 tests, 1% of them failed
// with a 2 KB stack trace each.
func BenchmarkJUnitXML(b *testing.B) {
	cases := make([]build.TestCase, 10_000)
	trace := fmt.Sprintf("%2048s", "at com.example.Deep.call(Deep.java:1)\n")
	for i := range cases {
		cases[i] = build.TestCase{ClassName: fmt.Sprintf("com.example.T%03d", i/100), Name: fmt.Sprintf("test%d", i), Status: build.TestPassed, Duration: 0.01}
		if i%100 == 0 {
			cases[i].Status, cases[i].ErrorDetails, cases[i].ErrorStackTrace = build.TestFailed, "boom", trace
		}
	}
	run := &build.TestRun{Suites: []build.TestSuite{{Name: "all", Cases: cases}}}
	masks := &masker{}
	masks.add("11tok3n5ecr3tf0rt3st1ngonly00000000")
	b.ReportAllocs()
	for b.Loop() {
		data, err := junitXML("deploy #1", run, masks.apply)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
	}
}
