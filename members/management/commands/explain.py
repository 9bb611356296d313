"""``manage.py explain EMAIL (PRODUCT_SLUG | --lesson ID) [--json]``: why a member can or cannot
see a product or a lesson, rule by rule, with the audit row behind each value."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.explain import Explanation, explain_lesson, explain_product
from members.support import SupportError, member_by_email, product_by_slug
from products.models import Lesson


class Command(BaseCommand):
    help = "Explain why a member can or cannot see a product or a lesson, rule by rule."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("product_slug", nargs="?")
        parser.add_argument("--lesson", type=int, help="a lesson id instead of a product")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="machine-readable output"
        )

    def handle(self, *args, email, product_slug, lesson, as_json, **options) -> None:
        if (product_slug is None) == (lesson is None):
            raise CommandError("give a product slug or --lesson ID (one of them)")
        now = timezone.now()
        try:
            member = member_by_email(email)
            if lesson is not None:
                explanation = explain_lesson(member=member, lesson=_lesson(lesson), now=now)
            else:
                product = product_by_slug(product_slug)
                explanation = explain_product(member=member, product=product, now=now)
        except SupportError as error:
            raise CommandError(str(error)) from None
        if as_json:
            self.stdout.write(json.dumps(explanation.as_dict(), indent=2))
        else:
            self._print(explanation)

    def _print(self, explanation: Explanation) -> None:
        target = explanation.product + (
            f" lesson {explanation.lesson}" if explanation.lesson else ""
        )
        self.stdout.write(f"{explanation.member} · {target} at {explanation.now}")
        for rule in explanation.rules:
            line = f"  {rule.rule}: {rule.value}"
            if rule.event:
                event = rule.event
                source = f", {event.provider_event}" if event.provider_event else ""
                who = f", by {event.actor}" if event.actor else ""
                reason = f" ({event.reason})" if event.reason else ""
                line += f"  ← {event.kind} {event.at}{reason}{who}{source}"
            self.stdout.write(line)
        self.stdout.write(f"  verdict: {explanation.verdict}")


def _lesson(pk: int) -> Lesson:
    lesson = Lesson.objects.select_related("module__product").filter(pk=pk).first()
    if lesson is None:
        raise SupportError(f"no lesson with id {pk}")
    return lesson
