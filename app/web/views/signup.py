"""The public dealer sign-up page (经销商入驻申请) and the applicant's status page.

Anyone may apply (no login): the page is CSRF-protected, its POSTs are rate-limited per client
address (``DMS_SIGNUP_RATE_LIMIT``) and a hidden honeypot field that people leave empty turns
bots away. A logged-in sales rep who applies for a dealer is recorded as the one who entered it.
The status link (``/signup/status/<token>``) shows how the application stands; when it was sent
back, the applicant corrects and resubmits it there; once approved, they set the first password
of the new dealer user there (once, before that user has ever logged in).
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.utils.limit import Limit
from flask_babel import get_locale, gettext
from flask_limiter.util import get_remote_address
from werkzeug.security import generate_password_hash

from app.adapters.file_store import store_files
from app.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.engine import runtime
from app.extensions import db
from app.formkit.fields import build_form, has_file_field, pointer
from app.formkit.parse import parse_object
from app.formkit.uploads import check_file, human_size, path_of, rule_at
from app.models import HumanTask, Region, StoredFile
from app.services.users import MIN_PASSWORD
from app.web import onboarding
from app.web.i18n import field_errors
from app.web.uploads import FormUploads, upload_cap

HONEYPOT = "website"


def _user():
    user = getattr(g, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _store_uploads(schema: dict, uischema: dict, region_path: str | None) -> FormUploads:
    """Check and store the posted files as the anonymous applicant's (scoped to the region)."""
    result, checked, names = FormUploads(), [], []
    for name in request.files:
        storage = request.files[name]
        path = path_of(name)
        rule = rule_at(schema, uischema, path, upload_cap())
        if not storage.filename or rule is None:
            continue
        limit = rule.max_bytes if rule.max_bytes is not None else upload_cap()
        try:
            checked.append(check_file(storage.filename, storage.stream.read(limit + 1), rule, pointer(path)))
            names.append(name)
        except ValidationFailed as refused:
            result.refused.update(refused.details)
    if checked:
        user = _user()
        rows = store_files(
            db.session,
            current_app.config["DMS_UPLOAD_DIR"],
            checked,
            user.username if user else "applicant",
            user.id if user else None,
            None,
            region_path,
        )
        result.tokens = {name: row.token for name, row in zip(names, rows, strict=True)}
        onboarding.remember_files(list(result.tokens.values()))
    return result


def _describe(allowed: set[str], link=None):
    def describe(token: str):
        if token not in allowed:
            return None
        stored = db.session.query(StoredFile).filter(StoredFile.token == token).first()
        if stored is None:
            return None
        return {
            "name": stored.original_name,
            "url": link(token) if link else "#",
            "size": human_size(stored.size),
        }

    return describe


def _allowed(extra=()) -> set[str]:
    from flask import session

    return {*session.get(onboarding.SESSION_FILES, []), *extra}


