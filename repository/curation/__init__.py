"""Curation: the review workflow and accounts administration.

``workflow`` (the owner's transitions and the state diagram), ``decisions`` (queue, claim,
comments, decisions), ``version_files`` (files of the working version), ``signing`` (signed
approvals), ``versions`` (the versions and how the public row follows them), ``attempts`` (the
audit of steps and refusals), ``accounts``, ``integrity``, ``views``. Who may see what, a
curator's scope included, is :mod:`repository.policy`.
"""
