package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// withUsage wraps a verb's argument check so that a wrong number of arguments is reported with
// the verb, what is missing or extra, and its usage line, instead of cobra's bare "accepts 1
// arg(s), received 0". The longest prefix of the arguments that check accepts tells which ones
// are extra.
func withUsage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if check(cmd, args) == nil {
			return nil
		}
		for n := len(args) - 1; n >= 0; n-- {
			if check(cmd, args[:n]) == nil {
				return usageError(cmd, fmt.Sprintf("unexpected argument(s): %s", strings.Join(args[n:], " ")))
			}
		}
		return usageError(cmd, "missing "+placeholder(cmd.Use))
	}
}

// usageError is an exit-1 error naming the verb and the problem, followed by its usage line.
func usageError(cmd *cobra.Command, problem string) error {
	if cmd.HasParent() {
		problem = verbPath(cmd) + ": " + problem
	}
	return exitWith(ExitFailure, fmt.Errorf("%s\nUsage: %s", problem, cmd.UseLine()))
}

// placeholder is the first positional argument a Use line names ("NAME", from "stop [--dry-run]
// NAME", and from "logs [--job ID] NAME": ID is --job's value, not an argument), or "an
// argument" when it names none.
func placeholder(use string) string {
	words := strings.Fields(use)
	for i := 1; i < len(words); i++ {
		w := strings.Trim(words[i], "[].")
		if w == "" || strings.HasPrefix(w, "-") || strings.ToUpper(w) != w {
			continue
		}
		prev := words[i-1]
		if strings.HasPrefix(strings.TrimLeft(prev, "["), "-") && !strings.HasSuffix(prev, "]") {
			continue // a flag's value: "[--job ID]", "-s SIGNAL"
		}
		return w
	}
	return "an argument"
}

// verbPath names a verb without "heroctl": "stop", "completion bash".
func verbPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
