package main

import "github.com/spf13/cobra"

// STUB: replaced by the gen command.
func newGenCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "gen", Short: "Generate Go clients and servers from contracts", Hidden: true}
}
