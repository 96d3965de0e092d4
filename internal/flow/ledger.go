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

func newOwnedLedger(saver backstop.Saver, rep report.Reporter) *ownedLedger {
	return &ownedLedger{saver: saver, report: rep}
}

// join adds a build, owned by no one yet.
func (l *ownedLedger) join() {
	l.mu.Lock()
	l.owned = append(l.owned, nil)
	l.mu.Unlock()
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

// slot is a run's place in its step: where it says how far its build got,
// for the outputs written as soon as they are known and the builds the
// post mode would stop.
type slot struct {
	i    int
	ends *ends
	owns *ownedLedger
}

// sent records a trigger about to be sent, that the step would stop.
func (s slot) sent(o backstop.Owned) { s.owns.set(s.i, o) }

// reached records what is now known of the build.
func (s slot) reached(p point, o BuildOutcome) {
	s.owns.update(s.i, func(own *backstop.Owned) { own.Queue, own.Build = o.Queue, o.Number })
	s.ends.reached(s.i, p, o)
}

// sent records a trigger about to be sent, at sentMS on Jenkins' clock.
func (r *run) sent(sentMS int64) {
	if r.opts.Policy.AbortsOnStop(true) {
		r.slot.sent(backstop.Owned{Job: r.job, SentMS: sentMS})
	}
}

// ended records that build i ended: nothing is left to stop.
func (l *ownedLedger) ended(i int, o BuildOutcome) {
	if o.Result != build.None && o.Result != build.Timeout {
		l.update(i, func(own *backstop.Owned) { own.Done = true })
	}
}
