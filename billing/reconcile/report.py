"""A run and its findings as plain data (``manage.py reconcile --json``)."""

from __future__ import annotations

from billing.models import ReconcileFinding, ReconcileRun


def finding_data(finding: ReconcileFinding) -> dict:
    fixes = list(finding.fixes.all())
    last = fixes[-1] if fixes else None
    return {
        "id": finding.pk,
        "provider": finding.provider,
        "kind": finding.kind,
        "subject": finding.subject_ref,
        "email": finding.email,
        "summary": finding.summary,
        "evidence": finding.evidence,
        "fix": finding.fix or None,
        "fixed": any(fix.succeeded for fix in fixes),
        "fix_result": last.result if last else None,
    }


def run_data(run: ReconcileRun) -> dict:
    return {
        "id": run.pk,
        "provider": run.provider,
        "status": run.status,
        "error": run.error,
        "checked": run.checked,
        "started_at": run.started_at.isoformat(),
        "findings": [finding_data(finding) for finding in run.findings.prefetch_related("fixes")],
    }
