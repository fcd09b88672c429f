"""One web process of a scale-out test: `python -m tests.notifications.serve_app`. Serves
the app on a free loopback port (printed as `PORT <n>`), with the message queue, channel,
database and secret from the environment."""

from __future__ import annotations

import os

from werkzeug.serving import make_server

from app import create_app


def main() -> None:
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
        SECRET_KEY=os.environ["SECRET_KEY"],
        SOCKETIO_MESSAGE_QUEUE=os.environ["SOCKETIO_MESSAGE_QUEUE"],
        SOCKETIO_CHANNEL=os.environ["SOCKETIO_CHANNEL"],
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
