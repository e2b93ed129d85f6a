"""What Rasa loads into its own process: the red-flag NLU component, the override policy
and the channels. Each is a thin adapter over `dvt_triage`."""
