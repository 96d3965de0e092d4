package jenkinstest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The queue is a discrete-event simulation driven by the clock: advance
// applies, in time order and at their exact times, every transition due by
// now. Nothing runs in the background, so the answers depend only on the
// clock, never on how often a client polls.

type itemState int

const (
	stateWaiting   itemState = iota // in the quiet period
	stateBlocked                    // a build of a non-concurrent job runs
	stateBuildable                  // waiting for an executor
	stateLeft                       // started or cancelled
)

type queueItem struct {
	id      int
	job     *job
	params  []paramValue // nil when the job is not parameterized
	files   map[string]UploadedFile
	cause   cause
	trigger string // "build" or "buildWithParameters"
	script  Script

	entered        time.Time // inQueueSince
	due            time.Time // end of the quiet period
	state          itemState
	entry          int // orders the items of a state by when they entered it
	buildableSince time.Time
	left           time.Time
	cancelled      bool
	build          *build
}

// advance applies every transition due at or before now.
func (s *Server) advance(now time.Time) {
	for s.step(now) {
	}
	// Left items are appended in the order they leave, so the expired ones
	// are at the front.
	for len(s.left) > 0 && !now.Before(s.left[0].left.Add(s.opts.QueueItemTTL)) {
		delete(s.items, s.left[0].id)
		s.left = s.left[1:]
	}
}

// step applies the earliest transition due by now and reports whether there
// was one. Ties go to completions, then build starts, then queue items in
// queue order, which keeps runs deterministic.
func (s *Server) step(now time.Time) bool {
	var (
		at    time.Time
		apply func(time.Time)
	)
	consider := func(t time.Time, f func(time.Time)) {
		if !t.After(now) && (apply == nil || t.Before(at)) {
			at, apply = t, f
		}
	}
	for _, b := range s.running {
		consider(b.completeAt(), func(time.Time) { s.running = remove(s.running, b) })
	}
	for _, it := range s.starting {
		consider(it.left.Add(it.script.StartRace), func(t time.Time) { s.startBuild(it, t) })
	}
	s.considerDownstream(consider)
	for _, it := range s.queue {
		if it.script.CancelAfter > 0 {
			consider(it.entered.Add(it.script.CancelAfter), func(t time.Time) { s.cancel(it, t) })
		}
		switch it.state {
		case stateWaiting:
			consider(it.due, func(t time.Time) { s.enter(it, stateBuildable, t) })
		case stateBuildable:
			consider(it.buildableSince.Add(it.script.QueueWait), func(t time.Time) { s.leave(it, t) })
		}
	}
	if apply == nil {
		return false
	}
	apply(at)
	s.reblock(at)
	return true
}

func remove[T comparable](list []T, v T) []T {
	if i := slices.Index(list, v); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}

// reblock re-evaluates which items of non-concurrent jobs must wait for a
// running build.
func (s *Server) reblock(t time.Time) {
	for _, it := range s.queue {
		blocked := s.blocker(it) != nil
		switch {
		case it.state == stateBuildable && blocked:
			s.enter(it, stateBlocked, t)
		case it.state == stateBlocked && !blocked:
			s.enter(it, stateBuildable, t)
		}
	}
}

// enter moves a queued item into the blocked or buildable state at t. Like
// Jenkins' blockedProjects and buildables lists, which an item joins at the
// end, the items of a state keep the order they entered it in.
func (s *Server) enter(it *queueItem, st itemState, t time.Time) {
	s.entries++
	it.state, it.entry = st, s.entries
	if st == stateBuildable {
		it.buildableSince = t
	}
}

// blocker returns what blocks it: the job's running build, or an item of the
// job that is starting (a build with no number yet); nil if nothing does.
func (s *Server) blocker(it *queueItem) any {
	if it.job.spec.Concurrent {
		return nil
	}
	for _, b := range s.running {
		if b.job == it.job {
			return b
		}
	}
	for _, o := range s.starting {
		if o.job == it.job {
			return o
		}
	}
	return nil
}

// leave hands the item to an executor: it becomes a LeftItem whose build
// appears StartRace later (or never).
func (s *Server) leave(it *queueItem, t time.Time) {
	s.queue = remove(s.queue, it)
	it.state, it.left = stateLeft, t
	s.left = append(s.left, it)
	if !it.script.NeverStarts {
		s.starting = append(s.starting, it)
	}
}

// startBuild creates the item's build. A job disabled or deleted meanwhile
// gets none, and its LeftItem keeps executable:null for good.
func (s *Server) startBuild(it *queueItem, t time.Time) {
	s.starting = remove(s.starting, it)
	j := it.job
	if !j.buildable() {
		return
	}
	b := newBuild(j, j.nextNumber, it, t)
	j.nextNumber++
	j.builds = append(j.builds, b)
	it.build = b
	s.running = append(s.running, b)
}

// cancel turns a queued item into a cancelled LeftItem.
func (s *Server) cancel(it *queueItem, t time.Time) {
	s.queue = remove(s.queue, it)
	it.state, it.left, it.cancelled = stateLeft, t, true
	s.left = append(s.left, it)
}

