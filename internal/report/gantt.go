package report

import (
	"fmt"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// Timeline is when a build was queued, started and ended, in Unix
// milliseconds on Jenkins' clock; 0 when unknown. A build that had not
// ended when the step did has Ended set to Jenkins' time then, and Running
// set.
type Timeline struct {
	Queued, Started, Ended int64
	Running                bool
}

// timeline draws the builds on one time axis, as a Mermaid gantt chart,
// which GitHub renders in a step summary: for each build a bar for its
// time in the queue, one for its building, and one for each of its stages.
// A section holds a build at the tree's top and, below its own bars, those
// of the builds it started at any depth, each named after its build.
// Builds of which nothing is known are left out, and with them all, the
// chart.
func (m *markdownWriter) timeline(rows []row) {
	var body strings.Builder
	for i := 0; i < len(rows); {
		top := rows[i].BuildSummary
		bars := m.bars(top, "")
		for i++; i < len(rows) && rows[i].depth > 0; i++ {
			bars = append(bars, m.bars(rows[i].BuildSummary, m.label(rows[i].BuildSummary)+": ")...)
		}
		if len(bars) == 0 {
			continue
		}
		fmt.Fprintf(&body, "    section %s\n", ganttText(m.label(top)))
		for _, line := range bars {
			body.WriteString("    " + line + "\n")
		}
	}
	if body.Len() == 0 {
		return
	}
	m.b.WriteString("\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %H:%M:%S\n")
	m.b.WriteString(body.String())
	m.b.WriteString("```\n")
}

// bars are a build's tasks in the chart, each name after prefix.
func (m *markdownWriter) bars(bs BuildSummary, prefix string) []string {
	t := bs.Timeline
	end := func(at int64) int64 {
		if at > 0 {
			return at
		}
		return t.Ended
	}
	var bars []string
	if t.Queued > 0 && end(t.Started) > t.Queued {
		bars = append(bars, bar(prefix+"in the queue", "done", t.Queued, end(t.Started)))
	}
	if t.Started > 0 && t.Ended > t.Started {
		bars = append(bars, bar(prefix+"building", buildTag(bs.Result, t.Running), t.Started, t.Ended))
	}
	for _, st := range bs.Stages {
		stop := st.StartMS + st.DurationMS
		if st.DurationMS <= 0 || !st.Status.Done() {
			stop = max(stop, t.Ended)
		}
		if st.StartMS > 0 && stop > st.StartMS {
			bars = append(bars, bar(prefix+m.mask(st.FullName()), stageTag(st.Status), st.StartMS, stop))
		}
	}
	return bars
}

// bar is one task of the chart: a name, a tag that colours it, its start
// and its end.
func bar(name, tag string, from, to int64) string {
	if tag != "" {
		tag += ", "
	}
	return fmt.Sprintf("%s :%s%d, %d", ganttText(name), tag, from, to)
}

// buildTag colours a build's bar by how it ended: crit for a result that
// fails the step, active while it still ran.
func buildTag(r build.Result, running bool) string {
	switch {
	case running:
		return "active"
	case r == build.Success, r == build.Unstable:
		return "done"
	case r == build.None:
		return ""
	}
	return "crit"
}

func stageTag(s build.StageStatus) string {
	switch {
	case s.Failed():
		return "crit"
	case s.Done():
		return "done"
	case s == build.StageRunning, s == build.StagePaused:
		return "active"
	}
	return ""
}

// ganttEntities escape what Mermaid's gantt grammar takes for its own in a
// section or task name: ':' starts a task's data, ';' ends a statement,
// '#' an entity and '%' a comment; Mermaid reads its entity codes back.
// Line breaks would end the name.
var ganttEntities = strings.NewReplacer("#", "#35;", ":", "#58;", ";", "#59;", "%", "#37;", "\r", " ", "\n", " ")

func ganttText(s string) string { return ganttEntities.Replace(s) }
