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
)

// Outputs are every step output, in the order users read them.
var Outputs = []Output{
	{OutputQueueURL, "URL of the queue item, under the configured url"},
	{OutputBuildNumber, "the build's number"},
	{OutputBuildURL, "URL of the build, under the configured url (not under Jenkins' own configured root URL, which the runner may not reach)"},
	{OutputResult, "SUCCESS, UNSTABLE, FAILURE, ABORTED, NOT_BUILT; or CANCELLED (the queue item was cancelled), TIMEOUT (gave up waiting)"},
	{OutputDurationMS, "the build's duration as Jenkins reports it"},
	{OutputFailedStage, "for a Pipeline build, the name of the first stage that ended FAILED, UNSTABLE or ABORTED; empty otherwise"},
	{OutputBuilds, `one line of JSON: an array with an object per build, in the order of job (or follow): {"job", "queue_url", "build_number", "build_url", "result", "duration_ms", "failed_stage"}, each as far as it is known (numbers as JSON numbers, unknown ones null). Written for one job too.`},
}
