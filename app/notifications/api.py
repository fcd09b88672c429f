from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.core import realtime
from app.core.pagination import page_of, paginate
from app.extensions import db
from app.notifications import service
from app.notifications.schemas import (
    MarkedSchema,
    NotificationListArgsSchema,
    NotificationSchema,
    SystemMessageCreateSchema,
)

blp = Blueprint("notifications", __name__,
                description="A user's notifications: the same rows the websocket pushes")
# Registering the blueprint binds this app's Socket.IO server and starts the in-process
# scheduler where configured (create_app needs no edit for either).
blp.record_once(lambda state: _bind(state.app))


def _bind(app) -> None:
    from app.core import scheduler

    realtime.init_app(app)
    scheduler.init_app(app)


@blp.get("/notifications")
@login_required
@blp.arguments(NotificationListArgsSchema, location="query")
@blp.response(200, page_of(NotificationSchema))
def list_notifications(args):
    return paginate(service.list_stmt(current_user(), args), args)


@blp.post("/notifications/<int:notification_id>/read")
@login_required
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    notification = service.mark_read(current_user(), notification_id)
    db.session.commit()
    return notification


@blp.post("/notifications/read-all")
@login_required
@blp.response(200, MarkedSchema)
def mark_all_read():
    marked = service.mark_all_read(current_user())
    db.session.commit()
    return {"marked": marked}


@blp.post("/notifications/system-messages")
@login_required
@blp.arguments(SystemMessageCreateSchema)
@blp.response(201, NotificationSchema(many=True))
def send_system_message(data):
    sent = service.send_system_message(current_user(), data["user_ids"], data["text"])
    db.session.commit()
    return sent
