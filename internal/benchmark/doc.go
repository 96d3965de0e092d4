// Package benchmark measures how jenkins-trigger follows a build: how many
// requests and bytes it costs Jenkins, how many connections it opens, how
// late it notices that a build finished, how late console lines appear,
// and how much memory the process needs for a huge console. It compares
// the figures with a fixed-interval poller like the tools it replaces.
//
// Everything lives in its tests and benchmarks: TestFollowFigures and
// TestSeveralFigures run in synctest bubbles and, with -figures, log the
// tables docs/performance.md shows; the Benchmark functions run on the
// wall clock.
package benchmark
