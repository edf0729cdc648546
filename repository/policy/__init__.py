"""Who may see and do what: the rules the material and curation packages both read.

Below both (it imports models and SQL helpers only, never a service or a store), so
``repository.material`` can apply visibility without importing ``repository.curation``, which
builds the review workflow on the material package. :mod:`repository.policy.roles` is the rank
of roles, :mod:`repository.policy.scope` a curator's scope, :mod:`repository.policy.visibility`
the visibility rule (as SQL and in Python) and who is privileged on one material.
"""
