package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// Set at build time: -ldflags "-X <module>/internal/cli.version=v1.2.3
// -X <module>/internal/cli.commit=abc123".
var (
	version string
	commit  string
)

// versionString is the release version, or the module's when built with go
// install, or "dev".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func commitString() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func versionLine() string {
	return fmt.Sprintf("jenkins-trigger %s (commit %s, %s)", versionString(), commitString(), runtime.Version())
}

// writeHelp prints usage generated from the same definitions the
// configuration, the reporter and the exit codes use.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, `jenkins-trigger triggers a Jenkins job, follows it to its result while
streaming its console, and reports the result as outputs and exit code.

Usage:
  jenkins-trigger            run, reading the inputs below from the environment
  jenkins-trigger post       after a killed run, with the same inputs: stop
                             the builds it triggered and left running
  jenkins-trigger --demo     run against a built-in fake Jenkins
  jenkins-trigger --version  print the version
  jenkins-trigger --help     print this help

Inputs (on GitHub INPUT_<NAME> wins over JENKINS_<NAME> when non-empty):
`)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, in := range contract.Inputs {
		def := in.Default
		if in.DefaultDoc != "" {
			def = in.DefaultDoc
		}
		if in.Required {
			def = "required"
		}
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", in.Name, in.Env(), def, firstSentence(in.Description))
	}
	tw.Flush()
	fmt.Fprint(w, "\nOutputs (GitHub step outputs; JENKINS_<NAME> in the dotenv file):\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, o := range contract.Outputs {
		fmt.Fprintf(tw, "  %s\t%s\n", o.Name, o.Description)
	}
	tw.Flush()
	fmt.Fprint(w, "\nExit codes:\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, c := range ExitCodes {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Code, firstSentence(c.Meaning))
	}
	tw.Flush()
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
