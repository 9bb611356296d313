"""Reconcile: compare our grants and subscriptions with the providers' state, report the
differences with their evidence, and repair them (only when asked) by replaying the provider's
state through the normal event processing."""