// queueOf returns the job's queued items (not yet left).
func (s *Server) queueOf(j *job) []*queueItem {
	var out []*queueItem
	for _, it := range s.queue {
		if it.job == j {
			out = append(out, it)
		}
	}
	return out
}

// enqueue schedules a build like Queue.schedule2: an item of the same job
// with the same parameters that has not left the queue absorbs the request
// (its quiet period can only get shorter). It reports whether the item is new.
func (s *Server) enqueue(j *job, params []paramValue, files map[string]UploadedFile, c cause, trigger string, delay *time.Duration, now time.Time) (*queueItem, bool) {
	script := defaultScript()
	if j.spec.Script != nil {
		script = j.spec.Script(paramMap(params))
	}
	quiet := script.QuietPeriod
	if delay != nil {
		quiet = *delay
	}
	due := now.Add(max(quiet, 0))
	for _, it := range s.queueOf(j) {
		if sameParams(it, params, files) {
			if it.state == stateWaiting && due.Before(it.due) {
				it.due = due
			}
			s.advance(now)
			return it, false
		}
	}
	s.lastID++
	it := &queueItem{
		id: s.lastID, job: j, params: params, files: files, cause: c, trigger: trigger,
		script: script, entered: now, due: due,
	}
	s.items[it.id] = it
	s.queue = append(s.queue, it)
	s.advance(now)
	return it, true
}

// sameParams is ParametersAction.shouldSchedule: items merge when their
// parameter value sets are equal (uploads compared by name and content).
func sameParams(it *queueItem, params []paramValue, files map[string]UploadedFile) bool {
	if len(it.params) != len(params) || len(it.files) != len(files) {
		return false
	}
	for _, p := range params {
		if !slices.ContainsFunc(it.params, func(q paramValue) bool { return q.def.Name == p.def.Name && q.value == p.value }) {
			return false
		}
	}
	for name, f := range files {
		g, ok := it.files[name]
		if !ok || g.SHA256 != f.SHA256 || g.Filename != f.Filename {
			return false
		}
	}
	return true
}

// item returns a readable queue item by id.
func (s *Server) item(id int, rq *request) *queueItem {
	it := s.items[id]
	if it == nil || !it.job.visibleTo(rq.c) {
		return nil
	}
	return it
}

// CancelQueueItem cancels a queued item as a user would in the UI and
// reports whether it was still queued.
func (s *Server) CancelQueueItem(id int) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	it := s.items[id]
	if it == nil || it.state == stateLeft {
		return false
	}
	s.cancel(it, now)
	return true
}

func (s *Server) routeQueue(rq *request) *response {
	segs := rq.segs
	switch {
	case isPath(segs, "queue", "cancelItem"):
		return s.cancelItem(rq)
	case isPath(segs, "queue", "api", "json"):
		return s.jsonResponse(rq.r, s.queueJSON(rq))
	case len(segs) < 3 || segs[1] != "item":
		return notFound()
	}
	id, err := strconv.Atoi(segs[2])
	if err != nil {
		return notFound()
	}
	it := s.item(id, rq)
	if it == nil {
		return notFound()
	}
	switch rest := segs[3:]; {
	case isPath(rest, "api", "json"):
		return s.jsonResponse(rq.r, s.itemJSON(rq, it))
	case len(rest) == 0:
		if s.opts.Legacy { // Queue.Item had no index page before 2.470
			return notFound()
		}
		if !rq.trailing {
			return objectPage(rq, "")
		}
		return textResponse(http.StatusOK, fmt.Sprintf(
			"Queue item exists. For details check, for example, %s/queue/item/%d/api/json?tree=cancelled,executable[url]", s.ctx, id))
	}
	return notFound()
}

// queueJSON is hudson.model.Queue as exported. Its items and
// discoverableItems are @Exported(inline=true), so at depth 0 each item
// shows its own fields, as /queue/item/N/api/json does, and its task the
// nested {name,url,color}.
func (s *Server) queueJSON(rq *request) *jobj {
	items := []any{}
	for _, it := range s.listing(rq.c) {
		items = append(items, s.itemJSON(rq, it))
	}
	return newObj("hudson.model.Queue").
		addInline("discoverableItems", []any{}). // DISCOVER is not modelled
		addInline("items", items)
}

// listing is Queue.getItems: the items still queued whose job the caller
// may read, waiting ones by due time then id (WaitingItem.compareTo), then
// the blocked ones, then the buildable ones, newest first, since Jenkins
// walks its buildables list in reverse. Left and cancelled items are gone.
func (s *Server) listing(c caller) []*queueItem {
	var waiting, blocked, buildable []*queueItem
	for _, it := range s.queue {
		if !it.job.visibleTo(c) {
			continue
		}
		switch it.state {
		case stateWaiting:
			waiting = append(waiting, it)
		case stateBlocked:
			blocked = append(blocked, it)
		case stateBuildable:
			buildable = append(buildable, it)
		}
	}
	slices.SortFunc(waiting, func(a, b *queueItem) int { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.id, b.id)) })
	slices.SortFunc(blocked, func(a, b *queueItem) int { return cmp.Compare(a.entry, b.entry) })
	slices.SortFunc(buildable, func(a, b *queueItem) int { return cmp.Compare(b.entry, a.entry) })
	return slices.Concat(waiting, blocked, buildable)
}

