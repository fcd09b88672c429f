from flask_smorest import Blueprint

from app.accounts import policy
from app.accounts.auth import current_user, login_required
from app.core.pagination import PageArgsSchema, page_of, paginate
from app.core.repo import get_or_404
from app.directory import service
from app.directory.models import ExpertProfile, Hospital
from app.directory.schemas import (
    ExpertCreateSchema,
    ExpertListArgsSchema,
    ExpertSchema,
    ExpertUpdateSchema,
    HospitalCreateSchema,
    HospitalListArgsSchema,
    HospitalSchema,
    HospitalUpdateSchema,
    PartnershipCreateSchema,
    PartnershipListArgsSchema,
    PartnershipSchema,
    PartnershipUpdateSchema,
    SpecialtySchema,
    SpecialtyUpdateSchema,
)
from app.extensions import db

blp = Blueprint("directory", __name__, description="Hospitals, specialties, partnerships, experts")


@blp.get("/hospitals")
@login_required
@blp.arguments(HospitalListArgsSchema, location="query")
@blp.response(200, page_of(HospitalSchema))
def list_hospitals(args):
    return paginate(service.list_hospitals_stmt(args), args)


@blp.post("/hospitals")
@login_required
@blp.arguments(HospitalCreateSchema)
@blp.response(201, HospitalSchema)
def create_hospital(data):
    hospital = service.create_hospital(current_user(), data)
    db.session.commit()
    return hospital


@blp.get("/hospitals/<int:hospital_id>")
@login_required
@blp.response(200, HospitalSchema)
def get_hospital(hospital_id):
    return get_or_404(Hospital, hospital_id, "Hospital")


@blp.patch("/hospitals/<int:hospital_id>")
@login_required
@blp.arguments(HospitalUpdateSchema)
@blp.response(200, HospitalSchema)
def update_hospital(changes, hospital_id):
    hospital = service.update_hospital(current_user(), hospital_id, changes)
    db.session.commit()
    return hospital


@blp.get("/specialties")
@login_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SpecialtySchema))
def list_specialties(args):
    return paginate(service.list_specialties_stmt(), args)


@blp.post("/specialties")
@login_required
@blp.arguments(SpecialtySchema)
@blp.response(201, SpecialtySchema)
def create_specialty(data):
    specialty = service.create_specialty(current_user(), data)
    db.session.commit()
    return specialty


@blp.patch("/specialties/<int:specialty_id>")
@login_required
@blp.arguments(SpecialtyUpdateSchema)
@blp.response(200, SpecialtySchema)
def update_specialty(changes, specialty_id):
    specialty = service.update_specialty(current_user(), specialty_id, changes)
    db.session.commit()
    return specialty


@blp.get("/partnerships")
@login_required
@blp.arguments(PartnershipListArgsSchema, location="query")
@blp.response(200, page_of(PartnershipSchema))
def list_partnerships(args):
    """Admins see all partnerships; others those their hospital is party to."""
    return paginate(service.list_partnerships_stmt(current_user(), args), args)


@blp.post("/partnerships")
@login_required
@blp.arguments(PartnershipCreateSchema)
@blp.response(201, PartnershipSchema)
def create_partnership(data):
    partnership = service.create_partnership(current_user(), data)
    db.session.commit()
    return partnership


@blp.get("/partnerships/<int:partnership_id>")
@login_required
@blp.response(200, PartnershipSchema)
def get_partnership(partnership_id):
    return service.get_partnership(current_user(), partnership_id)


@blp.patch("/partnerships/<int:partnership_id>")
@login_required
@blp.arguments(PartnershipUpdateSchema)
@blp.response(200, PartnershipSchema)
def update_partnership(changes, partnership_id):
    partnership = service.update_partnership(current_user(), partnership_id, changes)
    db.session.commit()
    return partnership


@blp.get("/experts")
@login_required
@blp.arguments(ExpertListArgsSchema, location="query")
@blp.response(200, page_of(ExpertSchema))
def list_experts(args):
    return paginate(service.list_experts_stmt(args), args)


@blp.post("/experts")
@login_required
@blp.arguments(ExpertCreateSchema)
@blp.response(201, ExpertSchema)
def create_expert(data):
    """Admins, or schedulers of the expert's hospital, give an expert user a profile."""
    expert = service.create_expert(current_user(), data)
    db.session.commit()
    return expert


@blp.get("/experts/<int:expert_id>")
@login_required
@blp.response(200, ExpertSchema)
def get_expert(expert_id):
    expert = get_or_404(ExpertProfile, expert_id, "Expert")
    policy.authorize(current_user(), "expert:read", expert)
    return expert


@blp.patch("/experts/<int:expert_id>")
@login_required
@blp.arguments(ExpertUpdateSchema)
@blp.response(200, ExpertSchema)
def update_expert(changes, expert_id):
    expert = service.update_expert(current_user(), expert_id, changes)
    db.session.commit()
    return expert
