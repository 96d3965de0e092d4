package flow

// presentation is how the step shows its set of builds. A step of one
// build speaks as that build; a step of several names each build it speaks
// of. Every such choice is made here, once, from the set, and read where
// it is needed.
type presentation struct {
	// label marks each build's lines and console with the build.
	label bool
	// early writes a build's own outputs (queue_url, build_number,
	// build_url) as soon as they are known; with several builds, which one
	// they describe is known only at the end.
	early bool
	// warnErrs warns, as a build ends, why Jenkins could not be used for
	// it; one build's error is the step's, which its caller reports.
	warnErrs bool
	// tally ends the step with a line of how many builds ended how.
	tally bool
	// mergeTests writes every build's suites to the JUnit file, each named
	// after its build; otherwise the file is the build's report as Jenkins
	// has it, and a build without one is told so.
	mergeTests bool
	// jobDirs puts each build's artifacts below artifacts_dir, in a
	// directory of its job's (and of its number when the step has another
	// build of the job).
	jobDirs bool
	// shareQueue reads the whole queue once for all the items waiting in
	// it, where one item is read on its own.
	shareQueue bool
	// beatEach makes the heartbeat say where each build stands; otherwise
	// it says how long the build has been running.
	beatEach bool
	// nameBuilds makes the step's last line name each build that did not
	// succeed; otherwise the build's verdict speaks for the step
	// (Outcome.NameBuilds).
	nameBuilds bool
}

// presentationOf is how a step shows its own builds: as several, or as its
// one build. The downstream builds its trackers add do not change it: they
// never decide the step, so a step of one job keeps speaking as its build
// (early outputs, unlabelled lines, artifacts and JUnit file as its own),
// and their lines are labelled wherever they appear.
func presentationOf(several bool) presentation {
	return presentation{
		label:      several,
		early:      !several,
		warnErrs:   several,
		tally:      several,
		mergeTests: several,
		jobDirs:    several,
		shareQueue: several,
		beatEach:   several,
		nameBuilds: several,
	}
}
