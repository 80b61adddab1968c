"""What the bot writes on GitHub, as Markdown templates: status comments, PR bodies, receipts,
refusals, help. Data only; rendered by `workers/intake/messages.py`, the handlers and publish."""
