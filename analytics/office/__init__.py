"""The office's lists and follow-up: 表扬/约谈 by rule (lists.py), 督办 of stalled projects (supervision.py)."""
