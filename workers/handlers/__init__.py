"""Job handlers: what a worker does for each job kind, over the GitHub port."""
