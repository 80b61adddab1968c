"""The GitHub App's own setup: who the app is, and how a new operator gets one.

Owns the App's credentials on disk and in `.env` (`credentials`), the manifest flow's code
exchange (`registration`: GitHub's one-time code in, App id, webhook secret and key out) and the
development webhook proxy that forwards a smee.io channel to the local receiver
(`webhook_proxy`). Used by the receiver's `/setup` and by `iquest dev`; no job code lives here.
"""
