"""Exit with a clear message when the port for `make run` is already taken."""

import socket
import sys


def main() -> int:
    port = int(sys.argv[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            sys.stderr.write(
                f"Port {port} on 127.0.0.1 is already in use: stop the other server "
                f"or choose another port, e.g. `make run PORT={port + 1}`.\n"
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