class SignupView(BaseView):
    route_base = "/signup"
    default_view = "apply"
    limits = [
        Limit(
            onboarding.signup_rate_limit,
            key_func=get_remote_address,
            methods=("POST",),
            error_message="too many applications from this address; wait a minute and try again",
        )
    ]

    def _form_page(self, template: str, values=None, errors=None, allowed=None, link=None, **context):
        schema, uischema = onboarding.application_form()
        fields = build_form(
            schema,
            uischema,
            values,
            errors,
            str(get_locale() or "zh_CN"),
            gettext,
            _describe(allowed or set(), link),
            upload_cap(),
        )
        return self.render_template(
            template, fields=fields, errors=errors or {}, multipart=has_file_field(fields), **context
        )

    @expose("/", methods=["GET"])
    def apply(self):
        return self._form_page("signup/apply.html", honeypot=HONEYPOT)

    @expose("/", methods=["POST"])
    def submit(self):
        if request.form.get(HONEYPOT):  # a bot filled the field people never see
            return self.render_template("signup/received.html", status_url=None), 200
        schema, uischema = onboarding.application_form()
        region = request.form.get("region", "")
        region_path = db.session.query(Region.path).filter(Region.code == region).scalar()
        uploaded = _store_uploads(schema, uischema, region_path)
        data = parse_object(schema, uploaded.form(request.form))
        user = _user()
        rep = user.username if user is not None and any(r.name == "SalesRep" for r in user.roles) else ""
        try:
            uploaded.raise_refused(schema, data)
            started = onboarding.start_application(data, _allowed(), rep, user.id if rep else None)
        except DomainError as error:
            db.session.rollback()
            if not isinstance(error, ValidationFailed):
                flash(error.message, "danger")
            return self._form_page(
                "signup/apply.html",
                values=data,
                errors=field_errors(error),
                allowed=_allowed(),
                honeypot=HONEYPOT,
            ), 422
        url = url_for("SignupView.status", token=started.token, _external=True)
        return self.render_template("signup/received.html", status_url=url)

    def _application(self, token: str):
        try:
            return onboarding.find_application(token)
        except NotFound:
            abort(404)

    def _status_page(self, token: str, instance, values=None, errors=None, status=200):
        outcome = onboarding.outcome(instance)
        task = onboarding.correction_task(instance)
        variables = runtime.task_variables(task) if task is not None else {}
        open_steps = db.session.scalars(
            db.select(HumanTask.name).where(
                HumanTask.instance_id == instance.id, HumanTask.state.in_(("open", "claimed"))
            )
        ).all()
        context = {"token": token, "instance": instance, "outcome": outcome, "open_steps": open_steps}
        if outcome == "approved":
            created = onboarding.created_dealer(instance)
            user = db.session.query(User).filter(User.username == created.get("username")).first()
            context.update(created=created, may_set_password=user is not None and not user.last_login)
            return self.render_template("signup/status.html", **context), status
        if task is None:
            return self.render_template("signup/status.html", **context), status
        application = variables.get("application") or {}
        allowed = _allowed(onboarding.file_tokens(*onboarding.application_form(), application))
        return self._form_page(
            "signup/status.html",
            values=values if values is not None else application,
            errors=errors,
            allowed=allowed,
            link=lambda t: url_for("SignupView.file", token=token, file_token=t),
            reason=onboarding.sent_back_reason(instance, variables),
            **context,
        ), status

    @expose("/status/<string:token>", methods=["GET"])
    def status(self, token: str):
        return self._status_page(token, self._application(token))

    @expose("/status/<string:token>", methods=["POST"])
    def resubmit(self, token: str):
        instance = self._application(token)
        task = onboarding.correction_task(instance)
        if task is None:
            abort(404)
        schema, uischema = onboarding.application_form()
        application = runtime.task_variables(task).get("application") or {}
        uploaded = _store_uploads(schema, uischema, instance.region_path)
        data = parse_object(schema, uploaded.form(request.form))
        try:
            uploaded.raise_refused(schema, data)
            allowed = _allowed(onboarding.file_tokens(schema, uischema, application))
            onboarding.resubmit(instance, task, data, allowed)
        except DomainError as error:
            db.session.rollback()
            if not isinstance(error, ValidationFailed):
                flash(error.message, "danger")
            status = 409 if isinstance(error, Conflict) else 422
            return self._status_page(token, instance, data, field_errors(error), status)
        flash(gettext("Your application was resubmitted."), "success")
        return redirect(url_for("SignupView.status", token=token))

    @expose("/status/<string:token>/file/<string:file_token>", methods=["GET"])
    def file(self, token: str, file_token: str):
        """A file of this application, for its applicant."""
        from app.web.uploads import send_stored

        instance = self._application(token)
        task = onboarding.correction_task(instance)
        application = runtime.task_variables(task).get("application") or {} if task is not None else {}
        allowed = _allowed(onboarding.file_tokens(*onboarding.application_form(), application))
        stored = db.session.query(StoredFile).filter(StoredFile.token == file_token).first()
        if stored is None or file_token not in allowed:
            abort(404)
        try:
            return send_stored(stored)
        except DomainError:
            abort(404)

    @expose("/status/<string:token>/password", methods=["POST"])
    def password(self, token: str):
        """Set the first password of the new dealer user (once, before its first login)."""
        instance = self._application(token)
        created = onboarding.created_dealer(instance) if onboarding.outcome(instance) == "approved" else {}
        user = db.session.query(User).filter(User.username == created.get("username")).first()
        if user is None or user.last_login:
            abort(404)
        password = request.form.get("password", "")
        if len(password) < MIN_PASSWORD or password != request.form.get("confirm", ""):
            flash(gettext("The passwords must match and have at least 8 characters."), "danger")
            return self._status_page(token, instance, status=422)
        user.password = generate_password_hash(password)
        db.session.commit()
        flash(gettext("Password set. You can now log in as %(user)s.", user=user.username), "success")
        return redirect(url_for("SignupView.status", token=token))
