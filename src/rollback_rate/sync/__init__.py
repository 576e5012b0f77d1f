"""Sync jobs: reconcile the ledger with an external system's current state.

Unlike the pure source adapters, a sync job talks to the outside world (a registry's
REST API) and to the ledger; it runs on a schedule beside the webhooks, so that a
delivery that never arrived is not missed for good.
"""
