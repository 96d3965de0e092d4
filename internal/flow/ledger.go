package flow

import (
	"sync"

	"github.com/jenkins-trigger/jenkins-trigger/internal/backstop"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// ownedLedger saves the builds the step owns and would stop on a stop, as each
// is learnt, where the post mode finds them if the step is killed: from
// the moment its trigger is sent to the moment it ends.
type ownedLedger struct {
	mu     sync.Mutex
	saver  backstop.Saver // nil: nowhere to save
	owned  []*backstop.Owned
	report report.Reporter
	failed bool // a save failed: said once
}

func newOwnedLedger(saver backstop.Saver, runs int, rep report.Reporter) *ownedLedger {
	return &ownedLedger{saver: saver, owned: make([]*backstop.Owned, runs), report: rep}
}

// update changes the record of run i, which set creates; a run the ledger
// does not keep is left out.
func (l *ownedLedger) update(i int, change func(*backstop.Owned)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.saver == nil || l.owned[i] == nil {
		return
	}
	change(l.owned[i])
	l.save()
}

// set starts the record of run i.
func (l *ownedLedger) set(i int, o backstop.Owned) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.saver == nil {
		return
	}
	l.owned[i] = &o
	l.save()
}

func (l *ownedLedger) save() {
	rec := backstop.Record{Builds: []backstop.Owned{}}
	for _, o := range l.owned {
		if o != nil {
			rec.Builds = append(rec.Builds, *o)
		}
	}
	if err := l.saver.Save(rec); err != nil && !l.failed {
		l.failed = true
		l.report.Warning("%v: a runner that kills this step cannot stop its builds", err)
	}
}

// sent records a trigger about to be sent, at sentMS on Jenkins' clock.
func (r *run) sent(sentMS int64) {
	if r.opts.Policy.AbortsOnStop(true) {
		r.owns.set(r.index, backstop.Owned{Job: r.job, SentMS: sentMS})
	}
}

// learnt records what is now known of the run's build.
func (r *run) learnt() {
	r.owns.update(r.index, func(o *backstop.Owned) { o.Queue, o.Build = r.queue, r.number })
}

// ended records that the run's build ended: nothing is left to stop.
func (r *run) ended(o BuildOutcome) {
	if o.Result != build.None && o.Result != build.Timeout {
		r.owns.update(r.index, func(own *backstop.Owned) { own.Done = true })
	}
}
