package main

import "github.com/spf13/cobra"

// STUB: replaced by the compat command.
func newCompatCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "compat BASE HEAD", Short: "Fail on backward-incompatible contract changes", Hidden: true}
}
