"""Intake: from a GitHub delivery (or a `/repair` request) to a job on a queue.

Shared by the receiver (`service/`) and the worker. Owns the trigger rules routed on typed
(event, action) pairs (`triggers`), the `/iquest` command grammar (`commands`), the typed job
records (`jobs`), the durable enqueue that dedupes a delivery and queues its job in one Lua
script (`enqueue`), which Redis list each job kind goes to (`queues`), the repository's
`.github/iquest.yml` settings (`repo_config`) and its folders' `.iquest.yml` files
(`dir_config`), `/repair` requests and results in Redis
(`repair_store`), and what the bot says on GitHub with its hidden markers (`messages`).
In: webhook payloads, request bodies, YAML. Out: `Job` records and queued messages. It imports
no pipeline stage, no handler and no GitHub or model client.
"""
