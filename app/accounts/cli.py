import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.accounts import service
from app.accounts.models import Role
from app.directory.models import Hospital
from app.errors import DomainError
from app.extensions import db


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Display name, e.g. 张伟")
@click.option("--role", type=click.Choice([r.name for r in Role]), required=True)
@click.option("--hospital", "hospital_code", required=True, help="Hospital code, e.g. BJ-TIANTAN")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--locale", type=click.Choice(["zh-CN", "en"]), default="zh-CN")
@with_appcontext
def create_user(email, display_name, role, hospital_code, password, locale):
    """Create a user account."""
    hospital = db.session.scalar(sa.select(Hospital).where(Hospital.code == hospital_code))
    if hospital is None:
        raise click.BadParameter(f"no hospital with code {hospital_code}", param_hint="--hospital")
    try:
        user = service.create_user(email=email, display_name=display_name, role=Role[role],
                                   hospital_id=hospital.id, password=password, locale=locale)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    db.session.commit()
    click.echo(f"created user {user.id} {user.email} ({role}) at {hospital.name}")

commands = [create_user]
