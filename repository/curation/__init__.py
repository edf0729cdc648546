"""Curation: the review workflow, versions, curator scope, accounts administration."""
