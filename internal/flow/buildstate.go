package flow

import "context"

// buildTracker reads the build's state: on every tick but the first when
// no console is followed (the build was just read), and otherwise when the
// console asks.
type buildTracker struct {
	subject
	client    buildReader
	everyTick bool
	polled    bool
}

func newBuildTracker(w watch) tracker {
	return &buildTracker{subject: w.subject, client: w.client, everyTick: !w.policy.Log}
}

func (b *buildTracker) poll(ctx context.Context, v view) (view, error) {
	first := !b.polled
	b.polled = true
	if v.build.Finished() || !b.everyTick && !v.readBuild || b.everyTick && first {
		return v, nil
	}
	read, err := b.client.Build(ctx, b.job, b.number)
	if err != nil {
		return v, err
	}
	v.build, v.fresh = read, true
	return v, nil
}

func (*buildTracker) drained(v view) bool { return v.build.Finished() }

func (*buildTracker) close(_ context.Context, v view) view { return v }
