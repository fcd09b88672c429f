"""The extension objects, created once and bound to the app in create_app()."""

from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy

from app.core.db import Base
from app.errors import HuizhenApi

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = HuizhenApi()
# threading mode + simple-websocket: works under `flask run` and gunicorn's gthread worker.
socketio = SocketIO()
