"""The commands, one module each (check, audit, diff, plan, merge, inventory, rules): each reads its input,
runs the engines, joins the evaluations into findings and returns a Report (or records) to the CLI, which
only parses arguments and renders. `deliver` holds what every report command does after the run
(baseline, --since, Security Hub, notifications)."""
