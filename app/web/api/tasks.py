"""REST API of the task inbox and of message delivery."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.domain.errors import DomainError, ValidationFailed
from app.engine import runtime, waits
from app.engine.inbox import inbox
from app.extensions import db
from app.models import HumanTask
from app.web.api.base import pk_in_range
from app.web.api.engine import EngineApi, task_json
from app.web.caller import caller


class TaskApi(EngineApi):
    resource_name = "task"
    class_permission_name = "Task"
    method_permission_name = {"list_tasks": "read", "get_task": "read", "act": "write"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_tasks(self):
        """The caller's inbox: open tasks of their roles within their data scope, and tasks they claimed.
        ---
        get:
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200: {description: The inbox}
        """
        page = request.args.get("page", "0")
        size = request.args.get("page_size", "25")
        if not (page.isdigit() and size.isdigit() and 1 <= int(size) <= 100 and int(page) < 10**6):
            return self.response(400, message="page and page_size must be small non-negative integers")
        who = caller()
        total, tasks = inbox(
            db.session, who.id, who.roles, who.scope, limit=int(size), offset=int(page) * int(size)
        )
        return self.response(200, count=total, result=[task_json(t) for t in tasks])

    @expose("/<int:task_id>", methods=["GET"])
    @protect()
    @safe
    def get_task(self, task_id: int):
        """One task of the caller's inbox.
        ---
        get:
          parameters:
          - {in: path, name: task_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The task}
            404: {description: Not in your inbox}
        """
        task = db.session.get(HumanTask, task_id) if pk_in_range(task_id) else None
        if task is None or not runtime.may_act(task, caller()):
            return self.response_404()
        return self.response(200, result=task_json(task))

    @expose("/<int:task_id>/<string:action>", methods=["POST"])
    @protect()
    @safe
    def act(self, task_id: int, action: str):
        """Claim, release or complete a task.
        ---
        post:
          parameters:
          - {in: path, name: task_id, required: true, schema: {type: integer}}
          - {in: path, name: action, required: true, schema: {type: string, enum: [claim, unclaim, complete]}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    data: {type: object}
                    lock_version: {type: integer}
          responses:
            200: {description: Done}
            404: {description: Not in your inbox}
            409: {description: Already done, claimed by someone else, or changed meanwhile}
            422: {description: The form data are invalid}
        """
        if not pk_in_range(task_id) or action not in ("claim", "unclaim", "complete"):
            return self.response_404()
        try:
            if action == "complete":
                body = self.json_body()
                lock = body.get("lock_version")
                if lock is not None and (not isinstance(lock, int) or isinstance(lock, bool)):
                    raise ValidationFailed("lock_version must be an integer", {"lock_version": "an integer"})
                task = runtime.complete_task(db.session, task_id, caller(), body.get("data"), lock)
            else:
                task = runtime.claim_task(db.session, task_id, caller(), claim=action == "claim")
        except DomainError as error:
            return self.fail(error)
        return self.response(200, result=task_json(task))


class MessageApi(EngineApi):
    resource_name = "message"
    class_permission_name = "Message"
    method_permission_name = {"deliver": "write"}

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def deliver(self):
        """Deliver a named message to the instance(s) waiting for it with this correlation key.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    name: {type: string}
                    correlation_key: {type: string}
                    payload: {type: object}
                  required: [name, correlation_key]
          responses:
            200: {description: Delivered; the instance ids}
            404: {description: No instance waits for it; nothing changed}
        """
        try:
            body = self.json_body()
            name, key = body.get("name"), body.get("correlation_key")
            if not isinstance(name, str) or not isinstance(key, str) or not name or not key:
                raise ValidationFailed(
                    "name and correlation_key are required strings",
                    {"name": "required", "correlation_key": "required"},
                )
            ids = waits.deliver_message(db.session, name, key, body.get("payload") or {})
        except DomainError as error:
            return self.fail(error)
        return self.response(200, instances=ids)
