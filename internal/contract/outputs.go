package contract

// The step outputs, by name.
const (
	OutputQueueURL    = "queue_url"
	OutputBuildNumber = "build_number"
	OutputBuildURL    = "build_url"
	OutputResult      = "result"
	OutputDurationMS  = "duration_ms"
	OutputFailedStage = "failed_stage"
	OutputBuilds      = "builds"
	OutputFailedBuild = "failed_build_url"
	OutputFailedJob   = "failed_job"
)

// Outputs are every step output, in the order users read them.
var Outputs = []Output{
	{Name: OutputQueueURL, Description: "URL of the queue item, under the configured url", Text: Text{None: true}},
	{Name: OutputBuildNumber, Description: "the build's number", Text: Text{None: true}},
	{Name: OutputBuildURL, Description: "URL of the build, under the configured url (not under Jenkins' own configured root URL, which the runner may not reach)", Text: Text{None: true}},
	{Name: OutputResult, Description: "SUCCESS, UNSTABLE, FAILURE, ABORTED, NOT_BUILT; or CANCELLED (the queue item was cancelled), TIMEOUT (gave up waiting)", Text: Text{None: true}},
	{Name: OutputDurationMS, Description: "the build's duration as Jenkins reports it", Text: Text{None: true}},
	{Name: OutputFailedStage, Description: "for a Pipeline build, the name of the first stage that ended FAILED, UNSTABLE or ABORTED; empty otherwise"},
	{Name: OutputBuilds, Description: `one line of JSON: an array with an object per build, in the order of job (or follow), then the downstream builds in the order they appeared: {"job", "queue_url", "build_number", "build_url", "result", "duration_ms", "failed_stage", "upstream"}, each as far as it is known (numbers as JSON numbers, unknown ones null; upstream is the build_url of the build that started it, null for the step's own). Written for one job too, and rewritten as builds are learnt.`, Text: Text{Fields: []string{"job", "failed_stage"}}},
	{Name: OutputFailedBuild, Description: "the URL of the build that really failed: the deepest failed downstream build of a failed build, else the failed build itself; empty when nothing failed", Text: Text{None: true}},
	{Name: OutputFailedJob, Description: "that build's job full name"},
}
