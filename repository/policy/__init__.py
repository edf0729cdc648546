"""Who may see and do what: the rules the material and curation packages both read.

Below both (it imports models only, never a service or a store), so ``repository.material`` can
apply visibility without importing ``repository.curation``, which builds the review workflow on
the material package. :mod:`repository.policy.scope` is a curator's scope,
:mod:`repository.policy.visibility` the visibility rule (as SQL and in Python) and the privileged
roles around one material.
"""
