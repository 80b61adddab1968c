"""Publish: a computed fix (`FixProposal`) posted where people work, through the GitHub port.

In: the proposal and the target (issue, pull request, review thread, the app's own PR).
Out: a draft PR on `iquest/issue-N` (`draft_pr`); one suggestions review, a stacked draft PR or
a patch comment for a PR (`pull`, with `suggestions` deciding what fits); one reply in a review
thread (`thread`); a fast-forward follow-up commit with replies per thread (`followup`); and
what the status says about CI follow-ups (`ci_status`).
"""

from workers.pipeline.publish.draft_pr import PublishRefused, publish_draft_pr
from workers.pipeline.publish.followup import answer_threads, push_followup
from workers.pipeline.publish.pull import post_suggestions, publish_stacked_pr
from workers.pipeline.publish.suggestions import plan_suggestions, suggest_within
from workers.pipeline.publish.thread import reply_in_thread

__all__ = [
    "PublishRefused",
    "answer_threads",
    "plan_suggestions",
    "post_suggestions",
    "publish_draft_pr",
    "publish_stacked_pr",
    "push_followup",
    "reply_in_thread",
    "suggest_within",
]
