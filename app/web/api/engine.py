"""REST API of the workflow engine: process definitions and instances (tasks: tasks.py)."""

from __future__ import annotations

from flask import Response, current_app, g, request
from flask_appbuilder.api import expose, protect, safe

from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.engine import definitions, runtime
from app.engine.definitions import DeployRefused
from app.engine.task_forms import referenced_forms
from app.extensions import db
from app.formkit.schemas import form_exists
from app.models import HumanTask, InstanceEvent, ProcessDefinition, ProcessInstance
from app.web.api.base import JsonApi, pk_in_range
from app.web.caller import caller

MAX_UPLOAD = 5 * 1024 * 1024


def task_json(task: HumanTask) -> dict:
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "element_id": task.element_id,
        "name": task.name,
        "candidate_roles": task.candidate_roles.split(","),
        "form": task.form or "decision",
        "instructions": task.instructions,
        "state": task.state,
        "lock_version": task.lock_version,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "created_at": task.created_at.isoformat(),
        "completed_by": task.completed_by,
    }


def instance_json(instance: ProcessInstance, tasks: list[HumanTask]) -> dict:
    return {
        "id": instance.id,
        "process_key": instance.version.definition.key,
        "version": instance.version.version,
        "status": instance.status,
        "error": instance.error,
        "business_key": instance.business_key,
        "started_by": instance.started_by,
        "started_at": instance.started_at.isoformat(),
        "ended_at": instance.ended_at.isoformat() if instance.ended_at else None,
        "current_tasks": [task_json(t) for t in tasks if t.state in ("open", "claimed")],
    }


class EngineApi(JsonApi):
    """Shared error mapping: domain errors → JSON with the right status."""

    def json_body(self) -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationFailed("the body must be a JSON object", {"body": "a JSON object"})
        return body


class ProcessDefinitionApi(EngineApi):
    resource_name = "process_definition"
    class_permission_name = "ProcessDefinition"
    method_permission_name = {"deploy": "write", "list_definitions": "read", "file": "read"}

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def deploy(self):
        """Deploy a BPMN file (with its DMN files) as a new version.
        ---
        post:
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    trusted: {type: boolean}
          responses:
            201: {description: Deployed (or 200 when identical content was already deployed)}
            422: {description: Refused, with errors naming file, element and line}
        """
        uploads = request.files.getlist("file")
        if not uploads:
            return self.response(
                422,
                message="no file given",
                errors=[{"element": None, "line": None, "message": "upload one BPMN file as 'file'"}],
            )
        files = {}
        for upload in uploads:
            content = upload.read(MAX_UPLOAD + 1)
            if len(content) > MAX_UPLOAD:
                return self.response(413, message=f"{upload.filename}: larger than 5 MiB")
            files[upload.filename or "upload.bpmn"] = content
        trusted = request.form.get("trusted", "").lower() in ("1", "true", "yes", "on")
        try:
            deployed = definitions.deploy(
                db.session,
                files,
                actor=g.user.username,
                trusted=trusted,
                form_exists=form_exists,
                known_roles=set(current_app.extensions["dms_roles"]),
            )
            db.session.commit()
        except DeployRefused as refused:
            db.session.rollback()
            return self.response(422, message=refused.message, errors=refused.problems)
        except DomainError as error:
            return self.fail(error)
        return self.response(
            201 if deployed.created else 200,
            key=deployed.key,
            version=deployed.version,
            created=deployed.created,
        )

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_definitions(self):
        """Deployed processes and their versions.
        ---
        get:
          responses:
            200: {description: The definitions}
        """
        result = [
            {
                "key": d.key,
                "name": d.name,
                "versions": [
                    {
                        "version": v.version,
                        "deployed_at": v.deployed_at.isoformat(),
                        "deployed_by": v.deployed_by,
                        "trusted": v.trusted,
                        "content_hash": v.content_hash,
                        "forms": referenced_forms(v.forms),
                        "decision_tables": sorted(n for n in v.files if n.endswith(".dmn")),
                    }
                    for v in d.versions
                ],
            }
            for d in db.session.query(ProcessDefinition).order_by(ProcessDefinition.key)
        ]
        return self.response(200, result=result, count=len(result))

    @expose("/<string:key>/<string:kind>", methods=["GET"])
    @protect()
    @safe
    def file(self, key: str, kind: str):
        """A deployed file of a process version: ``xml`` (the BPMN) or a DMN file by name.
        ---
        get:
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          - {in: path, name: kind, required: true, schema: {type: string}, description: "xml, or a .dmn name"}
          - {in: query, name: version, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: The file (application/xml)}
            404: {description: No such process, version or file}
        """
        wanted = request.args.get("version", "")
        found = None
        definition = db.session.query(ProcessDefinition).filter(ProcessDefinition.key == key).one_or_none()
        if definition is not None and definition.versions:
            found = (
                next((v for v in definition.versions if str(v.version) == wanted), None)
                if wanted
                else definition.versions[-1]
            )
        if found is None:
            return self.response_404()
        if kind == "xml":
            content = next((c for n, c in found.files.items() if "BPMN/20100524/MODEL" in c[:2000]), None)
        else:
            content = found.files.get(kind) if kind.endswith(".dmn") else None
        if content is None:
            return self.response_404()
        return Response(content, mimetype="application/xml")


