"""``manage.py reconcile [--provider stripe|digistore24] [--fix] [--json]``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.models import ReconcileRun
from billing.reconcile.report import run_data
from billing.reconcile.services import PROVIDERS, providers_to_check, run_reconcile


class Command(BaseCommand):
    help = (
        "Compare our grants and subscriptions with the providers' state and report 'paid, no "
        "access' and 'access, not paying' with the evidence. Changes nothing unless --fix: "
        "then each difference is repaired by replaying the provider's state as its webhook "
        "event through the normal processing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--provider", choices=PROVIDERS, help="only this provider")
        parser.add_argument("--fix", action="store_true", help="repair what can be repaired")
        parser.add_argument("--json", action="store_true", dest="as_json", help="JSON output")

    def handle(self, *args, provider: str | None, fix: bool, as_json: bool, **options) -> None:
        now = timezone.now()
        providers = [provider] if provider else providers_to_check()
        runs = [run_reconcile(provider=name, now=now, fix=fix) for name in providers]
        data = [run_data(run) for run in runs]
        if as_json:
            self.stdout.write(json.dumps({"runs": data}, indent=2))
        else:
            for run in data:
                self._write_run(run)
        failed = [run.provider for run in runs if run.status == ReconcileRun.Status.FAILED]
        if failed:
            raise CommandError(f"reconcile failed for {', '.join(failed)} (see the error above)")

    def _write_run(self, run: dict) -> None:
        if run["status"] == ReconcileRun.Status.FAILED:
            self.stdout.write(self.style.ERROR(f"{run['provider']}: failed: {run['error']}"))
            return
        count = len(run["findings"])
        self.stdout.write(f"{run['provider']}: {run['checked']} checked, {count} finding(s)")
        for finding in run["findings"]:
            line = f"  [{finding['kind']}] {finding['subject']} {finding['email']}: "
            line += finding["summary"]
            if finding["fix_result"]:
                line += (
                    f" -> fixed: {finding['fix_result']}"
                    if finding["fixed"]
                    else (f" -> fix failed: {finding['fix_result']}")
                )
            self.stdout.write(line)
