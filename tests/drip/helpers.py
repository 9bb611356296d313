from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_concurrently(func: Callable[[], object], *, times: int) -> tuple[list, list[BaseException]]:
    """Start ``times`` threads at once (a barrier), each with its own connection."""
    barrier = threading.Barrier(times)
    results: list = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(func())
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