// cancelItem is Queue.doCancelItem: 204, 404 unknown, 422 not permitted,
// 500 when the item already left the queue.
func (s *Server) cancelItem(rq *request) *response {
	if rq.r.Method != http.MethodPost {
		return methodNotAllowed()
	}
	idText := rq.form.first("id")
	id, _ := strconv.Atoi(idText)
	it := s.item(id, rq)
	if it == nil {
		return textResponse(http.StatusNotFound, fmt.Sprintf("Provided id (%s) not found", idText))
	}
	if !s.canBuild(rq.c) {
		return textResponse(http.StatusUnprocessableEntity, fmt.Sprintf("Item for id (%d) is not cancellable", id))
	}
	if it.state == stateLeft {
		return textResponse(http.StatusInternalServerError, fmt.Sprintf("Could not cancel run for id %d", id))
	}
	s.cancel(it, rq.now)
	return emptyResponse(http.StatusNoContent, "")
}

// itemJSON is a Queue.Item as exported.
func (s *Server) itemJSON(rq *request, it *queueItem) *jobj {
	now := rq.now
	classes := map[itemState]string{
		stateWaiting: "hudson.model.Queue$WaitingItem", stateBlocked: "hudson.model.Queue$BlockedItem",
		stateBuildable: "hudson.model.Queue$BuildableItem", stateLeft: "hudson.model.Queue$LeftItem",
	}
	var why any
	switch it.state {
	case stateWaiting:
		why = "In the quiet period. Expires in " + timeSpan(it.due.Sub(now))
	case stateBlocked:
		why = s.blockedWhy(it, now)
	case stateBuildable:
		why = "Waiting for next available executor on ‘linux’"
	}
	o := newObj(classes[it.state]).
		add("actions", it.actions()).
		add("blocked", it.state == stateBlocked).
		add("buildable", it.state == stateBuildable).
		add("id", it.id).
		add("inQueueSince", ms(it.entered)).
		add("params", it.paramsText()).
		add("stuck", it.state == stateBuildable && it.stuck(now)).
		add("task", s.jobRef(rq, it.job)).
		add("url", "queue/item/"+strconv.Itoa(it.id)+"/").
		add("why", why)
	switch it.state {
	case stateWaiting:
		o.add("timestamp", ms(it.due))
	case stateBlocked:
		o.add("buildableStartMilliseconds", ms(it.due))
	case stateBuildable:
		o.add("buildableStartMilliseconds", ms(it.buildableSince)).add("pending", false)
	case stateLeft:
		var exe any
		if it.build != nil {
			exe = s.buildJSON(rq, it.build)
		}
		o.add("cancelled", it.cancelled).add("executable", exe)
	}
	return o
}

// stuck is BuildableItem.isStuck: waiting more than ten estimated durations
// (at least a minute each), or a day without an estimate.
func (it *queueItem) stuck(now time.Time) bool {
	limit := 24 * time.Hour
	if est := it.script.EstimatedDuration; est > 0 {
		limit = 10 * max(est, time.Minute)
	}
	return now.Sub(it.buildableSince) > limit
}

func (s *Server) blockedWhy(it *queueItem, now time.Time) string {
	switch b := s.blocker(it).(type) {
	case *build:
		eta := "N/A"
		if est := b.script.EstimatedDuration; est > 0 {
			eta = timeSpan(max(b.start.Add(est).Sub(now), 0))
		}
		return fmt.Sprintf("Build #%d is already in progress (ETA: %s)", b.number, eta)
	case *queueItem:
		return fmt.Sprintf("Build #%d is already in progress (ETA: N/A)", it.job.nextNumber)
	}
	return "Finished waiting"
}

// paramsText is Queue.Item.getParams: "\nNAME=value" per parameter.
func (it *queueItem) paramsText() string {
	var b strings.Builder
	for _, p := range it.params {
		b.WriteString("\n" + p.shortDescription())
	}
	return b.String()
}

func (it *queueItem) actions() []any {
	var out []any
	if it.params != nil {
		out = append(out, parametersAction(it.params))
	}
	return append(out, it.cause.action())
}

// timeSpan is hudson.Util.getTimeSpanString.
func timeSpan(d time.Duration) string {
	msTotal := d.Milliseconds()
	h, m, sec := msTotal/3_600_000, msTotal/60_000%60, msTotal/1000%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d hr %d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %d sec", m, sec)
	case sec >= 10:
		return fmt.Sprintf("%d sec", sec)
	case sec >= 1:
		return fmt.Sprintf("%.1f sec", float64(msTotal)/1000)
	}
	return fmt.Sprintf("%d ms", msTotal)
}
