package cli

import (
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/spf13/cobra"
)

func newSchema(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the calendar file, for editors",
		Long: `schema prints the JSON Schema (draft 2020-12) of the calendar file format. Save it
beside your calendar and start the file with

  # yaml-language-server: $schema=releasekit-calendar.schema.json

so that editors with the YAML language server (VS Code, Neovim, JetBrains, Helix)
complete keys and flag mistakes as you type. The schema checks the file's shape;
releasekit lint checks everything.

Exit status: 0 done.`,
		Example: `  releasekit schema > releasekit-calendar.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := a.env.Stdout.Write(calfile.Schema())
			return err
		},
	}
}