class ProcessInstanceApi(EngineApi):
    resource_name = "process_instance"
    class_permission_name = "ProcessInstance"
    method_permission_name = {"start": "write", "get_instance": "read", "manage": "manage"}

    def _visible(self, instance_id: int) -> ProcessInstance:
        """The instance if it lies in the caller's scope or holds a task the caller may act on."""
        instance = db.session.get(ProcessInstance, instance_id) if pk_in_range(instance_id) else None
        if instance is None:
            raise NotFound("no such process instance")
        who = caller()
        scoped = instance.dealer_id is not None or instance.region_path is not None
        if who.scope.unrestricted or (
            scoped and who.scope.allows_dealer(instance.dealer_id, instance.region_path)
        ):
            return instance
        if any(runtime.may_act(t, who) for t in self._tasks(instance)):
            return instance
        raise NotFound("no such process instance")

    def _tasks(self, instance: ProcessInstance) -> list[HumanTask]:
        return list(
            db.session.query(HumanTask).filter(HumanTask.instance_id == instance.id).order_by(HumanTask.id)
        )

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def start(self):
        """Start the latest version of a process.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    process_key: {type: string}
                    data: {type: object}
                  required: [process_key]
          responses:
            201: {description: Started; the instance with its current tasks}
            404: {description: Unknown process}
            422: {description: Invalid data}
        """
        try:
            body = self.json_body()
            key = body.get("process_key")
            if not isinstance(key, str) or not key:
                raise ValidationFailed("process_key is required", {"process_key": "required"})
            instance = runtime.start_instance(db.session, key, body.get("data") or {}, caller())
        except DomainError as error:
            return self.fail(error)
        return self.response(201, **instance_json(instance, self._tasks(instance)))

    @expose("/<int:instance_id>", methods=["GET"])
    @protect()
    @safe
    def get_instance(self, instance_id: int):
        """An instance: status, current tasks and history.
        ---
        get:
          parameters:
          - {in: path, name: instance_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The instance}
            404: {description: Not found or outside your data scope}
        """
        try:
            instance = self._visible(instance_id)
        except DomainError as error:
            return self.fail(error)
        events = (
            db.session.query(InstanceEvent)
            .filter(InstanceEvent.instance_id == instance.id)
            .order_by(InstanceEvent.id)
        )
        history = [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "element_id": e.element_id,
                "element_type": e.element_type,
                "actor": e.actor,
                "data_before": e.data_before,
                "data_after": e.data_after,
                "message": e.message,
            }
            for e in events
        ]
        return self.response(200, **instance_json(instance, self._tasks(instance)), history=history)

    @expose("/<int:instance_id>/<string:action>", methods=["POST"])
    @protect()
    @safe
    def manage(self, instance_id: int, action: str):
        """Cancel, suspend, resume or retry an instance.
        ---
        post:
          parameters:
          - {in: path, name: instance_id, required: true, schema: {type: integer}}
          - in: path
            name: action
            required: true
            schema: {type: string, enum: [cancel, suspend, resume, retry]}
          responses:
            200: {description: Done}
            404: {description: Not found}
            409: {description: Not possible in the instance's status}
        """
        operations = {
            "cancel": runtime.cancel_instance,
            "suspend": runtime.suspend_instance,
            "resume": lambda s, i: runtime.suspend_instance(s, i, suspend=False),
            "retry": runtime.retry_instance,
        }
        if action not in operations:
            return self.response_404()
        try:
            instance = operations[action](db.session, self._visible(instance_id).id)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **instance_json(instance, self._tasks(instance)))
